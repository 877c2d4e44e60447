package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/ssoclient"
	"github.com/onepc/onepc/internal/store"
)

// ssoCookie carries a begun sign-in's state from this browser to the
// callback, so that a return from the provider is only taken by the browser
// that began it (no one can sign another person's browser in as themselves).
const ssoCookie = "onepc_sso"

// ssoButton is a provider as the sign-in page offers it.
type ssoButton struct {
	ID, Label, Name string
}

func (s *Server) ssoButtons() []ssoButton {
	var out []ssoButton
	for _, c := range s.ssoOrder {
		out = append(out, ssoButton{ID: c.Provider.ID, Label: c.Provider.Label, Name: c.Provider.Name})
	}
	return out
}

func (s *Server) ssoClient(r *http.Request) (*ssoclient.Client, error) {
	c := s.ssoClients[r.PathValue("provider")]
	if c == nil {
		return nil, problem.New(problem.NotFound, "OnePC has no sign-in service called %q", r.PathValue("provider"))
	}
	return c, nil
}

// publicBase is this site's address as people's browsers see it: the
// configured public URL (which `onepc serve` requires with providers), or,
// in tests, the request's own host.
func (s *Server) publicBase(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// mailLink is an address on this site for an email: only from the
// configured public address, never from a request's Host header (a probe
// put its own site in the links of emails sent to every practice). Without
// one, the email names the page instead.
func (s *Server) mailLink(path, page string) string {
	if s.publicURL == "" {
		return "Open OnePC and choose " + page + "."
	}
	return s.publicURL + path
}

func (s *Server) callbackURL(r *http.Request, c *ssoclient.Client) string {
	return s.publicBase(r) + "/login/sso/" + c.Provider.ID + "/callback"
}

// ssoStart sends the person to the provider, keeping the sign-in's state,
// nonce and PKCE verifier in the database for whichever server they return to.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ssoClient(r)
	if err != nil {
		return err
	}
	st := ssoclient.NewStart()
	to, err := c.AuthURL(r.Context(), s.callbackURL(r, c), st)
	if err != nil {
		return s.ssoRefused(w, r, c, "", err)
	}
	next := safeNext(r.URL.Query().Get("next"))
	if err := s.store.BeginSSO(r.Context(), c.Provider.ID, store.SSOStart(st), next, clientIP(r)); err != nil {
		return err
	}
	http.SetCookie(w, s.ssoStateCookie(r, c, st.State, int(sso.StartLife/time.Second)))
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

func (s *Server) ssoStateCookie(r *http.Request, c *ssoclient.Client, value string, maxAge int) *http.Cookie {
	ck := s.cookie(r, value, time.Time{})
	ck.Name, ck.Path, ck.MaxAge = ssoCookie, "/login/sso/"+c.Provider.ID+"/", maxAge
	return ck
}

// providerErrors are the standard OAuth error codes a provider may send
// back, in OnePC's words: its own description is logged, never shown, so
// that nobody can put words on OnePC's pages through a link.
var providerErrors = map[string]string{
	"access_denied":           "You, or the sign-in service, cancelled signing in.",
	"login_required":          "The sign-in service needs you to sign in again.",
	"interaction_required":    "The sign-in service needs you to do something before it can sign you in.",
	"consent_required":        "The sign-in service needs your consent before OnePC can sign you in.",
	"temporarily_unavailable": "The sign-in service is busy or down for the moment. Try again in a few minutes.",
	"server_error":            "The sign-in service had a problem. Try again in a few minutes.",
}

// ssoCallback finishes a sign-in: checks it began in this browser and has
// not been used, verifies the provider's tokens, maps the claims onto roles
// and starts a session; or says in plain words why not, and starts none.
// Nothing is written for a return that matches no sign-in begun here.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ssoClient(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	state := q.Get("state")
	ck, _ := r.Cookie(ssoCookie)
	http.SetCookie(w, s.ssoStateCookie(r, c, "", -1))
	if state == "" || ck == nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		return s.ssoUnbegun(w, r, c, "This sign-in was not started in this browser. Start again from OnePC's sign-in page.")
	}
	st, next, err := s.store.TakeSSO(r.Context(), c.Provider.ID, state)
	if errors.Is(err, store.ErrSSOStartUnknown) {
		return s.ssoUnbegun(w, r, c, problem.Message(err))
	}
	if err != nil {
		return fmt.Errorf("sign-in through %s: %w", c.Provider.ID, err)
	}
	if e := q.Get("error"); e != "" {
		said, ok := providerErrors[e]
		if !ok {
			said = "The sign-in service did not sign you in."
		}
		return s.ssoRefused(w, r, c, "", &ssoclient.Failure{Reason: said, Detail: fmt.Errorf("provider error %q: %q", clip(e, 100), clip(q.Get("error_description"), 300))})
	}
	claims, err := c.Finish(r.Context(), s.callbackURL(r, c), q.Get("code"), ssoclient.Start(st))
	if err != nil {
		return s.ssoRefused(w, r, c, "", err)
	}
	rules, err := s.store.SSORules(r.Context(), c.Provider.ID, nil)
	if err != nil {
		return fmt.Errorf("sign-in through %s: %w", c.Provider.ID, err)
	}
	out, err := s.store.SSOSignIn(r.Context(), c.Provider, claims, rules)
	if err != nil {
		return fmt.Errorf("sign-in through %s of %s: %w", c.Provider.ID, claims.Subject, err)
	}
	if out.Refusal != "" {
		return s.ssoNoAccess(w, r, c, claims, out.Admission, next)
	}
	s.log.Info("signed in", "provider", c.Provider.ID, "email", out.User.Email, "created", out.Create, "linked", out.Link, "held", out.Held)
	http.SetCookie(w, s.cookie(r, out.Session.Token, out.Session.ExpiresAt))
	http.Redirect(w, r, landing(next, out.User), http.StatusSeeOther)
	return nil
}

// landing is where a sign-in goes: where the person was going, or, from the
// home page, their organisation when they hold roles at just one.
func landing(next string, u people.User) string {
	if next != "/" || len(u.Grants) == 0 {
		return next
	}
	for _, g := range u.Grants[1:] {
		if g.OrgCode != u.Grants[0].OrgCode {
			return next
		}
	}
	return "/orgs/" + u.Grants[0].OrgCode
}

// clip shortens s to n characters (runes), never splitting one.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

type ssoProblem struct {
	ProviderName string
	ProviderID   string
	Message      string
	Held         []string
	Orgs         []string
	Help         string
	Who          string // the name or email the provider gave, never a bare identifier
	Retry        bool   // trying again could help
	Next         string
}

// ssoUnbegun refuses a return from the provider that matches no sign-in
// begun in this browser: logged, not audited, so that requests from anyone
// cannot fill the audit log.
func (s *Server) ssoUnbegun(w http.ResponseWriter, r *http.Request, c *ssoclient.Client, reason string) error {
	s.log.Warn("sign-in return refused", "provider", c.Provider.ID, "reason", reason, "ip", clientIP(r))
	return s.renderSSOProblem(w, r, http.StatusUnauthorized, "You could not be signed in",
		ssoProblem{ProviderName: c.Provider.Name, ProviderID: c.Provider.ID, Message: reason, Retry: true, Next: "/"})
}

// ssoRefused shows why a begun sign-in failed, logs the detail, and audits it.
func (s *Server) ssoRefused(w http.ResponseWriter, r *http.Request, c *ssoclient.Client, who string, err error) error {
	var f *ssoclient.Failure
	if !errors.As(err, &f) {
		return err
	}
	s.log.Warn("sign-in refused", "provider", c.Provider.ID, "reason", f.Reason, "err", f.Detail)
	if err := s.store.AuditSSOFailure(r.Context(), c.Provider.ID, who, f.Reason); err != nil {
		return err
	}
	return s.renderSSOProblem(w, r, http.StatusUnauthorized, "You could not be signed in",
		ssoProblem{ProviderName: c.Provider.Name, ProviderID: c.Provider.ID, Message: f.Reason, Retry: true, Next: "/"})
}

// ssoNoAccess says that the person was recognised but OnePC gives them no
// role, and whom to ask.
func (s *Server) ssoNoAccess(w http.ResponseWriter, r *http.Request, c *ssoclient.Client, claims sso.Claims, a sso.Admission, next string) error {
	who := claims.Name
	if claims.Email != "" {
		who = claims.Email
	}
	d := ssoProblem{ProviderName: c.Provider.Name, ProviderID: c.Provider.ID, Message: a.Refusal.Message(c.Provider), Held: a.Held,
		Help: c.Provider.Help, Who: who, Next: next}
	for _, role := range claims.ActiveRoles() {
		if role.OrgCode != "" && !slices.Contains(d.Orgs, role.OrgCode) && len(d.Orgs) < 10 {
			d.Orgs = append(d.Orgs, role.OrgCode)
		}
	}
	s.log.Info("sign-in gave no access", "provider", c.Provider.ID, "sub", claims.Subject, "who", who, "reason", a.Refusal, "held", a.Held)
	if err := s.store.AuditSSOFailure(r.Context(), c.Provider.ID, clip(who, 254), string(a.Refusal)); err != nil {
		return err
	}
	return s.renderSSOProblem(w, r, http.StatusForbidden, "OnePC has no role for you yet", d)
}

func (s *Server) renderSSOProblem(w http.ResponseWriter, r *http.Request, status int, title string, d ssoProblem) error {
	if wantsJSON(r) {
		return writeJSON(w, status, errorBody{Error: d.Message})
	}
	return s.render(w, r, nil, status, "sso_problem", page{Title: title, Data: d})
}

// providerSignOut is the provider's name and sign-out address after
// signing out of OnePC, for a session that began there, or "".
func (s *Server) providerSignOut(r *http.Request, id string) (name, to string) {
	c := s.ssoClients[id]
	if c == nil {
		return "", ""
	}
	return c.Provider.Name, c.EndSessionURL(s.publicBase(r) + "/login?signed_out=1")
}
