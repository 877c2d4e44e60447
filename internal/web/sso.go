package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/store"
)

// ssoCookie carries a begun sign-in's state from this browser to the
// callback, so that a return from the provider is only taken by the browser
// that began it (no one can sign another person's browser in as themselves).
const ssoCookie = "onepc_sso"

// ssoButton is a provider as the sign-in page offers it.
type ssoButton struct {
	ID, Label string
}

func (s *Server) ssoButtons() []ssoButton {
	var out []ssoButton
	for _, c := range s.ssoOrder {
		out = append(out, ssoButton{ID: c.Provider.ID, Label: c.Provider.Label})
	}
	return out
}

func (s *Server) ssoClient(r *http.Request) (*sso.Client, error) {
	c := s.ssoClients[r.PathValue("provider")]
	if c == nil {
		return nil, problem.New(problem.NotFound, "OnePC has no sign-in service called %q", r.PathValue("provider"))
	}
	return c, nil
}

// publicBase is this site's address as people's browsers see it: the
// configured public URL, or (for development) the request's own host.
func (s *Server) publicBase(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) callbackURL(r *http.Request, c *sso.Client) string {
	return s.publicBase(r) + "/login/sso/" + c.Provider.ID + "/callback"
}

// ssoStart sends the person to the provider, keeping the sign-in's state,
// nonce and PKCE verifier in the database for whichever server they return to.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ssoClient(r)
	if err != nil {
		return err
	}
	st := sso.NewStart()
	to, err := c.AuthURL(r.Context(), s.callbackURL(r, c), st)
	if err != nil {
		return s.ssoRefused(w, r, c, "", err)
	}
	if err := s.store.BeginSSO(r.Context(), c.Provider.ID, st, safeNext(r.URL.Query().Get("next"))); err != nil {
		return err
	}
	http.SetCookie(w, s.ssoStateCookie(r, c, st.State, int(store.SSOStartLife/time.Second)))
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

func (s *Server) ssoStateCookie(r *http.Request, c *sso.Client, value string, maxAge int) *http.Cookie {
	ck := s.cookie(r, value, time.Time{})
	ck.Name, ck.Path, ck.MaxAge = ssoCookie, "/login/sso/"+c.Provider.ID+"/", maxAge
	return ck
}

// ssoCallback finishes a sign-in: checks it began in this browser and has
// not been used, verifies the provider's tokens, maps the claims onto roles
// and starts a session; or says in plain words why not, and starts none.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ssoClient(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		said := q.Get("error_description")
		if said == "" {
			said = e
		}
		return s.ssoRefused(w, r, c, "", &sso.Failure{Reason: "The sign-in service did not sign you in. It said: " + clip(said, 200),
			Detail: errors.New("provider error " + e)})
	}
	state := q.Get("state")
	ck, _ := r.Cookie(ssoCookie)
	http.SetCookie(w, s.ssoStateCookie(r, c, "", -1))
	if state == "" || ck == nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		return s.ssoRefused(w, r, c, "", &sso.Failure{Reason: "This sign-in was not started in this browser. Start again from OnePC's sign-in page"})
	}
	st, next, err := s.store.TakeSSO(r.Context(), c.Provider.ID, state)
	if err != nil {
		if err == store.ErrSSOStartUnknown {
			return s.ssoRefused(w, r, c, "", &sso.Failure{Reason: problem.Message(err)})
		}
		return err
	}
	claims, err := c.Finish(r.Context(), s.callbackURL(r, c), q.Get("code"), st)
	if err != nil {
		return s.ssoRefused(w, r, c, "", err)
	}
	rules, err := s.store.SSORules(r.Context(), c.Provider.ID)
	if err != nil {
		return err
	}
	out, err := s.store.SSOSignIn(r.Context(), store.SSOSignIn{Provider: c.Provider, Claims: claims,
		Decide: func(explicit []people.Grant) sso.Decision {
			return sso.Decide(c.Provider, sso.Map(rules, claims), claims.ACR, explicit)
		}})
	if err != nil {
		return err
	}
	if out.Session.Token == "" {
		return s.ssoNoAccess(w, r, c, claims, out)
	}
	s.log.Info("signed in", "provider", c.Provider.ID, "email", out.User.Email, "created", out.Created, "linked", out.Linked, "held", out.Held)
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

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

type ssoProblem struct {
	Provider string
	ID       string
	Message  string
	Held     []string
	Orgs     []string
	Help     string
	Who      string
}

// ssoRefused shows why a sign-in failed, logs the detail, and audits it.
func (s *Server) ssoRefused(w http.ResponseWriter, r *http.Request, c *sso.Client, who string, err error) error {
	var f *sso.Failure
	if !errors.As(err, &f) {
		return err
	}
	s.log.Warn("sign-in refused", "provider", c.Provider.ID, "reason", f.Reason, "err", f.Detail)
	if err := s.store.AuditSSOFailure(r.Context(), c.Provider.ID, who, f.Reason); err != nil {
		return err
	}
	d := ssoProblem{Provider: c.Provider.Name(), ID: c.Provider.ID, Message: f.Reason}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusUnauthorized, errorBody{Error: f.Reason})
	}
	return s.render(w, r, nil, http.StatusUnauthorized, "sso_problem", page{Title: "You could not be signed in", Data: d})
}

// ssoNoAccess says that the person was recognised but OnePC gives them no
// role, and whom to ask.
func (s *Server) ssoNoAccess(w http.ResponseWriter, r *http.Request, c *sso.Client, claims sso.Claims, out store.SSOOutcome) error {
	who := claims.Email
	if who == "" {
		who = claims.Subject
	}
	reasons := map[string]string{
		"no-account": "OnePC has no account linked to your " + c.Provider.Name() + " sign-in, and does not add people itself from this service.",
		"no-role":    "You are signed in with " + c.Provider.Name() + ", but none of your roles there gives you a role in OnePC, so OnePC has not signed you in.",
		"no-email":   "Your roles there would give you access, but the sign-in service did not confirm your email address, so OnePC cannot make or find your account.",
	}
	d := ssoProblem{Provider: c.Provider.Name(), ID: c.Provider.ID, Message: reasons[out.Reason], Held: out.Held, Help: c.Provider.Help, Who: who}
	for _, role := range claims.ActiveRoles() {
		if role.OrgCode != "" && !slices.Contains(d.Orgs, role.OrgCode) {
			d.Orgs = append(d.Orgs, role.OrgCode)
		}
	}
	s.log.Info("sign-in gave no access", "provider", c.Provider.ID, "who", who, "reason", out.Reason, "held", out.Held)
	if err := s.store.AuditSSOFailure(r.Context(), c.Provider.ID, who, out.Reason); err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusForbidden, errorBody{Error: d.Message})
	}
	return s.render(w, r, nil, http.StatusForbidden, "sso_problem", page{Title: "OnePC has no role for you yet", Data: d})
}

// providerSignOut is the provider's sign-out address after signing out of
// OnePC, for a session that began there, or "".
func (s *Server) providerSignOut(r *http.Request, id string) (label, to string) {
	c := s.ssoClients[id]
	if c == nil {
		return "", ""
	}
	return c.Provider.Name(), c.EndSessionURL(r.Context(), s.publicBase(r)+"/login?signed_out=1")
}
