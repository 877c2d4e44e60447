package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

const sessionCookie = "onepc_session"

// request is what a handler knows about who is asking.
type request struct {
	user      people.User
	session   store.Session
	token     *people.APIToken // the API token the request was signed in by, if any
	today     time.Time
	guest     *plans.Guest // a guest of one planning round, signed in by a join code (route.guest only)
	chain     []string     // the checked organisation and those above it, when the route names one
	dataVer   int64        // store.DataVersion, read once a request when a cache asks
	mustDoVer int64        // store.MustDoVersion, read with it
}

// actor names the user (or guest) in the audit log.
func (rq *request) actor() string {
	if rq.guest != nil {
		return "guest:" + strconv.FormatInt(rq.guest.ID, 10)
	}
	return rq.user.Email
}

// wrap turns a route into a handler: it signs the user in, checks CSRF on
// writes, asks people.Authorize, then runs the handler and reports its error.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{today: orgs.Today(s.now())}
		w.Header().Set("Cache-Control", "no-store")
		if s.demo { // files and JSON say so too, where no banner can
			w.Header().Set("OnePC-Data", "synthetic demonstration data")
		}
		if err := checkAddress(r); err != nil {
			s.fail(w, r, rq, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := rt.maxBody
			if limit == 0 {
				limit = formLimit
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, limit))
		}
		if rt.perm != "" {
			err := s.authorize(r, rt, rq)
			if rt.guest && problem.KindOf(err) == problem.Unauthorized && hasGuestCookie(r) {
				err = s.signInGuest(r, rq) // nobody signed in, but a guest of a planning round
			}
			if err != nil {
				s.fail(w, r, rq, err)
				return
			}
		} else {
			s.signIn(r, rq) // open pages still show who is signed in, if anyone
		}
		// A password an administrator gave must be replaced before anything else.
		if rq.session.MustChange && !mustChangeAllows[rt.pattern] {
			if r.Method == http.MethodGet && !wantsJSON(r) {
				http.Redirect(w, r, "/account?must=1", http.StatusSeeOther)
				return
			}
			s.fail(w, r, rq, errMustChange)
			return
		}
		if r.Method == http.MethodPost && rq.user.ID != 0 {
			if key := formKey(r); key != "" {
				s.once(w, r, rq, key, !rt.session, func(w http.ResponseWriter) error { return rt.handle(w, r, rq) })
				return
			}
		}
		if err := rt.handle(w, r, rq); err != nil {
			s.fail(w, r, rq, err)
		}
	})
}

var errSignIn = &problem.Error{Kind: problem.Unauthorized, Message: "Sign in to use OnePC."}

// mustChangeAllows are the routes open to someone who must first replace
// the password they were given.
var mustChangeAllows = map[string]bool{"GET /account": true, "POST /account/password": true, "POST /logout": true}

var errMustChange = &problem.Error{Kind: problem.Forbidden, Message: "Choose your own password first, on your account page: the one you were given is for your first sign-in only."}

var (
	errTokenWhere    = &problem.Error{Kind: problem.Unauthorized, Message: "An API token is sent as \"Authorization: Bearer onepc_…\", and only to the JSON API under /api/."}
	errTokenNotHere  = &problem.Error{Kind: problem.Forbidden, Message: "This is done signed in, on OnePC's pages, never with an API token: making tokens, passwords, calendar addresses, and who may do what."}
	errTokenReadOnly = &problem.Error{Kind: problem.Forbidden, Message: "This API token is read-only: make one that may write, on your account page, to change anything."}
)

// signInByToken signs a script in by its personal API token, under /api
// only: a token in a page's request would be a credential a browser sends
// by itself.
func (s *Server) signInByToken(r *http.Request, rq *request, header string) error {
	secret, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || !strings.HasPrefix(r.URL.Path, "/api/") {
		return errTokenWhere
	}
	tok, u, err := s.store.TokenUser(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		return err
	}
	rq.user, rq.token = u, &tok
	return nil
}

// signIn loads the session named by the cookie and its user, from the
// database on every request: a sign-out or a change of roles on any server
// holds on the next request everywhere.
func (s *Server) signIn(r *http.Request, rq *request) error {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.signInByToken(r, rq, h)
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return errSignIn
	}
	if rq.session, rq.user, err = s.store.SessionUser(r.Context(), ck.Value); err != nil {
		rq.user = people.User{}
		return err
	}
	return nil
}

// authorize signs the user in, checks the route's permission at its
// organisation, and only then reads a write's body for its CSRF token, so
// that nobody without the right can make the server read what they send.
func (s *Server) authorize(r *http.Request, rt route, rq *request) error {
	if err := s.signIn(r, rq); err != nil {
		return err
	}
	if err := s.checkPermission(r, rt, rq); err != nil {
		return err
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if rq.token != nil { // no cookie, so no forgery to guard against; but a write needs a token that may write
		if rt.session {
			return errTokenNotHere
		}
		if !rq.token.CanWrite {
			return errTokenReadOnly
		}
		return nil
	}
	return checkCSRF(r, rq.session.CSRFToken)
}

// checkCSRF compares a write's token (its X-CSRF-Token header, or else its
// form's csrf_token) with the session's, in constant time.
func checkCSRF(r *http.Request, want string) error {
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		if err := readForm(r); err != nil {
			return err
		}
		token = r.PostForm.Get("csrf_token")
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

func (s *Server) checkPermission(r *http.Request, rt route, rq *request) error {
	if rt.org != "" {
		code := r.PathValue(rt.org)
		var err error
		if rq.chain, err = s.ancestry(r.Context(), rq, code); err != nil {
			return err
		}
		if !people.Authorize(rq.user.Grants, rt.perm, rq.chain) {
			return problem.New(problem.Forbidden,
				"Your roles do not give you access to %s. If you need it, ask an administrator of that organisation.", code)
		}
		if rt.here && !people.AuthorizeHere(rq.user.Grants, rt.perm, code) {
			if rt.delegable {
				d, err := s.store.DelegatedTo(r.Context(), code)
				if err != nil {
					return err
				}
				if d.PCN != "" && people.AuthorizeHere(rq.user.Grants, rt.perm, d.PCN) {
					return nil
				}
				return problem.New(problem.Forbidden,
					"Only %s's own people can do this, unless the practice lets its PCN make its claims (on its Monthly return page).", code)
			}
			return problem.New(problem.Forbidden,
				"Only people who hold a role at %s itself can do this; those above it can look, not change.", code)
		}
		return nil
	}
	if !people.Authorize(rq.user.Grants, rt.perm, nil) {
		return problem.New(problem.Forbidden, "Your roles do not give you access to this page.")
	}
	return nil
}

// dataVersion reads store.DataVersion once a request (with
// store.MustDoVersion, in the same query).
func (s *Server) dataVersion(ctx context.Context, rq *request) (int64, error) {
	if rq.dataVer == 0 {
		d, m, err := s.store.Versions(ctx)
		if err != nil {
			return 0, err
		}
		rq.dataVer, rq.mustDoVer = d, m
	}
	return rq.dataVer, nil
}

// mustDoVersion is store.MustDoVersion, read once a request.
func (s *Server) mustDoVersion(ctx context.Context, rq *request) (int64, error) {
	_, err := s.dataVersion(ctx, rq)
	return rq.mustDoVer, err
}

// scope is every organisation at or below the roots, today, shared by the
// requests of one data version: callers must not change it.
func (s *Server) scope(ctx context.Context, rq *request, roots []string) (map[string]bool, error) {
	v, err := s.dataVersion(ctx, rq)
	if err != nil {
		return nil, err
	}
	key := strings.Join(slices.Sorted(slices.Values(roots)), ",") + "|" + rq.today.Format(time.DateOnly)
	if sc, ok := s.scopes.Get(v, key); ok {
		return sc, nil
	}
	sc, err := s.store.Scope(ctx, roots, rq.today)
	if err == nil {
		s.scopes.Put(v, key, sc)
	}
	return sc, err
}

// ancestry is the organisation and those above it, today, shared by the
// requests of one data version: every request on an organisation asks.
func (s *Server) ancestry(ctx context.Context, rq *request, code string) ([]string, error) {
	v, err := s.dataVersion(ctx, rq)
	if err != nil {
		return nil, err
	}
	key := code + "|" + rq.today.Format(time.DateOnly)
	if chain, ok := s.chains.Get(v, key); ok {
		return chain, nil
	}
	chain, err := s.store.Ancestry(ctx, code, rq.today)
	if err == nil {
		s.chains.Put(v, key, chain)
	}
	return chain, err
}

// can reports whether the signed-in user holds p at org (and so may act
// there); handlers that act on an organisation named in a form use this, the
// same decision the route table makes.
func (s *Server) can(ctx context.Context, rq *request, p people.Permission, org string) (bool, error) {
	chain, err := s.ancestry(ctx, rq, org)
	if err != nil {
		return false, err
	}
	return people.Authorize(rq.user.Grants, p, chain), nil
}

// roots returns the organisations at which the user holds p: the tops of
// what they may see.
func roots(u people.User, p people.Permission) []string {
	var out []string
	for _, g := range u.Grants {
		if g.Role.Allows(p) {
			out = append(out, g.OrgCode)
		}
	}
	return out
}

// securityHeaders sets a strict policy: no inline script, no framing, no
// sniffing. Fonts may come from the NHS's own font host.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self' https://assets.nhs.uk; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection beneath: a
// live stream flushes each event and extends its write deadline.
func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

func (sr *statusRecorder) WriteHeader(code int) {
	sr.status = code
	sr.ResponseWriter.WriteHeader(code)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sr := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sr, r)
		level := slog.LevelInfo
		switch {
		case sr.status >= 500:
			level = slog.LevelError
		case sr.status >= 400:
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sr.status), slog.Duration("took", time.Since(start)))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, nil, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return problem.New(problem.NotFound, "There is no page at %s. Check the address, or go to the home page.", r.URL.Path)
}
