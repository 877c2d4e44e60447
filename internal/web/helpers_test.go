package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/ssoclient"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

// now is the fixed day the web tests run on.
var now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// app is the real router on a real store holding the demo Place, plus an
// outside ICB (QYY → Place 98Y → practice Z00001) that no demo user may see.
type app struct {
	t      testing.TB
	srv    *web.Server
	http   *httptest.Server
	store  *store.Store
	logins map[people.Role]demo.Login
}

func newApp(t testing.TB, s *store.Store) *app {
	t.Helper()
	// A sign-in service that is never reached: enough for the pages that
	// list providers and keep their rules (sso_test.go runs a real one).
	idle, err := ssoclient.NewClient(sso.Provider{ID: "test", Name: "Test", Label: "Sign in with Test", Kind: sso.OIDC,
		Issuer: "http://127.0.0.1:9/", ClientID: "onepc", ClientSecret: "secret", Scopes: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	return newAppWith(t, s, idle)
}

// newAppWith is newApp with these sign-in services.
func newAppWith(t testing.TB, s *store.Store, providers ...*ssoclient.Client) *app {
	t.Helper()
	ctx := context.Background()
	s.SetClock(func() time.Time { return now })
	logins, err := demo.Load(ctx, s, now)
	if err != nil {
		t.Fatal(err)
	}
	err = s.SaveOrgs(ctx, "test",
		orgs.Org{Code: "QYY", Kind: orgs.ICB, Name: "OTHER ICB", ParentCode: demo.RegionCode},
		orgs.Org{Code: "98Y", Kind: orgs.Place, Name: "OTHER PLACE", ParentCode: "QYY"},
		orgs.Org{Code: "Z00001", Kind: orgs.Practice, Name: "FARAWAY SURGERY", ParentCode: "98Y", Status: "A"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: s, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }, SSO: providers})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, srv: srv, store: s, http: httptest.NewServer(srv.Handler()), logins: map[people.Role]demo.Login{}}
	servers.Lock()
	servers.list = append(servers.list, srv)
	servers.Unlock()
	t.Cleanup(a.http.Close)
	for _, l := range logins {
		a.logins[l.Role] = l
	}
	return a
}

// client is a browser-like client: it keeps cookies and does not follow redirects.
type client struct {
	a    *app
	http *http.Client
	csrf string
}

func (a *app) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{a: a, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as signs in as the demo user of role and remembers the CSRF token.
func (a *app) as(role people.Role) *client {
	a.t.Helper()
	return a.signIn(a.logins[role].Email)
}

// signIn signs in with the demo password and remembers the CSRF token.
func (a *app) signIn(email string) *client {
	a.t.Helper()
	c := a.anon()
	req, _ := http.NewRequest("POST", a.http.URL+"/login", strings.NewReader(url.Values{
		"email": {email}, "password": {demo.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.CSRF == "" {
		a.t.Fatalf("sign in as %s: status %d, %v", email, resp.StatusCode, err)
	}
	c.csrf = body.CSRF
	return c
}

type result struct {
	status int
	body   string
	header http.Header
}

func (c *client) get(path string) result {
	c.a.t.Helper()
	return c.do("GET", path, nil)
}

// post sends a form, adding the CSRF token unless form already sets one.
func (c *client) post(path string, form url.Values) result {
	c.a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", c.csrf)
	}
	return c.do("POST", path, form)
}

// postJSON sends a JSON body as a script does, with the session's CSRF
// token in its header, and any more headers as name, value pairs.
func (c *client) postJSON(path, body string, headers ...string) result {
	c.a.t.Helper()
	req, _ := http.NewRequest("POST", c.a.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (c *client) do(method, path string, form url.Values) result {
	c.a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.a.http.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (r result) has(t testing.TB, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("response (status %d) does not contain %q", r.status, w)
		}
	}
}

func newRequest(method, u string, form url.Values) (*http.Request, error) {
	r, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err == nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r, err
}

// servers collects every server the tests start, so that TestMain can check
// that between them they rendered every template (GoatCounter's rule: a
// template no test executes can break unseen).
var servers struct {
	sync.Mutex
	list []*web.Server
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		done := map[string]bool{}
		var all []string
		for _, s := range servers.list {
			for name := range s.Rendered() {
				done[name] = true
			}
			all = s.Templates()
		}
		for _, name := range all {
			if !done[name] {
				fmt.Fprintf(os.Stderr, "FAIL: template %s was never rendered by a test\n", name)
				code = 1
			}
		}
	}
	os.Exit(code)
}
