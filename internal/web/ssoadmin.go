package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
)

// providerView is a provider as administrators see it: never its secret.
type providerView struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Label           string            `json:"label"`
	Kind            sso.Kind          `json:"kind"`
	Issuer          string            `json:"issuer"`
	ClientID        string            `json:"client_id"`
	ClientAuth      string            `json:"client_auth"`
	Scopes          []string          `json:"scopes"`
	CreateUsers     bool              `json:"create_users"`
	TrustEmail      bool              `json:"trust_email"`
	MoneyACR        []string          `json:"money_acr"`
	MoneyNeedsGrant bool              `json:"money_needs_grant"`
	Claims          []sso.ClaimName   `json:"claims"`
	ClaimOptions    []string          `json:"-"` // value, label pairs for the form
	Rules           []sso.Rule        `json:"rules"`
	Form            map[string]string `json:"-"` // what was typed into this provider's form
	Errs            problem.Fields    `json:"-"` // and what is wrong with it
}

type ssoAdminData struct {
	Providers []providerView `json:"providers"`
	Roles     []string       `json:"-"` // value, label pairs
	OrgHint   string         `json:"-"`
}

var claimLabels = map[sso.ClaimName]string{
	sso.NRBACRole: "CIS2 role code (nhsid_nrbac_roles)",
	sso.Group:     "Group (groups claim)",
	sso.AppRole:   "App role (roles claim)",
}

func (s *Server) ssoAdminPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderSSOAdmin(w, r, rq, http.StatusOK, nil, nil)
}

// renderSSOAdmin lists the providers and the rules within the
// administrator's scope (every rule, for one at the top).
func (s *Server) renderSSOAdmin(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	rules, scope, err := s.visibleRules(r, rq)
	if err != nil {
		return err
	}
	d := ssoAdminData{OrgHint: "An organisation you administer. For a CIS2 rule, the role must be held there."}
	if scope == nil {
		d.OrgHint += " Or * for the organisation the CIS2 role is held at, whichever it is."
	}
	for _, role := range people.Roles {
		d.Roles = append(d.Roles, string(role), role.Label())
	}
	for _, c := range s.ssoOrder {
		p := c.Provider
		v := providerView{ID: p.ID, Name: p.Name, Label: p.Label, Kind: p.Kind, Issuer: p.Issuer, ClientID: p.ClientID, Scopes: p.Scopes,
			CreateUsers: p.CreateUsers, TrustEmail: p.TrustEmail, MoneyACR: p.MoneyACR, MoneyNeedsGrant: p.MoneyNeedsGrant,
			Claims: p.Kind.ClaimNames(), ClientAuth: "client secret"}
		if p.KeyFile != "" {
			v.ClientAuth = "private key (private_key_jwt)"
		}
		for _, n := range v.Claims {
			v.ClaimOptions = append(v.ClaimOptions, string(n), claimLabels[n])
		}
		for _, rule := range rules {
			if rule.Provider == p.ID {
				v.Rules = append(v.Rules, rule)
			}
		}
		if form["provider"] == p.ID {
			v.Form, v.Errs = form, errs
		}
		d.Providers = append(d.Providers, v)
	}
	// The error summary links to the fields of the provider's own form.
	var summary problem.Fields
	for _, e := range errs {
		if s.ssoClients[form["provider"]] != nil {
			e.Name = form["provider"] + "-" + e.Name
		}
		summary = append(summary, e)
	}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	notice := map[string]string{"added": "Rule added. It applies from each person's next sign-in.",
		"deleted": "Rule removed. Roles it gave end at each person's next sign-in through the service; take them away on the person's page to end them now."}[r.URL.Query().Get("done")]
	return s.render(w, r, rq, status, "sso_admin", page{Title: "Single sign-on", Nav: "users", Errors: summary, Data: d, Notice: notice})
}

func (s *Server) addSSORule(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Provider string `form:"provider"`
		Claim    string `form:"claim"`
		Value    string `form:"value"`
		Activity string `form:"activity"`
		Org      string `form:"org"`
		Role     string `form:"role"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	typed := map[string]string{"provider": in.Provider, "claim": in.Claim, "value": in.Value, "activity": in.Activity, "org": in.Org, "role": in.Role}
	c := s.ssoClients[in.Provider]
	if c == nil {
		return s.ruleProblem(w, r, rq, typed, problem.OnField(problem.Invalid, "provider", "Choose a sign-in service"))
	}
	rule := sso.Rule{Claim: sso.ClaimName(in.Claim), Value: in.Value, Activity: in.Activity, Org: in.Org, Role: people.Role(in.Role)}
	if err := rule.Check(c.Provider); err != nil {
		return s.ruleProblem(w, r, rq, typed, err)
	}
	scope, err := s.adminScope(r, rq)
	if err != nil {
		return err
	}
	if !rule.Within(scope) {
		msg := "You can only map roles at organisations you administer; " + rule.Org + " is not one of them"
		if rule.Org == sso.ClaimOrg {
			msg = "Only an administrator at the top of the hierarchy can map roles at whatever organisation the claim names (*); name an organisation you administer"
		}
		return s.ruleProblem(w, r, rq, typed, problem.OnField(problem.Forbidden, "org", msg))
	}
	rule, err = s.store.AddSSORule(r.Context(), rq.actor(), rule)
	if err != nil {
		return s.ruleProblem(w, r, rq, typed, err)
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, rule)
	}
	http.Redirect(w, r, "/admin/sso?done=added#provider-"+rule.Provider, http.StatusSeeOther)
	return nil
}

// ruleProblem shows the form again with what was typed and what is wrong;
// errors other than bad input go to the error page.
func (s *Server) ruleProblem(w http.ResponseWriter, r *http.Request, rq *request, typed map[string]string, err error) error {
	k := problem.KindOf(err)
	if (k != problem.Invalid && k != problem.Conflict && k != problem.Forbidden) || wantsJSON(r) {
		return err
	}
	errs := problem.FieldsOf(err)
	if len(errs) == 0 {
		errs.Add("value", problem.Message(err))
	}
	return s.renderSSOAdmin(w, r, rq, statusOf(k), typed, errs)
}

func (s *Server) deleteSSORule(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such rule")
	}
	rule, err := s.store.SSORule(r.Context(), id)
	if err != nil {
		return err
	}
	scope, err := s.adminScope(r, rq)
	if err != nil {
		return err
	}
	if !rule.Within(scope) {
		return problem.New(problem.Forbidden, "That rule gives roles at an organisation you do not administer.")
	}
	if _, err := s.store.DeleteSSORule(r.Context(), rq.actor(), id); err != nil {
		return err
	}
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/admin/sso?done=deleted", http.StatusSeeOther)
	return nil
}

// visibleRules are the mapping rules within the administrator's scope
// (nil for one at the top, who sees every rule).
func (s *Server) visibleRules(r *http.Request, rq *request) ([]sso.Rule, map[string]bool, error) {
	scope, err := s.adminScope(r, rq)
	if err != nil {
		return nil, nil, err
	}
	rules, err := s.store.SSORules(r.Context(), "", scope)
	return rules, scope, err
}

// ssoRulesCSV exports the mapping rules within the administrator's scope.
func (s *Server) ssoRulesCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	rules, _, err := s.visibleRules(r, rq)
	if err != nil {
		return err
	}
	cw := csvDownload(w, "sso-rules-"+rq.today.Format(time.DateOnly)+".csv")
	cw.Write([]string{"provider", "claim", "value", "activity", "org_code", "role", "added_by"})
	for _, rule := range rules {
		cw.Write([]string{rule.Provider, string(rule.Claim), rule.Value, rule.Activity, rule.Org, string(rule.Role), rule.AddedBy})
	}
	cw.Flush()
	return cw.Error()
}

// changeIdentity links a provider's person to a user, or unlinks them: for
// people whose provider sends no verified email. A sign-in linked to an
// account carries every role the account holds, so an administrator may
// only link people they manage as a whole (people.ManagesWhole).
func (s *Server) changeIdentity(w http.ResponseWriter, r *http.Request, rq *request, link bool) error {
	u, scope, err := s.targetWholeUser(r, rq, "link sign-ins")
	if err != nil {
		return err
	}
	var in struct {
		Provider string `form:"provider"`
		Subject  string `form:"subject"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	in.Subject = strings.TrimSpace(in.Subject)
	var errs problem.Fields
	if link && s.ssoClients[in.Provider] == nil { // unlinking works for a provider since removed
		errs.Add("provider", "Choose a sign-in service")
	}
	switch {
	case in.Subject == "":
		errs.Add("subject", "Enter the person's identifier at the sign-in service: the sub claim it sends OnePC")
	case len(in.Subject) > 255:
		errs.Add("subject", "The identifier must be 255 characters or fewer")
	}
	if len(errs) == 0 {
		if link {
			err = s.store.LinkIdentity(r.Context(), rq.actor(), u.ID, in.Provider, in.Subject)
		} else {
			err = s.store.UnlinkIdentity(r.Context(), rq.actor(), u.ID, in.Provider, in.Subject)
		}
		if problem.KindOf(err) == problem.Conflict {
			errs.Add("subject", problem.Message(err))
		} else if err != nil {
			return err // unlinking what is not linked: a clear 404
		}
	}
	if len(errs) > 0 {
		if wantsJSON(r) {
			return &problem.Error{Kind: problem.Invalid, Fields: errs}
		}
		return s.renderUser(w, r, rq, http.StatusUnprocessableEntity, u, scope, map[string]string{"provider": in.Provider, "subject": in.Subject}, errs)
	}
	if wantsJSON(r) {
		ids, err := s.store.Identities(r.Context(), u.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, ids)
	}
	done := map[bool]string{true: "linked", false: "unlinked"}[link]
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) linkIdentity(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.changeIdentity(w, r, rq, true)
}

func (s *Server) unlinkIdentity(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.changeIdentity(w, r, rq, false)
}
