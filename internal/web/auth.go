package web

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

type loginForm struct {
	Email     string
	Next      string
	Message   string // why the person is being asked to sign in
	Providers []ssoButton
	// SignOutName and SignOutURL offer the provider's own sign-out after
	// signing out of a session that began there.
	SignOutName, SignOutURL string
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, f loginForm, errs ...problem.Field) {
	if wantsJSON(r) {
		writeJSON(w, status, errorBody{Error: f.Message, Fields: errs})
		return
	}
	f.Providers = s.ssoButtons()
	if err := s.render(w, r, nil, status, "login", page{Title: "Sign in", Errors: errs, Data: f}); err != nil {
		s.log.Error("render login", "err", err)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := loginForm{Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("done") == "reset" {
		f.Message = "Your new password is set. Sign in with it."
	}
	if r.URL.Query().Has("signed_out") {
		f.Message = "You have signed out."
		f.SignOutName, f.SignOutURL = s.providerSignOut(r, r.URL.Query().Get("provider"))
	}
	s.renderLogin(w, r, http.StatusOK, f)
	return nil
}

// maxNext is the longest address a sign-in returns to: longer ones are
// refused (and "/" used), so that a sign-in's stored return is small.
const maxNext = 2048

// safeNext keeps redirects after sign-in on this site: a path of this
// origin, parsed (so that a tab, a backslash or an encoded host cannot
// smuggle in another site), and not the sign-in or sign-out pages.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.ContainsAny(next, "\\\t\r\n") || strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/logout") ||
		len(next) > maxNext {
		return "/"
	}
	return u.RequestURI()
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Email    string `form:"email"`
		Password string `form:"password"`
		Next     string `form:"next"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	f := loginForm{Email: strings.TrimSpace(in.Email), Next: safeNext(in.Next)}
	var errs problem.Fields
	switch {
	case f.Email == "":
		errs.Add("email", "Enter your email address")
	case len(f.Email) > 254: // no email address is longer; nothing longer is counted or recorded
		errs.Add("email", "Enter an email address of 254 characters or fewer")
	}
	if in.Password == "" {
		errs.Add("password", "Enter your password")
	}
	if len(errs) > 0 {
		s.renderLogin(w, r, http.StatusUnprocessableEntity, f, errs...)
		return nil
	}
	ok, until, err := s.store.TakeLoginAttempt(r.Context(), f.Email, clientIP(r))
	if err != nil {
		return err
	}
	if !ok {
		s.log.Info("sign-in refused: too many attempts", "email", f.Email, "ip", clientIP(r))
		mins := int(math.Ceil(until.Sub(s.now()).Minutes()))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(until.Sub(s.now()).Seconds()))))
		s.renderLogin(w, r, http.StatusTooManyRequests, f, problem.Field{Name: "email",
			Message: "There have been too many failed attempts to sign in. Wait " + plural(mins, "minute") + " and try again."})
		return nil
	}
	release, err := s.hashSlot(w, r)
	if err != nil { // a check the server was too busy to make does not count against the person
		return errors.Join(err, s.store.LoginNotChecked(context.WithoutCancel(r.Context()), f.Email, clientIP(r)))
	}
	defer release()
	user, hash, err := s.store.UserForLogin(r.Context(), f.Email)
	switch {
	case problem.KindOf(err) == problem.NotFound:
		people.DummyCheck(in.Password)
	case err != nil:
		return err
	}
	if err != nil || !people.CheckPasswordHash(hash, in.Password) {
		if err := s.store.AuditLoginFailure(r.Context(), f.Email, clientIP(r)); err != nil {
			return err
		}
		s.log.Info("sign-in failed", "email", f.Email, "ip", clientIP(r))
		s.renderLogin(w, r, http.StatusUnauthorized, f, problem.Field{Name: "email", Message: people.ErrInvalidLogin.Message})
		return nil
	}
	if err := s.store.LoginSucceeded(r.Context(), f.Email, clientIP(r)); err != nil {
		return err
	}
	// Only after the right password: a disabled account is told so, and no
	// one else learns whether an address has an account.
	state, err := s.store.LoginState(r.Context(), user.ID)
	if err != nil {
		return err
	}
	if state.Disabled {
		s.renderLogin(w, r, http.StatusForbidden, f, problem.Field{Name: "email", Message: "This account is disabled. If you still need OnePC, ask the administrator of your Place or ICB."})
		return nil
	}
	sess, err := s.store.CreateSession(r.Context(), user.ID, user.Email)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, sess.Token, sess.ExpiresAt))
	if state.MustChange && !wantsJSON(r) {
		http.Redirect(w, r, "/account?must=1", http.StatusSeeOther)
		return nil
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, map[string]string{"csrf_token": sess.CSRFToken})
	}
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return formatNumber(n) + " " + word + "s"
}

// cookie builds the session cookie: HttpOnly, SameSite=Lax, Secure whenever
// the request came over HTTPS (directly or through a proxy). Its lifetime
// is sent as Max-Age, counted by the browser's own clock, so a browser
// whose clock differs from the server's keeps it for as long as the session.
func (s *Server) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	maxAge := 0
	if !expires.IsZero() {
		if maxAge = int(expires.Sub(s.now()).Seconds()); maxAge <= 0 {
			maxAge = -1 // already ended: delete it
		}
	}
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secure || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	}
}

// logout ends this session, or (everywhere=1) every session of the user:
// after sign-in on a shared or lost computer, the way to end the others.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := readForm(r); err != nil {
		return err
	}
	end := func() error { return s.store.DeleteSession(r.Context(), rq.session.Token, rq.actor()) }
	if r.PostForm.Get("everywhere") != "" {
		end = func() error { return s.store.DeleteUserSessions(r.Context(), rq.user.ID, rq.actor()) }
	}
	if err := end(); err != nil {
		return err
	}
	c := s.cookie(r, "", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	to := "/login?signed_out=1"
	if _, end := s.providerSignOut(r, rq.session.Provider); end != "" {
		to += "&provider=" + url.QueryEscape(rq.session.Provider)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
