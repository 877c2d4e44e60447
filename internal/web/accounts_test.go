package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store/storetest"
	"github.com/onepc/onepc/internal/web"
)

var csrfInPage = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formSignIn signs in through the sign-in form, as a browser does, and
// returns the client and where the form sent it.
func formSignIn(t *testing.T, base, email, password string) (*client, result) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := c.http.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c, result{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// TestAccounts: a person given a password by an administrator chooses
// their own before anything else; changes it (knowing the current one);
// resets a forgotten one by an emailed link, or one an administrator made,
// once each; and an administrator can disable an account, ending its
// sessions and tokens at once.
func TestAccounts(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	adm := a.as(people.Admin)
	given := "Temporary-Pass-7731"
	got := adm.post("/admin/users", url.Values{"email": {"new.person@example.org"}, "name": {"Nia Person"}, "password": {given}})
	m := regexp.MustCompile(`/admin/users/(\d+)`).FindStringSubmatch(got.header.Get("Location"))
	if got.status != 303 || m == nil {
		t.Fatalf("add user: %d %s", got.status, pageText(got.body))
	}
	id := m[1]
	if got := adm.post("/admin/users/"+id+"/grants", url.Values{"role": {"practice_manager"}, "org": {"Y00001"}}); got.status >= 400 {
		t.Fatalf("grant: %d %s", got.status, pageText(got.body))
	}

	// First sign-in: to the account page, and nowhere else, until changed.
	nia, res := formSignIn(t, a.http.URL, "new.person@example.org", given)
	nia.a = a
	if res.status != 303 || res.header.Get("Location") != "/account?must=1" {
		t.Fatalf("first sign-in: %d to %q", res.status, res.header.Get("Location"))
	}
	if got := nia.get("/orgs/Y00001"); got.status != 303 || got.header.Get("Location") != "/account?must=1" {
		t.Errorf("a page before choosing a password: %d to %q", got.status, got.header.Get("Location"))
	}
	if got := nia.get("/api/orgs/Y00001"); got.status != 403 {
		t.Errorf("the API before choosing a password: %d", got.status)
	}
	acct := nia.get("/account")
	acct.has(t, "Choose your own password")
	nia.csrf = csrfInPage.FindStringSubmatch(acct.body)[1]
	if got := nia.post("/account/password", url.Values{"current": {"wrong one entirely"}, "password": {"password1234"}}); got.status != 422 ||
		!strings.Contains(got.body, `href="#current"`) || !strings.Contains(got.body, "most commonly used") {
		t.Errorf("a wrong current and a common new password: %d %s", got.status, pageText(got.body))
	}
	mine := "kettle orchard lantern violet"
	if got := nia.post("/account/password", url.Values{"current": {given}, "password": {mine}}); got.status != 303 {
		t.Fatalf("change password: %d %s", got.status, pageText(got.body))
	}
	if got := nia.get("/orgs/Y00001"); got.status != 200 {
		t.Errorf("a page after choosing a password: %d", got.status)
	}
	if _, res := formSignIn(t, a.http.URL, "new.person@example.org", given); res.status != 401 {
		t.Errorf("the given password after the change: %d", res.status)
	}

	// Forgotten: without mail, ask an administrator; with it, an emailed link, once.
	a.anon().get("/login/forgot").has(t, "Ask the OnePC administrator")
	srv, err := web.New(web.Config{Store: a.store, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }, MailOn: true, PublicURL: "https://onepc.example"})
	if err != nil {
		t.Fatal(err)
	}
	mailSite := httptest.NewServer(srv.Handler())
	defer mailSite.Close()
	post := func(path string, form url.Values) (int, string, string) {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(mailSite.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Location")
	}
	for _, email := range []string{"nobody@example.org", "new.person@example.org"} {
		if code, body, _ := post("/login/forgot", url.Values{"email": {email}}); code != 200 || !strings.Contains(body, "If OnePC has an account with the address "+email) {
			t.Errorf("forgot for %s: %d %s", email, code, pageText(body))
		}
	}
	mail, _, err := a.store.Outbox(t.Context(), nil, 10)
	if err != nil || len(mail) != 1 || mail[0].To != "new.person@example.org" {
		t.Fatalf("reset emails: %+v %v", mail, err)
	}
	link := regexp.MustCompile(`https://onepc\.example/login/reset\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mail[0].Body)
	if link == nil {
		t.Fatalf("no link in %q", mail[0].Body)
	}
	// The outbox's key, which administrators read, gives nothing of it away.
	if strings.Contains(mail[0].Key, link[1][:6]) {
		t.Errorf("the outbox key %q holds the start of the reset token", mail[0].Key)
	}
	a.anon().get("/login/reset?token="+link[1]).has(t, "Set a new password", `name="token" value="`+link[1]+`"`)
	if got := a.anon().get("/login/reset?token=not-a-token"); got.status != 422 || !strings.Contains(got.body, "has expired or been used") {
		t.Errorf("an unknown link: %d", got.status)
	}
	if code, body, _ := post("/login/reset", url.Values{"token": {link[1]}, "password": {"nia person rocks"}}); code != 422 || !strings.Contains(body, "must not contain your email address or name") {
		t.Errorf("a new password with the person's name: %d %s", code, pageText(body))
	}
	newer := "harbour thistle copper meadow"
	if code, _, loc := post("/login/reset", url.Values{"token": {link[1]}, "password": {newer}}); code != 303 || loc != "/login?done=reset" {
		t.Errorf("reset: %d to %q", code, loc)
	}
	if code, _, _ := post("/login/reset", url.Values{"token": {link[1]}, "password": {"another lovely phrase"}}); code != 422 {
		t.Errorf("the link used twice: %d", code)
	}
	if got := nia.get("/orgs/Y00001"); got.status != 401 {
		t.Errorf("a session from before the reset: %d", got.status)
	}
	nia, res = formSignIn(t, a.http.URL, "new.person@example.org", newer)
	nia.a = a
	if res.status != 303 {
		t.Fatalf("sign-in with the reset password: %d", res.status)
	}

	// An administrator's link, for a day.
	made := adm.post("/admin/users/"+id+"/reset-link", nil)
	if made.status != 201 || !strings.Contains(made.body, "/login/reset?token=") {
		t.Errorf("an administrator's reset link: %d %s", made.status, pageText(made.body))
	}

	// Disabled: sessions end, sign-in is refused; enabled: back in.
	if got := adm.post("/admin/users/"+id+"/disable", nil); got.status != 303 {
		t.Fatalf("disable: %d %s", got.status, pageText(got.body))
	}
	adm.get("/admin/users/"+id).has(t, "cannot sign in, and has no sessions or API tokens")
	if got := nia.get("/orgs/Y00001"); got.status != 401 {
		t.Errorf("a disabled person's session: %d", got.status)
	}
	if _, res := formSignIn(t, a.http.URL, "new.person@example.org", newer); res.status != 403 || !strings.Contains(res.body, "This account is disabled") {
		t.Errorf("a disabled person signing in: %d %s", res.status, pageText(res.body))
	}
	if _, res := formSignIn(t, a.http.URL, "new.person@example.org", "not the password at all"); strings.Contains(res.body, "disabled") {
		t.Error("a wrong password learns the account is disabled")
	}
	if got := adm.post("/admin/users/"+id+"/disable", url.Values{"enable": {"1"}}); got.status != 303 {
		t.Fatalf("enable: %d", got.status)
	}
	if _, res := formSignIn(t, a.http.URL, "new.person@example.org", newer); res.status != 303 {
		t.Errorf("sign-in after enabling: %d", res.status)
	}
}
