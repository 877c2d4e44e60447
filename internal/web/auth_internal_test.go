package web

import "testing"

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
