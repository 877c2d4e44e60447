package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// accountData is a person's own page: who they are, their roles, and the
// API tokens their scripts use.
type accountData struct {
	User     people.User       `json:"user"`
	Tokens   []people.APIToken `json:"tokens"`
	NewToken string            `json:"token,omitempty"` // shown once, when just made
	Must     bool              `json:"must_change_password"`
	Made     *people.APIToken  `json:"-"`
	Typed    map[string]string `json:"-"`
	Active   map[int64]bool    `json:"-"`
}

var errTokenByToken = problem.New(problem.Forbidden, "API tokens are made and revoked on your account page, signed in, not with a token.")

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "revoked":
		notice = "The token is revoked: it no longer works."
	case "password":
		notice = "Your password is changed. Your other sessions have ended."
	}
	return s.renderAccount(w, r, rq, http.StatusOK, nil, nil, notice)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, rq *request, status int, typed map[string]string, errs problem.Fields, notice string) error {
	return s.renderAccountData(w, r, rq, status, &accountData{Typed: typed}, errs, notice)
}

// renderAccountData fills d (what a handler has put in it, such as a token
// just made) with the person and their tokens, and draws the page.
func (s *Server) renderAccountData(w http.ResponseWriter, r *http.Request, rq *request, status int, d *accountData, errs problem.Fields, notice string) error {
	d.User, d.Active, d.Must = rq.user, map[int64]bool{}, rq.session.MustChange
	var err error
	if d.Tokens, err = s.store.Tokens(r.Context(), rq.user.ID); err != nil {
		return err
	}
	for _, t := range d.Tokens {
		d.Active[t.ID] = t.Active(s.now())
	}
	return s.render(w, r, rq, status, "account", page{Title: "Your account", Data: d, Errors: errs, Notice: notice})
}

// createToken makes a personal API token and shows it, once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.token != nil {
		return errTokenByToken
	}
	var in struct {
		Name  string `form:"name"`
		Days  int    `form:"days"`
		Write bool   `form:"write"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	t, secret, err := s.store.CreateToken(r.Context(), rq.actor(), rq.user.ID, in.Name, in.Write, in.Days)
	if err != nil {
		if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
			return s.renderAccount(w, r, rq, http.StatusUnprocessableEntity, map[string]string{"name": in.Name, "days": strconv.Itoa(in.Days)}, problem.FieldsOf(err), "")
		}
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, struct {
			people.APIToken
			Token string `json:"token"`
		}{t, secret})
	}
	// Answered with the page itself (not a redirect): the token is shown
	// this once, and never kept.
	return s.renderAccountData(w, r, rq, http.StatusCreated, &accountData{NewToken: secret, Made: &t}, nil, "")
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.token != nil {
		return errTokenByToken
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such token")
	}
	if err := s.store.RevokeToken(r.Context(), rq.actor(), rq.user.ID, id); err != nil {
		return err
	}
	return s.doneRedirect(w, r, "/account?done=revoked")
}

// changePassword sets a new password for the person signed in, after their
// current one; their other sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.token != nil {
		return problem.New(problem.Forbidden, "A password is changed on your account page, signed in, not with a token.")
	}
	var in struct {
		Current  string `form:"current"`
		Password string `form:"password"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	var errs problem.Fields
	hash, err := s.store.PasswordHash(r.Context(), rq.user.ID)
	if err != nil {
		return err
	}
	release, err := s.hashSlot(w, r)
	if err != nil {
		return err
	}
	defer release()
	if !people.CheckPasswordHash(hash, in.Current) {
		errs.Add("current", "That is not your current password")
	}
	if why := people.CheckPassword(in.Password, rq.user.Email, rq.user.Name); why != "" {
		errs.Add("password", why)
	} else if in.Password == in.Current {
		errs.Add("password", "Choose a password different from the current one")
	}
	if len(errs) > 0 {
		if wantsJSON(r) {
			return &problem.Error{Kind: problem.Invalid, Message: "The password was not changed", Fields: errs}
		}
		return s.renderAccount(w, r, rq, http.StatusUnprocessableEntity, nil, errs, "")
	}
	newHash, err := people.HashPassword(in.Password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(r.Context(), rq.actor(), rq.user.ID, newHash, false, rq.session.Token); err != nil {
		return err
	}
	return s.doneRedirect(w, r, "/account?done=password")
}

// hashSlot waits for one of the password-hashing slots, and returns its
// release. A password check takes about 19 MiB and a core for a moment: at
// most one runs per core at once; others wait (a month-end rush of sign-ins
// queues, and is served), and after hashWait are asked to try again.
func (s *Server) hashSlot(w http.ResponseWriter, r *http.Request) (func(), error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-time.After(s.hashWait):
		w.Header().Set("Retry-After", "2")
		return nil, problem.New(problem.TooMany, "OnePC is busy. Wait a moment and try again.")
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// mailResets reports whether a forgotten password can be reset by email:
// mail is sent, and links can name this site.
func (s *Server) mailResets() bool { return s.mailOn && s.publicURL != "" }

type forgotData struct {
	ByEmail bool
	Sent    bool
	Email   string
	Token   string // on the reset page: the link's token
}

func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.render(w, r, rq, http.StatusOK, "forgot", page{Title: "Forgotten your password?", Data: forgotData{ByEmail: s.mailResets()}})
}

// forgot emails a link to set a new password, where mail is set up; the
// answer is the same whether or not the address has an account.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Email string `form:"email"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	d := forgotData{ByEmail: s.mailResets(), Email: email}
	if !d.ByEmail {
		return s.render(w, r, rq, http.StatusOK, "forgot", page{Title: "Forgotten your password?", Data: d})
	}
	if email == "" || len(email) > 254 {
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "forgot", page{Title: "Forgotten your password?", Data: d,
			Errors: problem.Fields{{Name: "email", Message: "Enter the email address you sign in with"}}})
	}
	// Counted as sign-in attempts, so that the form cannot flood an inbox.
	ok, _, err := s.store.TakeLoginAttempt(r.Context(), email, clientIP(r))
	if err != nil {
		return err
	}
	if u, err := s.store.UserByEmail(r.Context(), email); err == nil && ok {
		if secret, err := s.store.CreateReset(r.Context(), "forgot:"+email, u.ID, store.ResetLife); err == nil {
			link := s.publicURL + "/login/reset?token=" + secret
			// Keyed by a hash, not by the secret's start: administrators read keys.
			key := sha256.Sum256([]byte("outbox:" + secret))
			if err := s.store.QueueMail(r.Context(), "reset/"+hex.EncodeToString(key[:8]), u.Email, "Set a new OnePC password",
				"Someone (we hope you) asked to set a new password for your OnePC account.\n\nTo set one, open this link within an hour. It works once:\n\n"+link+
					"\n\nIf you did not ask, ignore this email: your password stays as it is.\n"); err != nil {
				return err
			}
		} else if problem.KindOf(err) != problem.Conflict { // disabled: nothing is sent
			return err
		}
	} else if err != nil && problem.KindOf(err) != problem.NotFound {
		return err
	}
	d.Sent = true
	return s.render(w, r, rq, http.StatusOK, "forgot", page{Title: "Forgotten your password?", Data: d})
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	token := r.URL.Query().Get("token")
	if _, err := s.store.ResetUser(r.Context(), token); err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "reset", page{Title: "Set a new password", Data: forgotData{Token: token}})
}

// reset sets a new password through a link, once.
func (s *Server) reset(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Token    string `form:"token"`
		Password string `form:"password"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	id, err := s.store.ResetUser(r.Context(), in.Token)
	if err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), id)
	if err != nil {
		return err
	}
	if why := people.CheckPassword(in.Password, u.Email, u.Name); why != "" {
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "reset", page{Title: "Set a new password", Data: forgotData{Token: in.Token},
			Errors: problem.Fields{{Name: "password", Message: why}}})
	}
	hash, err := people.HashPassword(in.Password)
	if err != nil {
		return err
	}
	if _, err := s.store.UseReset(r.Context(), in.Token, hash); err != nil {
		return err
	}
	http.Redirect(w, r, "/login?done=reset", http.StatusSeeOther)
	return nil
}
