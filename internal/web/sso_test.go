package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/ssoclient"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// cis2User is a person as NHS CIS2 describes them: roles at organisations
// in nhsid_nrbac_roles (sent from userinfo), the role chosen at sign-in in
// selected_roleid, and the assurance level in acr.
type cis2User struct {
	Subject, Email, Name, ACR string
	Verified                  bool
	Roles                     []sso.RBACRole
	Selected                  string
}

func (u *cis2User) ID() string { return u.Subject }

func (u *cis2User) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.Subject, "email": u.Email, "name": u.Name,
		"nhsid_nrbac_roles": u.Roles, "selected_roleid": u.Selected, "nhsid_useruid": u.Subject})
}

type cis2IDClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
	ACR           string `json:"acr,omitempty"`
}

func (u *cis2User) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &cis2IDClaims{IDTokenClaims: base, Email: u.Email, EmailVerified: u.Verified, Name: u.Name, ACR: u.ACR}, nil
}

// provider is a real OpenID Connect provider in-process, whose token
// responses a test may tamper with to play a broken or hostile provider.
type provider struct {
	m      *mockoidc.MockOIDC
	mu     sync.Mutex
	tamper func(claims map[string]any) (string, bool) // a new id_token, or false to leave it
	last   string                                     // the last id_token sent
	// assertionKey, when set, makes the token endpoint take only a
	// private_key_jwt client assertion signed by its private half.
	assertionKey *ecdsa.PublicKey
	assertions   int
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{m: m}
	m.AddMiddleware(p.middleware)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return p
}

// middleware adds a sign-out endpoint to the discovery document and lets a
// test replace the ID token the token endpoint sends.
func (p *provider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		discovery := strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration")
		token := strings.HasSuffix(r.URL.Path, "/token")
		if !discovery && !token {
			next.ServeHTTP(w, r)
			return
		}
		if token && p.assertionKey != nil {
			r.ParseForm()
			if err := p.checkAssertion(r.PostForm); err != nil {
				http.Error(w, `{"error":"invalid_client","error_description":"`+err.Error()+`"}`, http.StatusUnauthorized)
				return
			}
			// mockoidc itself knows only secrets: hand it the one it expects.
			r.PostForm.Set("client_secret", p.m.ClientSecret)
			r.Form = nil
			body := r.PostForm.Encode()
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			r.PostForm = nil
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		if discovery {
			body["end_session_endpoint"] = p.m.Issuer() + "/logout"
		}
		if raw, ok := body["id_token"].(string); ok && token {
			p.mu.Lock()
			if p.tamper != nil {
				if forged, ok := p.tamper(payload(raw)); ok {
					body["id_token"] = forged
				}
			}
			p.last = body["id_token"].(string)
			p.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

// checkAssertion verifies a private_key_jwt client assertion as a provider does.
func (p *provider) checkAssertion(form url.Values) error {
	if form.Get("client_secret") != "" {
		return errors.New("a client secret was sent")
	}
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return errors.New("no client assertion")
	}
	tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return err
	}
	var c josejwt.Claims
	if err := tok.Claims(p.assertionKey, &c); err != nil {
		return err
	}
	if err := c.Validate(josejwt.Expected{Issuer: p.m.ClientID, Subject: p.m.ClientID, AnyAudience: josejwt.Audience{p.m.TokenEndpoint()}}); err != nil {
		return err
	}
	p.assertions++
	return nil
}

func payload(token string) map[string]any {
	parts := strings.Split(token, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func (p *provider) setTamper(f func(map[string]any) (string, bool)) {
	p.mu.Lock()
	p.tamper = f
	p.mu.Unlock()
}

// resign signs changed claims with the provider's own key.
func (p *provider) resign(change func(map[string]any)) func(map[string]any) (string, bool) {
	return func(c map[string]any) (string, bool) {
		change(c)
		tok, err := p.m.Keypair.SignJWT(jwt.MapClaims(c))
		return tok, err == nil
	}
}

func (p *provider) client(t *testing.T, change func(*sso.Provider)) *ssoclient.Client {
	t.Helper()
	cfg := p.m.Config()
	pr := sso.Provider{ID: "cis2", Label: "Sign in with NHS CIS2", Kind: sso.CIS2, Issuer: cfg.Issuer,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: []string{"openid", "profile", "email"},
		CreateUsers: true, MoneyACR: []string{"AAL3_ANY"}, Help: "Ask the Riverside and Vale OnePC team: onepc@example.nhs.uk"}
	if change != nil {
		change(&pr)
	}
	if errs := pr.Tidy(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c, err := ssoclient.NewClient(pr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// browserClient keeps cookies and follows no redirects, so that each step
// of the flow can be checked.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type flow struct {
	authorize string // where OnePC sent the browser
	callback  string // where the provider sent it back
	final     result // OnePC's answer to the callback
}

// signInVia walks the code flow as a browser does: OnePC → provider → OnePC.
func signInVia(t *testing.T, a *app, hc *http.Client, p *provider, u *cis2User) flow {
	t.Helper()
	var f flow
	resp := mustGet(t, hc, a.http.URL+"/login/sso/cis2?next=/")
	if resp.status != 302 {
		t.Fatalf("start: %d %s", resp.status, resp.body)
	}
	f.authorize = resp.header.Get("Location")
	p.m.QueueUser(u)
	resp = mustGet(t, hc, f.authorize)
	if resp.status != 302 {
		t.Fatalf("authorize: %d %s", resp.status, resp.body)
	}
	f.callback = resp.header.Get("Location")
	f.final = mustGet(t, hc, f.callback)
	return f
}

func mustGet(t *testing.T, hc *http.Client, u string) result {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func practiceManagerClaims() *cis2User {
	return &cis2User{Subject: "555000000101", Email: "pat.jones@nhs.net", Name: "Pat Jones", Verified: true, ACR: "AAL3_ANY",
		Roles: []sso.RBACRole{
			{PersonRoleID: "555000000201", OrgCode: "Y00001", RoleCode: "S8000:G8001:R8000", RoleName: `"Admin":"Management":"Practice Manager"`},
			{PersonRoleID: "555000000202", OrgCode: "Y00002", RoleCode: "S8000:G8001:R8000"},
		},
		Selected: "555000000201"}
}

func addRule(t *testing.T, s *store.Store, p sso.Provider, r sso.Rule) {
	t.Helper()
	if err := r.Check(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSSORule(t.Context(), "top@onepc.example", r); err != nil {
		t.Fatal(err)
	}
}

// TestSSOFlow runs the authorization code flow against a real provider, for
// a good sign-in and for each way one must be refused.
func TestSSOFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := startProvider(t)
		c := p.client(t, nil)
		a := newAppWith(t, s, c)
		addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager})
		addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8008", Org: "99X", Role: people.Commissioner})

		// A practice manager whose selected CIS2 role is at Y00001.
		hc := browserClient()
		f := signInVia(t, a, hc, p, practiceManagerClaims())
		q := mustParse(t, f.authorize).Query()
		for _, k := range []string{"state", "nonce", "code_challenge"} {
			if q.Get(k) == "" {
				t.Errorf("authorize request lacks %s: %s", k, f.authorize)
			}
		}
		if q.Get("code_challenge_method") != "S256" {
			t.Errorf("PKCE method %q", q.Get("code_challenge_method"))
		}
		if f.final.status != 303 || f.final.header.Get("Location") != "/orgs/Y00001" {
			t.Fatalf("callback: %d %s %s", f.final.status, f.final.header.Get("Location"), f.final.body)
		}
		me := getJSON(t, hc, a.http.URL+"/api/me")
		if me["email"] != "pat.jones@nhs.net" || !strings.Contains(jsonString(me["grants"]), `"org_code":"Y00001"`) ||
			strings.Contains(jsonString(me["grants"]), "Y00002") {
			t.Errorf("signed in as %v", me)
		}
		goodToken := p.last

		// The same callback again: refused, and no new session.
		again := browserClient()
		if got := mustGet(t, again, f.callback); got.status != 401 || !strings.Contains(got.body, "not started in this browser") {
			t.Errorf("replayed callback in another browser: %d", got.status)
		}

		cases := []struct {
			name   string
			tamper func(map[string]any) (string, bool)
			want   string
		}{
			{"wrong issuer", p.resign(func(c map[string]any) { c["iss"] = "https://evil.example/" }), "different sign-in service"},
			{"wrong audience", p.resign(func(c map[string]any) { c["aud"] = []string{"another-app"} }), "issued for another application"},
			{"issued to another party", p.resign(func(c map[string]any) { c["aud"] = []any{"another-app", c["aud"].([]any)[0]}; c["azp"] = "another-app" }), "issued for another application"},
			{"several audiences, no party", p.resign(func(c map[string]any) { c["aud"] = []any{"another-app", c["aud"].([]any)[0]} }), "issued for another application"},
			{"expired beyond the skew", p.resign(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }), "expired"},
			{"bad signature", func(c map[string]any) (string, bool) {
				kp, _ := mockoidc.RandomKeypair(2048)
				tok, err := kp.SignJWT(jwt.MapClaims(c))
				return tok, err == nil
			}, "signature is not the sign-in service"},
			{"replayed nonce", func(map[string]any) (string, bool) { return goodToken, true }, "another sign-in (its nonce"},
			{"no id token signed at all", func(c map[string]any) (string, bool) {
				h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
				b, _ := json.Marshal(c)
				return h + "." + base64.RawURLEncoding.EncodeToString(b) + ".", true
			}, "signature is not the sign-in service"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p.setTamper(tc.tamper)
				defer p.setTamper(nil)
				hc := browserClient()
				f := signInVia(t, a, hc, p, practiceManagerClaims())
				if f.final.status != 401 || !strings.Contains(f.final.body, tc.want) {
					t.Errorf("status %d, want 401 saying %q:\n%s", f.final.status, tc.want, pageText(f.final.body))
				}
				if got := mustGet(t, hc, a.http.URL+"/"); got.status != 401 {
					t.Errorf("a session was made: / is %d", got.status)
				}
			})
		}
		// Within a minute of expiry the provider's clock is forgiven.
		p.setTamper(p.resign(func(c map[string]any) { c["exp"] = time.Now().Add(-30 * time.Second).Unix() }))
		if f := signInVia(t, a, browserClient(), p, practiceManagerClaims()); f.final.status != 303 {
			t.Errorf("expired 30 s ago: %d %s", f.final.status, pageText(f.final.body))
		}
		p.setTamper(nil)

		// The provider says no: OnePC says so in its own words, never the
		// provider's (or anyone's who made the link).
		hc = browserClient()
		start := mustGet(t, hc, a.http.URL+"/login/sso/cis2")
		state := mustParse(t, start.header.Get("Location")).Query().Get("state")
		if got := mustGet(t, hc, a.http.URL+"/login/sso/cis2/callback?error=access_denied&error_description=Call+0800+000+000&state="+state); got.status != 401 ||
			!strings.Contains(got.body, "cancelled signing in") || strings.Contains(got.body, "0800") {
			t.Errorf("provider error: %d %s", got.status, pageText(got.body))
		}
		// A made-up error without a begun sign-in is refused and not audited.
		if got := mustGet(t, browserClient(), a.http.URL+"/login/sso/cis2/callback?error=access_denied"); got.status != 401 || !strings.Contains(got.body, "not started in this browser") {
			t.Errorf("unbegun error: %d", got.status)
		}

		// Every refusal is audited.
		entries, _, err := s.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for _, e := range entries {
			if e.Action == "sso.refused" {
				refused++
			}
		}
		if refused != len(cases)+1 {
			t.Errorf("%d refusals audited, want %d (the begun sign-ins refused, not the unbegun returns)", refused, len(cases)+1)
		}
	})
}

// TestSSOUnmappedGetsNothing: a person the provider knows but no rule maps
// is told so and whom to ask, and can reach nothing.
func TestSSOUnmappedGetsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := startProvider(t)
		c := p.client(t, nil)
		a := newAppWith(t, s, c)
		addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager})
		u := &cis2User{Subject: "555000000999", Email: "nurse@nhs.net", Name: "Sam Nurse", Verified: true, ACR: "AAL3_ANY",
			Roles: []sso.RBACRole{{PersonRoleID: "9", OrgCode: "Y00001", RoleCode: "S8000:G8000:R8001"}}}
		hc := browserClient()
		f := signInVia(t, a, hc, p, u)
		if f.final.status != 403 {
			t.Fatalf("unmapped: %d", f.final.status)
		}
		f.final.has(t, "none of your roles there gives you a role in OnePC", "Ask the Riverside and Vale OnePC team", "Y00001")
		for _, path := range []string{"/", "/me", "/orgs", "/orgs/Y00001", "/admin/users"} {
			if got := mustGet(t, hc, a.http.URL+path); got.status != 401 {
				t.Errorf("%s after an unmapped sign-in: %d", path, got.status)
			}
		}
		if _, err := s.UserByEmail(t.Context(), "nurse@nhs.net"); err == nil {
			t.Error("a user was made for an unmapped person")
		}

		// A finance officer's role (it pays money) maps, but only at assurance AAL3: at AAL2 it is held back.
		addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8008", Org: "99X", Role: people.FinanceOfficer})
		low := &cis2User{Subject: "555000000777", Email: "cam@nhs.net", Name: "Cam", Verified: true, ACR: "AAL2_ANY",
			Roles: []sso.RBACRole{{PersonRoleID: "7", OrgCode: "99X", RoleCode: "S8000:G8000:R8008"}}}
		f = signInVia(t, a, browserClient(), p, low)
		if f.final.status != 403 || !strings.Contains(f.final.body, "needs a sign-in at assurance AAL3_ANY") {
			t.Errorf("finance officer at AAL2: %d %s", f.final.status, pageText(f.final.body))
		}
		low.ACR = "AAL3_ANY"
		if f = signInVia(t, a, browserClient(), p, low); f.final.status != 303 {
			t.Errorf("finance officer at AAL3: %d %s", f.final.status, pageText(f.final.body))
		}
	})
}

// TestSSOLinksByVerifiedEmailOnly: an existing OnePC person is found by an
// email the provider vouches for, never by one it does not.
func TestSSOLinksByVerifiedEmailOnly(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	p := startProvider(t)
	c := p.client(t, func(pr *sso.Provider) { pr.CreateUsers = false })
	a := newAppWith(t, s, c)
	addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager})
	existing := a.logins[people.PracticeManager].Email
	u := practiceManagerClaims()
	u.Email, u.Verified = existing, false
	if f := signInVia(t, a, browserClient(), p, u); f.final.status != 403 || !strings.Contains(f.final.body, "no account linked") {
		t.Errorf("unverified email: %d %s", f.final.status, pageText(f.final.body))
	}
	u.Verified = true
	hc := browserClient()
	if f := signInVia(t, a, hc, p, u); f.final.status != 303 {
		t.Fatalf("verified email: %d %s", f.final.status, pageText(f.final.body))
	}
	if me := getJSON(t, hc, a.http.URL+"/api/me"); me["email"] != existing {
		t.Errorf("signed in as %v", me["email"])
	}
	// From now on the link holds even if the provider's email changes.
	u.Email = "renamed@nhs.net"
	if f := signInVia(t, a, browserClient(), p, u); f.final.status != 303 {
		t.Errorf("after an email change: %d", f.final.status)
	}

	// Signing out offers the provider's own sign-out.
	out := postForm(t, hc, a, "/logout")
	if out.status != 303 || out.header.Get("Location") != "/login?signed_out=1&provider=cis2" {
		t.Fatalf("sign out: %d %s", out.status, out.header.Get("Location"))
	}
	page := mustGet(t, hc, a.http.URL+out.header.Get("Location"))
	page.has(t, "You have signed out.", "Also sign out of NHS CIS2", p.m.Issuer()+"/logout?client_id=")
	if got := mustGet(t, hc, a.http.URL+"/"); got.status != 401 {
		t.Errorf("after sign-out: %d", got.status)
	}
}

// postForm posts with the CSRF token read from the page's sign-out form.
func postForm(t *testing.T, hc *http.Client, a *app, path string) result {
	t.Helper()
	home := mustGet(t, hc, a.http.URL+"/")
	i := strings.Index(home.body, `name="csrf_token" value="`)
	if i < 0 {
		t.Fatal("no CSRF token on the home page")
	}
	token := home.body[i+len(`name="csrf_token" value="`):]
	token = token[:strings.IndexByte(token, '"')]
	resp, err := hc.Post(a.http.URL+path, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func getJSON(t *testing.T, hc *http.Client, u string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return m
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func mustParse(t *testing.T, u string) *url.URL {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pageText is a page's main message, for failure output.
func pageText(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	var b bytes.Buffer
	in := false
	for _, r := range body {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestSSOPrivateKeyJWT: with a private key configured, OnePC proves who it
// is to the token endpoint by a signed assertion, never a shared secret, as
// CIS2 requires.
func TestSSOPrivateKeyJWT(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	p := startProvider(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "onepc-cis2.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	p.assertionKey = &key.PublicKey
	c := p.client(t, func(pr *sso.Provider) { pr.ClientSecret, pr.KeyFile, pr.KeyID = "", keyFile, "onepc-2026" })
	a := newAppWith(t, s, c)
	addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager})
	if f := signInVia(t, a, browserClient(), p, practiceManagerClaims()); f.final.status != 303 || p.assertions != 1 {
		t.Errorf("private_key_jwt sign-in: %d, %d assertions checked: %s", f.final.status, p.assertions, pageText(f.final.body))
	}
	// A key the provider does not know is refused at the token endpoint.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.assertionKey = &other.PublicKey
	if f := signInVia(t, a, browserClient(), p, practiceManagerClaims()); f.final.status != 401 || !strings.Contains(f.final.body, "did not accept") {
		t.Errorf("unknown key: %d %s", f.final.status, pageText(f.final.body))
	}
}

// TestBrowserSSOSignIn: a practice manager signs in through the provider,
// whose CIS2 claims carry the practice's ODS code, lands on the practice,
// and signs out, offered the provider's sign-out too.
func TestBrowserSSOSignIn(t *testing.T) {
	ctx := browser(t)
	s := storetest.Open(t, "sqlite")
	p := startProvider(t)
	c := p.client(t, nil)
	a := newAppWith(t, s, c)
	addRule(t, s, c.Provider, sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager})
	p.m.QueueUser(practiceManagerClaims())

	step(t, ctx, "open the sign-in page",
		chromedp.Navigate(a.http.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#sso-cis2")))
	if got := text(t, ctx, "#sso-cis2"); got != "Sign in with NHS CIS2" {
		t.Errorf("button %q", got)
	}
	screenshot(t, ctx, "sso-login")
	step(t, ctx, "sign in with NHS CIS2",
		chromedp.Click(chromedp.CSS("#sso-cis2")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="org-name"]`)))
	if got := text(t, ctx, `[data-testid="org-name"]`); got != "RIVERSIDE MEDICAL CENTRE" {
		t.Errorf("landed on %q", got)
	}
	if got := text(t, ctx, `[data-testid="signed-in-as"]`); got != "Pat Jones" {
		t.Errorf("signed in as %q", got)
	}
	screenshot(t, ctx, "sso-practice")
	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="provider-sign-out"]`)))
	if got := text(t, ctx, `[data-testid="provider-sign-out"]`); got != "Also sign out of NHS CIS2" {
		t.Errorf("provider sign-out link %q", got)
	}
	step(t, ctx, "the practice page now asks to sign in",
		chromedp.Navigate(a.http.URL+"/orgs/Y00001"), chromedp.WaitVisible(chromedp.CSS("#email")))
}
