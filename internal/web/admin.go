package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/audit"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/store"
)

type usersData struct {
	Text      string            `json:"text"`
	Users     []people.User     `json:"users"`
	Elsewhere map[int64]int     `json:"roles_elsewhere,omitempty"` // by user: roles at organisations not theirs to see
	Total     int               `json:"total"`
	Pager     pager             `json:"-"`
	Form      map[string]string `json:"-"`
	Notice    string            `json:"-"`
}

// adminScope is every organisation the signed-in administrator manages;
// nil when they are at the top of a hierarchy and manage everyone.
func (s *Server) adminScope(r *http.Request, rq *request) (map[string]bool, error) {
	return s.scopeFor(r, rq, people.ManageUsers)
}

// scopeFor is every organisation where the signed-in person holds perm; nil
// when they hold it at the top of a hierarchy, over everyone (the audit
// log's and the outbox's readers, with people.ViewAudit).
func (s *Server) scopeFor(r *http.Request, rq *request, perm people.Permission) (map[string]bool, error) {
	rs := roots(rq.user, perm)
	if top, err := s.atTop(r, rs); err != nil || top {
		return nil, err
	}
	return s.store.Scope(r.Context(), rs, rq.today)
}

// atTop reports whether any of the organisations has none above it.
func (s *Server) atTop(r *http.Request, codes []string) (bool, error) {
	for _, code := range codes {
		o, err := s.store.Org(r.Context(), code)
		if err != nil {
			return false, err
		}
		if o.ParentCode == "" {
			return true, nil
		}
	}
	return false, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderUsers(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	scope, err := s.adminScope(r, rq)
	if err != nil {
		return err
	}
	d := usersData{Text: strings.TrimSpace(r.URL.Query().Get("q")), Form: form}
	d.Users, d.Total, err = s.store.Users(r.Context(), store.UserQuery{Scope: scope, AddedBy: rq.actor(), Text: d.Text, Limit: pageSize, Offset: offsetFrom(r)})
	if err != nil {
		return err
	}
	d.Elsewhere = map[int64]int{}
	for i := range d.Users {
		var n int
		d.Users[i], n = rolesHere(d.Users[i], scope)
		if n > 0 {
			d.Elsewhere[d.Users[i].ID] = n
		}
	}
	d.Pager = newPager(r, d.Total)
	return s.render(w, r, rq, status, "users", page{Title: "Users", Nav: "users", Errors: errs, Data: d})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Email    string `form:"email"`
		Name     string `form:"name"`
		Password string `form:"password"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	u, err := people.NewUser(in.Email, in.Name, in.Password)
	if err == nil {
		var hash string
		if hash, err = people.HashPassword(in.Password); err != nil {
			return err
		}
		// The administrator chose it: the person chooses their own at first sign-in.
		u, err = s.store.AddUserGivenPassword(r.Context(), rq.actor(), u, hash)
	}
	if err != nil {
		if k := problem.KindOf(err); (k == problem.Invalid || k == problem.Conflict) && !wantsJSON(r) {
			typed := map[string]string{"email": in.Email, "name": in.Name} // never the password
			return s.renderUsers(w, r, rq, statusOf(k), typed, problem.FieldsOf(err))
		}
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, u)
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=added", http.StatusSeeOther)
	return nil
}

type userData struct {
	User            people.User       `json:"user"`
	Disabled        bool              `json:"disabled"`
	MustChange      bool              `json:"must_change_password"`
	Identities      []store.Identity  `json:"identities"`
	Providers       []ssoButton       `json:"-"`
	ProviderOptions []string          `json:"-"`               // value, label pairs
	SourceNames     map[string]string `json:"-"`               // grant source → the provider's name
	Manage          map[string]bool   `json:"-"`               // grants (role|org) this admin may revoke
	Elsewhere       int               `json:"roles_elsewhere"` // roles at organisations this admin does not administer, not shown
	WhyNot          string            `json:"-"`               // why this admin may not act for the person as a whole (targetWholeUser), or ""
	MailResets      bool              `json:"-"`               // people can be sent a link to set a password themselves
	Roles           []people.Role     `json:"-"`
	Form            map[string]string `json:"-"`
	Notice          string            `json:"-"`
}

var errNoSuchUser = problem.New(problem.NotFound, "There is no such user among the people you administer")

// targetUser loads the user named in the path, if the admin may see them:
// they hold a role in the admin's scope, or none yet.
func (s *Server) targetUser(r *http.Request, rq *request) (people.User, map[string]bool, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return people.User{}, nil, errNoSuchUser
	}
	u, err := s.store.User(r.Context(), id)
	if problem.KindOf(err) == problem.NotFound {
		return people.User{}, nil, errNoSuchUser
	} else if err != nil {
		return u, nil, err
	}
	scope, err := s.adminScope(r, rq)
	if err != nil {
		return u, nil, err
	}
	if !people.Manages(rq.user, scope, scope == nil, u) {
		// As for no such user: a different answer would tell anyone who
		// administers anywhere which ids are people.
		return people.User{}, nil, errNoSuchUser
	}
	return u, scope, nil
}

// rolesHere is the person with only their roles in the administrator's
// scope (nil: a top administrator's, all of them), and how many others they
// hold: where else a person works is for the administrators there, so it is
// counted, never named.
func rolesHere(u people.User, scope map[string]bool) (people.User, int) {
	if scope == nil {
		return u, 0
	}
	all, elsewhere := u.Grants, 0
	u.Grants = nil
	for _, g := range all {
		if scope[g.OrgCode] {
			u.Grants = append(u.Grants, g)
		} else {
			elsewhere++
		}
	}
	return u, elsewhere
}

// targetWholeUser is targetUser for what acts for the person as a whole (a
// reset link signs in with every role they hold; disabling ends them all):
// only an administrator at the top of the hierarchy, or one managing every
// role they hold (people.ManagesWhole), may.
func (s *Server) targetWholeUser(r *http.Request, rq *request, what string) (people.User, map[string]bool, error) {
	u, scope, err := s.targetUser(r, rq)
	if err != nil {
		return u, nil, err
	}
	if why := people.WhyNotWhole(scope, scope == nil, u); why != "" {
		return u, nil, problem.New(problem.Forbidden, "Only an administrator at the top of the hierarchy can %s for %s: %s.", what, u.Name, why)
	}
	return u, scope, nil
}

var notices = map[string]string{
	"added":    "User added. Now give them a role at an organisation.",
	"granted":  "Role given.",
	"revoked":  "Role taken away. Their sessions have been kept; the change applies to their next page.",
	"linked":   "Sign-in identity linked. They can now sign in through that service.",
	"unlinked": "Sign-in identity unlinked.",
	"disabled": "Account disabled: their sessions and API tokens have ended, and they cannot sign in.",
	"enabled":  "Account enabled: they can sign in again.",
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, scope, err := s.targetUser(r, rq)
	if err != nil {
		return err
	}
	return s.renderUser(w, r, rq, http.StatusOK, u, scope, nil, nil)
}

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, rq *request, status int, u people.User, scope map[string]bool, form map[string]string, errs problem.Fields) error {
	d := userData{User: u, Manage: map[string]bool{}, Roles: people.Roles, Form: form,
		Notice: notices[r.URL.Query().Get("done")], Providers: s.ssoButtons(), SourceNames: map[string]string{}}
	for _, b := range d.Providers {
		d.ProviderOptions = append(d.ProviderOptions, b.ID, b.Name)
		d.SourceNames[sso.Source(b.ID)] = b.Name
	}
	var err error
	if d.Identities, err = s.store.Identities(r.Context(), u.ID); err != nil {
		return err
	}
	state, err := s.store.LoginState(r.Context(), u.ID)
	if err != nil {
		return err
	}
	d.Disabled, d.MustChange = state.Disabled, state.MustChange
	d.WhyNot = people.WhyNotWhole(scope, scope == nil, u)
	d.MailResets = d.WhyNot != "" && s.mailResets()
	d.User, d.Elsewhere = rolesHere(u, scope)
	for _, g := range d.User.Grants {
		d.Manage[string(g.Role)+"|"+g.OrgCode] = true
	}
	return s.render(w, r, rq, status, "user", page{Title: u.Name, Nav: "users", Errors: errs, Data: d, Notice: d.Notice})
}

func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.changeGrant(w, r, rq, true)
}

func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.changeGrant(w, r, rq, false)
}

// changeGrant gives or takes away a role. The organisation comes from the
// form, so access is checked here with the same Authorize as every route.
func (s *Server) changeGrant(w http.ResponseWriter, r *http.Request, rq *request, give bool) error {
	u, scope, err := s.targetUser(r, rq)
	if err != nil {
		return err
	}
	var form struct {
		Role string `form:"role"`
		Org  string `form:"org"`
	}
	if err := decodeInto(r, &form); err != nil {
		return err
	}
	form.Org = strings.ToUpper(strings.TrimSpace(form.Org))
	in := map[string]string{"role": form.Role, "org": form.Org} // shown again with any problem
	var errs problem.Fields
	role, rerr := people.ParseRole(form.Role)
	if rerr != nil {
		errs.Add("role", "Choose a role")
	}
	if form.Org == "" {
		errs.Add("org", "Enter the ODS code of the organisation, for example Y00001")
	}
	if err := errs.Err(); err == nil {
		ok, cerr := s.can(r.Context(), rq, people.ManageUsers, form.Org)
		switch {
		case problem.KindOf(cerr) == problem.NotFound:
			errs.Add("org", "There is no organisation with the code "+form.Org)
		case cerr != nil:
			return cerr
		case !ok:
			return problem.New(problem.Forbidden, "You can only manage roles at organisations you administer; %s is not one of them.", form.Org)
		}
	}
	if len(errs) == 0 {
		if give {
			err = s.store.GrantRole(r.Context(), rq.actor(), u.ID, role, form.Org)
		} else {
			err = s.store.RevokeRole(r.Context(), rq.actor(), u.ID, role, form.Org)
		}
		errs = problem.FieldsOf(err)
		if err != nil && len(errs) == 0 {
			if k := problem.KindOf(err); k == problem.Conflict || k == problem.Invalid {
				errs.Add("org", problem.Message(err))
			} else {
				return err
			}
		}
	}
	if len(errs) > 0 {
		if wantsJSON(r) {
			return &problem.Error{Kind: problem.Invalid, Fields: errs}
		}
		return s.renderUser(w, r, rq, http.StatusUnprocessableEntity, u, scope, in, errs)
	}
	done := "granted"
	if !give {
		done = "revoked"
	}
	if wantsJSON(r) {
		u, err = s.store.User(r.Context(), u.ID)
		if err != nil {
			return err
		}
		u, _ = rolesHere(u, scope)
		return writeJSON(w, http.StatusOK, u)
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done="+done, http.StatusSeeOther)
	return nil
}

type auditData struct {
	Entries         []audit.Entry `json:"entries"`
	Total           int           `json:"total"`
	Older           string        `json:"-"`
	Verified        *verifyResult `json:"verified,omitempty"`
	Org, By, Action string        `json:"-"` // the filters
	Kinds           []string      `json:"-"`
}

// auditKinds are the kinds of action the log can be filtered by, as the
// action codes begin.
var auditKinds = []string{"capability", "claim", "claims", "import", "measure", "membership", "mustdo", "offer", "org", "payments",
	"population", "records", "retention", "service", "session", "sso", "token", "user"}

type verifyResult struct {
	Checked int    `json:"checked"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// auditPage lists the log newest first, 50 at a time (?before=seq pages
// back), and checks the whole chain when asked (?verify=1).
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	aq := store.AuditQuery{Roots: roots(rq.user, people.ViewAudit), Actor: rq.actor(), On: rq.today, Entity: q.Get("entity"), EntityID: q.Get("id"),
		Org: strings.TrimSpace(q.Get("org")), By: strings.TrimSpace(q.Get("by")), Action: q.Get("action"), BeforeSeq: before, Limit: 50}
	// An administrator at the top of a hierarchy (an organisation with none
	// above it) reads the whole log; others, their organisations'.
	var err error
	if aq.All, err = s.atTop(r, aq.Roots); err != nil {
		return err
	}
	if aq.National, err = s.atICB(r, rq, people.ViewAudit); err != nil {
		return err
	}
	entries, total, err := s.store.AuditEntries(r.Context(), aq)
	if err != nil {
		return err
	}
	d := auditData{Entries: entries, Total: total, Org: aq.Org, By: aq.By, Action: aq.Action, Kinds: auditKinds}
	if len(entries) == 50 {
		older := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].Seq, 10)}}
		for k, v := range map[string]string{"org": aq.Org, "by": aq.By, "action": aq.Action, "entity": aq.Entity, "id": aq.EntityID} {
			if v != "" {
				older.Set(k, v)
			}
		}
		d.Older = "/admin/audit?" + older.Encode()
	}
	if q.Get("verify") != "" {
		n, err := s.store.VerifyAudit(r.Context())
		d.Verified = &verifyResult{Checked: n, OK: err == nil}
		if err != nil {
			d.Verified.Problem = err.Error()
		}
	}
	return s.render(w, r, rq, http.StatusOK, "audit", page{Title: "Audit log", Nav: "audit", Data: d})
}

// resetLink makes a one-use link, for a day, for the administrator to pass
// on to a person who has forgotten their password (where mail is not set
// up, or has not arrived). It is shown once.
func (s *Server) resetLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, scope, err := s.targetWholeUser(r, rq, "make a reset link")
	if err != nil {
		return err
	}
	secret, err := s.store.CreateReset(r.Context(), rq.actor(), u.ID, 24*time.Hour)
	if err != nil {
		return err
	}
	link := s.publicBase(r) + "/login/reset?token=" + secret
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, map[string]string{"link": link})
	}
	return s.renderUser(w, r, rq, http.StatusCreated, u, scope, map[string]string{"reset_link": link}, nil)
}

// disableUser disables a person (every session and token ends; sign-in is
// refused) or, with enable=1, lets them in again.
func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, _, err := s.targetWholeUser(r, rq, "disable or enable the account")
	if err != nil {
		return err
	}
	var in struct {
		Enable bool `form:"enable"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if u.ID == rq.user.ID && !in.Enable {
		return problem.New(problem.Invalid, "You cannot disable your own account: ask another administrator")
	}
	if err := s.store.SetDisabled(r.Context(), rq.actor(), u.ID, !in.Enable); err != nil {
		return err
	}
	done := "disabled"
	if in.Enable {
		done = "enabled"
	}
	return s.doneRedirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done="+done)
}

type orphansData struct {
	Orphans []orgs.Org        `json:"orphans"`
	Typed   map[string]string `json:"-"` // parent typed, by organisation
}

// errNotTop answers an administrator below the top of a hierarchy: the
// organisations under no one are in nobody's scope but the top's.
var errNotTop = problem.New(problem.Forbidden, "Only an administrator at an ICB or a region can place organisations that sit under no one.")

// atICB reports whether the person holds perm at an ICB or a region: the
// things shared across Places (organisations under no one, shipped
// measures) are for them.
// Each grant carries its organisation's kind, so no query is needed.
func (s *Server) atICB(r *http.Request, rq *request, perm people.Permission) (bool, error) {
	for _, g := range rq.user.Grants {
		if k := orgs.Kind(g.OrgKind); g.Role.Allows(perm) && (k == orgs.ICB || k == orgs.Region) {
			return true, nil
		}
	}
	return false, nil
}

// orphansPage lists the organisations under no one, to place.
func (s *Server) orphansPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderOrphans(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderOrphans(w http.ResponseWriter, r *http.Request, rq *request, status int, typed map[string]string, errs problem.Fields) error {
	top, err := s.atICB(r, rq, people.ManageUsers)
	if err != nil {
		return err
	}
	if !top {
		return errNotTop
	}
	d := orphansData{Typed: typed}
	if d.Orphans, err = s.store.Orphans(r.Context()); err != nil {
		return err
	}
	notice := ""
	if r.URL.Query().Get("done") == "placed" {
		notice = "Placed: the roles at the organisation above it now reach it."
	}
	return s.render(w, r, rq, status, "orphans", page{Title: "Organisations under no one", Nav: "users", Data: d, Errors: errs, Notice: notice})
}

// placeOrphan puts an organisation under the parent typed.
func (s *Server) placeOrphan(w http.ResponseWriter, r *http.Request, rq *request) error {
	top, err := s.atICB(r, rq, people.ManageUsers)
	if err != nil {
		return err
	}
	if !top {
		return errNotTop
	}
	var in struct {
		Parent string `form:"parent"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	code := strings.ToUpper(r.PathValue("code"))
	// Under an organisation the administrator administers, not another ICB's.
	if ok, err := s.can(r.Context(), rq, people.ManageUsers, strings.ToUpper(strings.TrimSpace(in.Parent))); err != nil && problem.KindOf(err) != problem.NotFound {
		return err
	} else if !ok && strings.TrimSpace(in.Parent) != "" {
		err := problem.BadField("parent", "%s is not an organisation you administer: place it under one of yours", in.Parent)
		if wantsJSON(r) {
			return err
		}
		return s.renderOrphans(w, r, rq, http.StatusUnprocessableEntity, map[string]string{code: in.Parent},
			problem.Fields{{Name: "parent-" + code, Message: problem.Message(err)}})
	}
	if err := s.store.PlaceOrg(r.Context(), rq.actor(), code, in.Parent); err != nil {
		if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
			return s.renderOrphans(w, r, rq, http.StatusUnprocessableEntity, map[string]string{code: in.Parent},
				problem.Fields{{Name: "parent-" + code, Message: problem.Message(err)}})
		}
		return err
	}
	return s.doneRedirect(w, r, "/admin/orphans?done=placed")
}
