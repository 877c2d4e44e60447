package web

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// TestSafeNext: after sign-in, only a path of this site is followed.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/orgs/Y00001":           "/orgs/Y00001",
		"/orgs?q=surgery&kind=x": "/orgs?q=surgery&kind=x",
		"":                       "/",
		"https://evil.example/":  "/",
		"//evil.example/":        "/",
		"/\\evil.example":        "/",
		"/\t/evil.example":       "/",
		"\t//evil.example":       "/",
		"/%2F%2Fevil.example":    "/",
		"/%2Fevil.example":       "/",
		"javascript:alert(1)":    "/",
		"/login?next=/x":         "/",
		"/logout":                "/",
		"orgs":                   "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestHashSlot: a password check waits for a free slot, then is asked to
// try again later; a request that goes away stops waiting.
func TestHashSlot(t *testing.T) {
	s := &Server{hashSlots: make(chan struct{}, 1), hashWait: 20 * time.Millisecond}
	release, err := s.hashSlot(httptest.NewRecorder(), httptest.NewRequest("POST", "/login", nil))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if _, err := s.hashSlot(w, httptest.NewRequest("POST", "/login", nil)); problem.KindOf(err) != problem.TooMany || w.Header().Get("Retry-After") != "2" {
		t.Errorf("all slots taken: %v, Retry-After %q; want TooMany and 2", err, w.Header().Get("Retry-After"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.hashSlot(httptest.NewRecorder(), httptest.NewRequest("POST", "/login", nil).WithContext(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("request gone: %v", err)
	}
	release()
	again, err := s.hashSlot(httptest.NewRecorder(), httptest.NewRequest("POST", "/login", nil))
	if err != nil {
		t.Errorf("after release: %v", err)
	} else {
		again()
	}
}
