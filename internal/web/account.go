package web

import (
	"net/http"
	"strconv"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// accountData is a person's own page: who they are, their roles, and the
// API tokens their scripts use.
type accountData struct {
	User     people.User       `json:"user"`
	Tokens   []people.APIToken `json:"tokens"`
	NewToken string            `json:"token,omitempty"` // shown once, when just made
	Made     *people.APIToken  `json:"-"`
	Typed    map[string]string `json:"-"`
	Now      int64             `json:"-"`
	Active   map[int64]bool    `json:"-"`
}

var errTokenByToken = problem.New(problem.Forbidden, "API tokens are made and revoked on your account page, signed in, not with a token.")

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	notice := ""
	if r.URL.Query().Get("done") == "revoked" {
		notice = "The token is revoked: it no longer works."
	}
	return s.renderAccount(w, r, rq, http.StatusOK, nil, nil, notice)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, rq *request, status int, typed map[string]string, errs problem.Fields, notice string) error {
	d := &accountData{User: rq.user, Typed: typed, Active: map[int64]bool{}}
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
	d := &accountData{User: rq.user, NewToken: secret, Made: &t, Active: map[int64]bool{}}
	if d.Tokens, err = s.store.Tokens(r.Context(), rq.user.ID); err != nil {
		return err
	}
	for _, x := range d.Tokens {
		d.Active[x.ID] = x.Active(s.now())
	}
	// Answered with the page itself (not a redirect): the token is shown
	// this once, and never kept.
	return s.render(w, r, rq, http.StatusCreated, "account", page{Title: "Your account", Data: d})
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
