package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store/storetest"
)

var tokenPattern = regexp.MustCompile(`onepc_[A-Za-z0-9_-]{43}`)

// TestAPITokens: a person makes a token on their account page and sees it
// once; a script sends it to the JSON API and can read what the person's
// roles reach, no more; a read-only token cannot write, nor any token make
// tokens, reach the pages, or carry a role that approves money; a revoked
// or expired token is refused.
func TestAPITokens(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm := a.as(people.PracticeManager)
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, a.http.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	make := func(c *client, form url.Values) string {
		t.Helper()
		got := c.post("/account/tokens", form)
		secret := tokenPattern.FindString(got.body)
		if got.status != 201 || secret == "" || !strings.Contains(got.body, "will not be shown again") {
			t.Fatalf("making a token: %d %s", got.status, pageText(got.body))
		}
		if strings.Contains(c.get("/account").body, secret) {
			t.Error("the token is shown again")
		}
		return secret
	}
	if got := pm.post("/account/tokens", url.Values{"name": {""}, "days": {"400"}}); got.status != 422 || !strings.Contains(got.body, `href="#name"`) || !strings.Contains(got.body, `href="#days"`) {
		t.Errorf("a token with no name, for 400 days: %d %s", got.status, pageText(got.body))
	}
	read := make(pm, url.Values{"name": {"monthly access report"}, "days": {"90"}})
	pm.get("/account").has(t, "monthly access report", read[:12]+"…", "Read only", "Never")

	if code, body := call("GET", "/api/orgs/Y00001", read, ""); code != 200 || !strings.Contains(body, "RIVERSIDE") {
		t.Errorf("reading the practice with the token: %d %.200s", code, body)
	}
	pm.get("/account").has(t, "Read only")
	unknown := "onepc_" + strings.Repeat("A", 43)
	for _, c := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/api/orgs/Z00001", read, "", 403},                                    // beyond the person's roles
		{"GET", "/orgs/Y00001", read, "", 401},                                        // a page, not the API
		{"POST", "/api/orgs/Y00001/returns/2026-10", read, `{"action": "save"}`, 403}, // read-only
		{"POST", "/api/account/tokens", read, `{"name": "more", "days": 30}`, 403},    // a token making tokens
		{"GET", "/api/orgs/Y00001", unknown, "", 401},
	} {
		if code, body := call(c.method, c.path, c.token, c.body); code != c.want {
			t.Errorf("%s %s: %d, want %d: %.200s", c.method, c.path, code, c.want, body)
		}
	}

	// A token that may write does, without a CSRF token.
	write := make(pm, url.Values{"name": {"return uploader"}, "days": {"30"}, "write": {"1"}})
	if code, body := call("POST", "/api/orgs/Y00001/returns/2026-10", write, `{"action": "save"}`); code >= 400 {
		t.Errorf("saving with a token that may write: %d %.200s", code, body)
	}
	// Letting the PCN make the practice's claims changes who may do what:
	// a person does it, signed in, not a script.
	if code, body := call("POST", "/api/orgs/Y00001/delegation", write, `{"pcn": "U00001"}`); code != 403 {
		t.Errorf("letting the PCN claim with a token: %d %.200s", code, body)
	}
	// No token makes credentials or changes who may do what, whatever the
	// person's roles: an administrator's token cannot add a user.
	adm := a.as(people.Admin)
	admToken := make(adm, url.Values{"name": {"users"}, "days": {"30"}, "write": {"1"}})
	for _, c := range []struct{ path, body string }{
		{"/api/admin/users", `{"email": "mallory@example.org", "name": "Mallory", "password": "Correct-Horse-Battery-77"}`},
		{"/api/my-week/calendar", `{}`},
		{"/api/account/password", `{"current": "x", "password": "y"}`},
	} {
		if code, body := call("POST", c.path, admToken, c.body); code != 403 {
			t.Errorf("%s with a token: %d %.200s", c.path, code, body)
		}
	}
	// A key misspelt is refused by name, not ignored (a probe's "can_write"
	// made a read-only token without a word).
	if got := pm.postJSON("/api/account/tokens", `{"name": "uploader", "days": 30, "can_write": true}`); got.status != 422 || !strings.Contains(got.body, "can_write cannot be saved here") {
		t.Errorf("a token with a misspelt key: %d %s", got.status, got.body)
	}
	// A token made through the API, sent again with its key, is not shown again.
	mk := func() string {
		return pm.postJSON("/api/account/tokens", `{"name": "twice", "days": 30}`, "Idempotency-Key", "make-token-0001").body
	}
	if first := mk(); !tokenPattern.MatchString(first) {
		t.Errorf("the first answer has no token: %s", first)
	}
	if again := mk(); tokenPattern.MatchString(again) {
		t.Errorf("the token is shown again on a repeat: %s", again)
	}

	// A finance officer's token carries no role that approves money.
	fin := a.as(people.FinanceOfficer)
	finToken := make(fin, url.Values{"name": {"payments"}, "days": {"30"}, "write": {"1"}})
	if code, body := call("POST", "/api/orgs/99X/payments", finToken, `{"month": "2026-10"}`); code != 403 {
		t.Errorf("a payment run with a token: %d %.200s", code, body)
	}

	// Revoked: refused at once.
	m := regexp.MustCompile(`data-testid="revoke-(\d+)"`).FindAllStringSubmatch(pm.get("/account").body, -1)
	if len(m) != 3 {
		t.Fatalf("revoke buttons: %v", m)
	}
	for _, id := range m {
		if got := pm.post("/account/tokens/"+id[1]+"/revoke", nil); got.status != 303 {
			t.Errorf("revoke %s: %d", id[1], got.status)
		}
	}
	if code, _ := call("GET", "/api/orgs/Y00001", read, ""); code != 401 {
		t.Errorf("a revoked token: %d", code)
	}
	pm.get("/account").has(t, "Revoked")

	// Expired: refused after its days.
	later := make(pm, url.Values{"name": {"short"}, "days": {"1"}})
	if code, _ := call("GET", "/api/orgs/Y00001", later, ""); code != 200 {
		t.Errorf("a fresh token: %d", code)
	}
	a.store.SetClock(func() time.Time { return now.AddDate(0, 0, 2) })
	defer a.store.SetClock(func() time.Time { return now })
	if code, _ := call("GET", "/api/orgs/Y00001", later, ""); code != 401 {
		t.Errorf("an expired token: %d", code)
	}
}
