package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// available is a service a practice or PCN may take part in, with its offer.
type available struct {
	Service claims.Service `json:"service"`
	Offer   *claims.Offer  `json:"offer,omitempty"`
	Active  bool           `json:"can_claim"`
}

// availableTo lists the services of this and next financial year open to a
// practice or PCN: those it may claim, and those offered to it.
func (s *Server) availableTo(ctx context.Context, o orgs.Org, today time.Time) ([]available, error) {
	chain, err := s.store.Ancestry(ctx, o.Code, today)
	if err != nil {
		return nil, err
	}
	offers, err := s.store.Offers(ctx, 0, o.Code)
	if err != nil {
		return nil, err
	}
	var out []available
	for _, year := range claims.OpenYears(today) {
		list, err := s.store.Services(ctx, nil, year)
		if err != nil {
			return nil, err
		}
		for _, sv := range list {
			var offer *claims.Offer
			for i := range offers {
				if offers[i].ServiceID == sv.ID {
					offer = &offers[i]
				}
			}
			if st := sv.OpenTo(o.Code, o.Kind == orgs.PCN, chain, offer); st.Open {
				out = append(out, available{Service: sv, Offer: offer, Active: st.Active})
			}
		}
	}
	return out, nil
}

type servicesData struct {
	Org        orgs.Org         `json:"org"`
	Services   []claims.Service `json:"services,omitempty"`  // a commissioner's catalogue
	Available  []available      `json:"available,omitempty"` // what a practice or PCN may take part in
	CanManage  bool             `json:"-"`
	CanRespond bool             `json:"-"`
	Notice     string           `json:"-"`
}

func isCommissioner(o orgs.Org) bool { return o.Kind.Commissions() }

func (s *Server) servicesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	d := servicesData{Org: o, CanManage: people.Authorize(rq.user.Grants, people.ManageServices, rq.chain),
		CanRespond: people.Authorize(rq.user.Grants, people.RespondOffers, rq.chain), Notice: serviceNotices[r.URL.Query().Get("done")]}
	if isCommissioner(o) {
		d.Services, err = s.store.Services(ctx, []string{o.Code}, 0)
	} else {
		d.Available, err = s.availableTo(ctx, o, rq.today)
	}
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "services", page{Title: "Local services – " + o.Name, Nav: "orgs", Data: d, Notice: d.Notice})
}

var serviceNotices = map[string]string{
	"created":   "Service added to the catalogue.",
	"copied":    "Service copied into the next financial year.",
	"offered":   "Offers sent.",
	"accepted":  "You have signed up to the service.",
	"declined":  "You have declined the service.",
	"spec":      "Specification attached.",
	"ended":     "The service's end is set, and the practices and PCNs that claim it have been told by email.",
	"withdrawn": "The service is withdrawn: its claims waiting for review were rejected with your reason, and the practices and PCNs that claim it have been told by email.",
	"rule":      "The payment rule is changed.",
	"published": "The service is published: it can now be offered and claimed.",
}

// endService sets a service's last day, telling those who claim it.
func (s *Server) endService(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Ends string `form:"ends_on"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	typed := map[string]string{"ends_on": in.Ends}
	ends, err := nhsfile.ParseDate(in.Ends, nhsfile.ISO, nhsfile.DDMMYYYY)
	if err != nil {
		return s.serviceFormFailed(w, r, rq, problem.OnField(problem.Invalid, "ends_on", "Enter the last day it may be claimed for, like 2027-01-31 or 31/01/2027"), typed)
	}
	link := func(org string) string {
		return s.mailLink("/orgs/"+org+"/services", "Local services on your practice's page")
	}
	if _, err := s.store.EndService(r.Context(), rq.actor(), sv.ID, ends, link); err != nil {
		return s.serviceFormFailed(w, r, rq, err, typed)
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=ended", o.Code, sv.ID))
}

// withdrawService withdraws a service nothing has been approved for (see
// claims.CheckWithdraw).
func (s *Server) withdrawService(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	link := func(org string) string {
		return s.mailLink("/orgs/"+org+"/services", "Local services on your practice's page")
	}
	if _, err := s.store.WithdrawService(r.Context(), rq.actor(), sv.ID, in.Reason, link); err != nil {
		typed := map[string]string{"reason": in.Reason}
		if problem.KindOf(err) == problem.Conflict && !wantsJSON(r) { // say why beside the form, not on a page of its own
			return s.renderService(w, r, rq, http.StatusConflict, typed, problem.Fields{{Name: "reason", Message: problem.Message(err)}})
		}
		return s.serviceFormFailed(w, r, rq, err, typed)
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=withdrawn", o.Code, sv.ID))
}

type serviceForm struct {
	Org       orgs.Org          `json:"-"`
	Values    map[string]string `json:"-"`
	Kinds     []payrules.Kind   `json:"-"`
	Freqs     []claims.Frequency
	YearLabel string
}

func (s *Server) newServicePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	o, err := s.store.Org(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	fy := claims.FinancialYear(rq.today)
	vals := map[string]string{"year": strconv.Itoa(fy), "frequency": "monthly", "deadline_days": "10", "eligibility": "place",
		"needs_declaration": "1", "needs_approval": "1", "needs_finance": "1", "rule_kind": "fee_per_item"}
	return s.renderServiceForm(w, r, rq, http.StatusOK, o, vals, nil)
}

func (s *Server) renderServiceForm(w http.ResponseWriter, r *http.Request, rq *request, status int, o orgs.Org, vals map[string]string, errs problem.Fields) error {
	if !isCommissioner(o) {
		return problem.New(problem.Invalid, "Services are commissioned by a Place or an ICB; %s is %s", o.Name, o.Kind.ALabel())
	}
	d := serviceForm{Org: o, Values: vals, Kinds: payrules.Kinds, Freqs: claims.Frequencies}
	return s.render(w, r, rq, status, "service_new", page{Title: "Add a service", Nav: "orgs", Errors: errs, Data: d})
}

// ruleInputs maps the payment rule's fields (as claims.Service.Validate
// names them) to the service form's inputs.
var ruleInputs = map[string]string{
	"rule.kind": "rule_kind", "rule.field": "rule_field", "rule.rate_pence": "rate", "rule.cap_items": "cap_items",
	"rule.cap_pence": "cap", "rule.rate_centipence": "rate_per_patient", "rule.numerator": "numerator",
	"rule.denominator": "denominator", "rule.lower_per_mille": "lower", "rule.upper_per_mille": "upper",
	"rule.max_pence": "max", "rule.block_pence": "block", "rule.unit": "unit", "rule.units": "units",
}

// formFields names each problem by the service form's input it is about,
// the first only of each input: an amount that could not be read is not
// also "not greater than zero".
func formFields(errs problem.Fields) problem.Fields {
	var out problem.Fields
	seen := map[string]bool{}
	for _, e := range errs {
		if input, ok := ruleInputs[e.Name]; ok {
			e.Name = input
		}
		if !seen[e.Name] {
			seen[e.Name] = true
			out = append(out, e)
		}
	}
	return out
}

var serviceFormFields = []string{"code", "name", "spec", "year", "starts_on", "ends_on", "frequency", "deadline_days", "eligibility", "chosen", "sign_up",
	"needs_declaration", "needs_approval", "needs_finance", "same_finance", "fields", "rule_kind", "rule_field", "unit", "units", "rate", "cap_items", "cap",
	"rate_per_patient", "weighted", "numerator", "denominator", "lower", "upper", "max", "block"}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, rq *request) error {
	o, err := s.store.Org(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	in, err := decode(r, serviceFormFields...)
	if err != nil {
		return err
	}
	sv, errs := parseServiceForm(in)
	sv.Commissioner = o.Code
	if !sv.Ends.IsZero() && sv.Ends.Before(rq.today) {
		errs.Add("ends_on", "The end must not be before today: leave it blank, or end the service later from its page")
	}
	// A service made during its year is claimed from the day it is made,
	// unless the commissioner says otherwise: it does not reach back to April.
	if first, last := claims.YearRange(sv.Year); sv.Starts.IsZero() && strings.TrimSpace(in["starts_on"]) == "" && rq.today.After(first) && !rq.today.After(last) {
		sv.Starts = rq.today
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		sv, err = s.store.CreateService(r.Context(), rq.actor(), sv)
		errs, status = problem.FieldsOf(err), statusOf(problem.KindOf(err))
		if err != nil && len(errs) == 0 {
			return err
		}
	} else if verr := sv.Validate(); verr != nil {
		errs = append(errs, problem.FieldsOf(verr)...)
	}
	if len(errs) > 0 {
		errs = formFields(errs)
		if wantsJSON(r) {
			return &problem.Error{Kind: problem.Invalid, Message: "The service was not saved", Fields: errs}
		}
		return s.renderServiceForm(w, r, rq, status, o, in, errs)
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, sv)
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=created", o.Code, sv.ID), http.StatusSeeOther)
	return nil
}

// parseServiceForm reads the service form; money is typed in pounds,
// thresholds in percent.
func parseServiceForm(in map[string]string) (claims.Service, problem.Fields) {
	var errs problem.Fields
	sv := claims.Service{Code: in["code"], Name: in["name"], Spec: strings.TrimSpace(in["spec"]),
		Frequency: claims.Frequency(in["frequency"]), Eligibility: claims.Eligibility(in["eligibility"]),
		SignUp: ticked(in["sign_up"]), NeedsDeclaration: ticked(in["needs_declaration"]), NeedsApproval: ticked(in["needs_approval"]),
		NeedsFinance: ticked(in["needs_finance"]), SameFinance: ticked(in["same_finance"])}
	sv.Year, _ = wholeNumber(in["year"]) // 0 if not a number: Validate says what a year is
	sv.DeadlineDays = -1                 // Validate says what a deadline is
	if d, err := wholeNumber(in["deadline_days"]); err == nil {
		sv.DeadlineDays = d
	}
	for _, d := range []struct {
		name string
		to   *time.Time
	}{{"starts_on", &sv.Starts}, {"ends_on", &sv.Ends}} {
		if v := strings.TrimSpace(in[d.name]); v != "" {
			t, err := nhsfile.ParseDate(v, nhsfile.ISO, nhsfile.DDMMYYYY)
			if err != nil {
				errs.Add(d.name, "Enter a real date, like 2027-04-01 or 01/04/2027")
			}
			*d.to = t
		}
	}
	for _, c := range strings.FieldsFunc(strings.ToUpper(in["chosen"]), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == ';' }) {
		if !slices.Contains(sv.Chosen, c) {
			sv.Chosen = append(sv.Chosen, c)
		}
	}
	if sv.Eligibility == claims.AllPractices {
		sv.Chosen = nil
	}
	// One field a line, "ECGs performed", or with the most expected a
	// period after a bar: "ECGs performed | 200".
	for i, line := range strings.Split(in["fields"], "\n") {
		label, most, hasMost := strings.Cut(line, "|")
		f := claims.Field{Label: strings.TrimSpace(label)}
		if f.Label == "" && !hasMost {
			continue
		}
		if hasMost {
			n, ok := numfmt.ParseDecimal(most, 0)
			if !ok || n < 1 {
				errs.Add("fields", fmt.Sprintf("Line %d: after the bar, enter the most expected a period as a whole number, like “ECGs performed | 200”", i+1))
			}
			f.Expected = n
		}
		sv.Fields = append(sv.Fields, f)
	}
	var rerrs problem.Fields
	sv.Rule, rerrs = parseRule(in)
	errs = append(errs, rerrs...)
	return sv, errs
}

// parseRule reads a payment rule from the service form's inputs; money is
// typed in pounds, thresholds in percent.
func parseRule(in map[string]string) (payrules.Rule, problem.Fields) {
	var errs problem.Fields
	key := func(label string) string { return claims.FieldKey(label) }
	money := func(name, what string, required bool) int64 {
		v := strings.TrimSpace(in[name])
		if v == "" && !required {
			return 0
		}
		p, ok := payrules.ParsePounds(v)
		if !ok {
			errs.Add(name, "Enter "+what+" in pounds and pence, like 25.00")
		}
		return p
	}
	whole := func(name, what string) int64 {
		v := strings.TrimSpace(in[name])
		if v == "" {
			return 0
		}
		n, ok := numfmt.ParseDecimal(v, 0)
		if !ok {
			errs.Add(name, "Enter "+what+" as a whole number")
		}
		return n
	}
	percent := func(name, what string) int64 {
		pm, ok := numfmt.ParseDecimal(strings.TrimSuffix(strings.TrimSpace(in[name]), "%"), 1)
		if !ok || pm > 1000 {
			errs.Add(name, "Enter "+what+" as a percentage from 0 to 100, like 60 or 72.5")
		}
		return pm
	}
	rule := payrules.Rule{Kind: payrules.Kind(in["rule_kind"])}
	switch rule.Kind {
	case payrules.FeePerItem:
		rule.Field, rule.RatePence = key(in["rule_field"]), money("rate", "the fee per item", true)
		rule.CapItems, rule.CapPence = whole("cap_items", "the most items paid"), money("cap", "the cap", false)
		rule.Unit, rule.Units = strings.TrimSpace(in["unit"]), strings.TrimSpace(in["units"])
	case payrules.Sessional:
		rule.Field, rule.RatePence = key(in["rule_field"]), money("rate", "the rate per session", true)
		rule.Unit, rule.Units = strings.TrimSpace(in["unit"]), strings.TrimSpace(in["units"])
	case payrules.Capitation:
		n, ok := numfmt.ParseDecimal(strings.TrimPrefix(strings.TrimSpace(in["rate_per_patient"]), "£"), 4)
		if !ok {
			errs.Add("rate_per_patient", "Enter the rate per patient in pounds, up to four decimal places, like 0.1250")
		}
		rule.RateCentipence, rule.Weighted = n, ticked(in["weighted"])
	case payrules.Achievement:
		rule.Numerator, rule.Denominator = key(in["numerator"]), key(in["denominator"])
		rule.LowerPM, rule.UpperPM = percent("lower", "the lower threshold"), percent("upper", "the upper threshold")
		rule.MaxPence = money("max", "the maximum payment", true)
	case payrules.Block:
		rule.BlockPence = money("block", "the block payment", true)
	}
	return rule, errs
}

type serviceData struct {
	Org        orgs.Org          `json:"org"`
	Service    claims.Service    `json:"service"`
	RuleText   string            `json:"rule"`
	Offers     []claims.Offer    `json:"offers,omitempty"`
	MyOffer    *claims.Offer     `json:"offer,omitempty"`
	Periods    []claims.Period   `json:"-"`
	Period     claims.Period     `json:"period"`
	Status     []orgStatus       `json:"submissions,omitempty"`
	Commission bool              `json:"-"`
	CanManage  bool              `json:"-"`
	CanRespond bool              `json:"-"`
	Notice     string            `json:"-"`
	NextYear   string            `json:"-"`
	YearLabel  string            `json:"-"`
	Today      time.Time         `json:"-"`
	Typed      map[string]string `json:"-"` // what was typed into a form refused
	RuleInputs map[string]string `json:"-"` // the rule form, from the rule in force (or what was typed)
	RuleFrom   []claims.Period   `json:"-"` // the periods a rule change may start with
	Changes    []ruleChangeView  `json:"-"`
}

// orgStatus is one eligible organisation's claim for a period.
type orgStatus struct {
	Org    string        `json:"org_code"`
	Name   string        `json:"org_name"`
	Claim  *claims.Claim `json:"claim,omitempty"`
	Late   bool          `json:"late"`
	Status string        `json:"status"`
}

// serviceFor loads the service in the path, if it belongs to the org in
// the path (its commissioner) or is open to it (a practice or PCN).
func (s *Server) serviceFor(r *http.Request, rq *request) (claims.Service, orgs.Org, error) {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return claims.Service{}, o, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return claims.Service{}, o, problem.New(problem.NotFound, "There is no such service")
	}
	sv, err := s.store.Service(ctx, rq.chain, id)
	if err != nil {
		return sv, o, err
	}
	if isCommissioner(o) {
		if sv.Commissioner != o.Code {
			return sv, o, problem.New(problem.NotFound, "%s does not commission that service", o.Name)
		}
		return sv, o, nil
	}
	list, err := s.availableTo(ctx, o, rq.today)
	if err != nil {
		return sv, o, err
	}
	for _, a := range list {
		if a.Service.ID == sv.ID {
			return sv, o, nil
		}
	}
	if sv.IsWithdrawn() { // a practice that claimed it, or was offered it, can still read why it went
		made, _, err := s.store.Claims(ctx, store.ClaimQuery{ServiceID: sv.ID, Org: o.Code, Limit: 1})
		if err != nil {
			return sv, o, err
		}
		offers, err := s.store.Offers(ctx, sv.ID, o.Code)
		if err != nil {
			return sv, o, err
		}
		if len(made) > 0 || len(offers) > 0 {
			return sv, o, nil
		}
	}
	return sv, o, problem.New(problem.NotFound, "That service is not open to %s", o.Name)
}

// ruleChangeView is a change of payment rule as the service page lists it.
type ruleChangeView struct {
	From time.Time
	Text string
	By   string
}

// ruleInputsOf is a payment rule as the rule form's inputs show it, for a
// change to start from: money in pounds, thresholds in percent.
func ruleInputsOf(r payrules.Rule) map[string]string {
	pct := func(pm int64) string { return fmt.Sprintf("%d.%d", pm/10, pm%10) }
	m := map[string]string{"rule_kind": string(r.Kind), "rule_field": r.Field, "numerator": r.Numerator, "denominator": r.Denominator}
	switch r.Kind {
	case payrules.FeePerItem, payrules.Sessional:
		m["rate"], m["unit"], m["units"] = decimalPounds(r.RatePence), r.Unit, r.Units
		if r.CapItems > 0 {
			m["cap_items"] = strconv.FormatInt(r.CapItems, 10)
		}
		if r.CapPence > 0 {
			m["cap"] = decimalPounds(r.CapPence)
		}
	case payrules.Capitation:
		m["rate_per_patient"] = fmt.Sprintf("%d.%04d", r.RateCentipence/10000, r.RateCentipence%10000)
		if r.Weighted {
			m["weighted"] = "1"
		}
	case payrules.Achievement:
		m["lower"], m["upper"], m["max"] = pct(r.LowerPM), pct(r.UpperPM), decimalPounds(r.MaxPence)
	case payrules.Block:
		m["block"] = decimalPounds(r.BlockPence)
	}
	return m
}

// changeRule changes a service's payment rule: a draft's outright, a live
// service's from the first day of a period (claims for earlier periods keep
// the price they were made under).
func (s *Server) changeRule(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	in, err := decode(r, "from", "unit", "units", "rate", "cap_items", "cap", "rate_per_patient", "weighted", "lower", "upper", "max", "block")
	if err != nil {
		return err
	}
	// The kind of rule and the fields it names are the service's own.
	for k, v := range ruleInputsOf(sv.Rule) {
		if k == "rule_kind" || k == "rule_field" || k == "numerator" || k == "denominator" {
			in[k] = v
		}
	}
	rule, errs := parseRule(in)
	var from time.Time
	if !sv.Draft {
		if from, err = parseDay(in["from"]); err != nil {
			errs.Add("from", "Choose the period the new rule starts with")
		}
	}
	// On the page, the rule's "from" is the input "rule-from": the offers
	// form on the same page has a "from" of its own.
	fields := func(errs problem.Fields) problem.Fields {
		errs = formFields(errs)
		for i := range errs {
			if errs[i].Name == "from" && !wantsJSON(r) {
				errs[i].Name = "rule-from"
			}
		}
		return errs
	}
	if err := errs.Err(); err != nil {
		return s.serviceFormFailed(w, r, rq, &problem.Error{Kind: problem.Invalid, Message: "The payment rule was not changed", Fields: fields(errs)}, in)
	}
	if err := s.store.ChangeRule(r.Context(), rq.actor(), sv.ID, rule, from); err != nil {
		if fe := problem.FieldsOf(err); len(fe) > 0 {
			err = &problem.Error{Kind: problem.KindOf(err), Message: "The payment rule was not changed", Fields: fields(fe)}
		}
		return s.serviceFormFailed(w, r, rq, err, in)
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=rule", o.Code, sv.ID))
}

// publishService makes a draft service live.
func (s *Server) publishService(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	if err := s.store.PublishService(r.Context(), rq.actor(), sv.ID); err != nil {
		return err
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=published", o.Code, sv.ID))
}

// serviceToManage is serviceFor for a change to a service: only at its
// commissioner's own address. Through a practice's address (which a Place's
// grant covers), a Place's commissioner once ended, copied, offered and
// replaced the specification of the ICB's services.
func (s *Server) serviceToManage(r *http.Request, rq *request) (claims.Service, orgs.Org, error) {
	sv, o, err := s.serviceFor(r, rq)
	if err == nil && (!isCommissioner(o) || sv.Commissioner != o.Code) {
		err = problem.New(problem.NotFound, "%s does not commission that service: change it from its commissioner's page", o.Name)
	}
	return sv, o, err
}

func (s *Server) servicePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderService(w, r, rq, http.StatusOK, nil, nil)
}

// serviceFormFailed shows the service's page again, with what was typed
// and the problems, when one of its forms (an offer, an end) was refused.
func (s *Server) serviceFormFailed(w http.ResponseWriter, r *http.Request, rq *request, err error, typed map[string]string) error {
	if problem.KindOf(err) != problem.Invalid || wantsJSON(r) {
		return err
	}
	return s.renderService(w, r, rq, http.StatusUnprocessableEntity, typed, problem.FieldsOf(err))
}

func (s *Server) renderService(w http.ResponseWriter, r *http.Request, rq *request, status int, typed map[string]string, errs problem.Fields) error {
	ctx := r.Context()
	sv, o, err := s.serviceFor(r, rq)
	if err != nil {
		return err
	}
	d := serviceData{Org: o, Service: sv, RuleText: sv.Rule.Describe(sv.Labels()), Commission: isCommissioner(o),
		CanManage:  people.Authorize(rq.user.Grants, people.ManageServices, rq.chain),
		CanRespond: people.Authorize(rq.user.Grants, people.RespondOffers, rq.chain),
		Notice:     serviceNotices[r.URL.Query().Get("done")], NextYear: claims.YearLabel(sv.Year + 1), YearLabel: claims.YearLabel(sv.Year), Today: rq.today}
	offers, err := s.store.Offers(ctx, sv.ID, "")
	if err != nil {
		return err
	}
	if d.Commission {
		d.Offers = offers
		d.Periods = sv.Periods()
		d.Period = sv.LatestEnded(rq.today)
		if v := r.URL.Query().Get("period"); v != "" {
			if t, err := parseDay(v); err == nil {
				if p, ok := sv.PeriodStarting(t); ok {
					d.Period = p
				}
			}
		}
		if d.Status, err = s.submissions(ctx, sv, d.Period, offers, rq.today); err != nil {
			return err
		}
	} else {
		for i := range offers {
			if offers[i].Org == o.Code {
				d.MyOffer = &offers[i]
			}
		}
	}
	d.Typed = typed
	d.RuleInputs = ruleInputsOf(sv.RuleFor(sv.LatestEnded(rq.today)))
	if typed != nil && typed["rate"]+typed["block"]+typed["max"]+typed["rate_per_patient"] != "" {
		d.RuleInputs = typed
	}
	for _, p := range sv.Periods() {
		if !p.End.Before(rq.today) {
			d.RuleFrom = append(d.RuleFrom, p)
		}
	}
	for _, c := range sv.RuleChanges {
		d.Changes = append(d.Changes, ruleChangeView{From: c.From, Text: c.Rule.Describe(sv.Labels()), By: c.By})
	}
	return s.render(w, r, rq, status, "service", page{Title: sv.Name, Nav: "orgs", Data: d, Notice: d.Notice, Errors: errs})
}

// submissions lists who may claim a service for a period and where each
// stands: submitted or not, late or not.
func (s *Server) submissions(ctx context.Context, sv claims.Service, p claims.Period, offers []claims.Offer, today time.Time) ([]orgStatus, error) {
	var area []orgs.Org
	if sv.NeedsArea() {
		var err error
		if area, _, err = s.store.SearchOrgs(ctx, store.OrgQuery{Roots: []string{sv.Commissioner}, On: p.End, Kind: orgs.Practice, Limit: 100000}); err != nil {
			return nil, err
		}
	}
	codes := sv.Expected(p, offers, area)
	got, _, err := s.store.Claims(ctx, store.ClaimQuery{ServiceID: sv.ID, PeriodStart: p.Start, Limit: 100000})
	if err != nil {
		return nil, err
	}
	byOrg := map[string]*claims.Claim{}
	for i := range got {
		byOrg[got[i].Org] = &got[i]
	}
	names, err := s.store.OrgNames(ctx, codes)
	if err != nil {
		return nil, err
	}
	var out []orgStatus
	for _, code := range codes {
		st := orgStatus{Org: code, Name: names[code], Claim: byOrg[code]}
		st.Status, st.Late = claims.Standing(st.Claim, sv.DeadlineFor(p, nil), today)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b orgStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// offerService offers a service to the practices or PCNs listed, or to every
// practice below the commissioner (all=1).
func (s *Server) offerService(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Orgs string `form:"orgs"` // ODS codes, separated by spaces, commas or lines
		All  bool   `form:"all"`  // every practice (or PCN) below the commissioner
		From string `form:"from"` // the day sign-ups take effect, if not the day each is accepted
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	typed := map[string]string{"orgs": in.Orgs, "from": in.From}
	var from time.Time
	if v := strings.TrimSpace(in.From); v != "" {
		if from, err = nhsfile.ParseDate(v, nhsfile.ISO, nhsfile.DDMMYYYY); err != nil {
			return s.serviceFormFailed(w, r, rq, problem.OnField(problem.Invalid, "from", "Enter a real date, like 2027-04-01 or 01/04/2027"), typed)
		}
	}
	var codes []string
	if in.All {
		kind := orgs.Practice
		if sv.Eligibility == claims.PCNs {
			kind = orgs.PCN
		}
		list, _, err := s.store.SearchOrgs(ctx, store.OrgQuery{Roots: []string{o.Code}, On: rq.today, Kind: kind, Limit: 100000})
		if err != nil {
			return err
		}
		for _, x := range list {
			if x.Open(rq.today) && (sv.Eligibility == claims.AllPractices || slices.Contains(sv.Chosen, x.Code)) {
				codes = append(codes, x.Code)
			}
		}
	} else {
		codes = strings.FieldsFunc(strings.ToUpper(in.Orgs), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
	}
	if len(codes) == 0 {
		return s.serviceFormFailed(w, r, rq, problem.OnField(problem.Invalid, "orgs", "List the ODS codes to offer the service to"), typed)
	}
	for _, c := range codes {
		ok, err := s.can(ctx, rq, people.ManageServices, c)
		if problem.KindOf(err) == problem.NotFound {
			return s.serviceFormFailed(w, r, rq, problem.OnField(problem.Invalid, "orgs", "There is no organisation with the code "+c), typed)
		}
		if err != nil {
			return err
		}
		if !ok {
			return problem.New(problem.Forbidden, "%s is outside the area you commission for", c)
		}
	}
	if _, err := s.store.OfferService(ctx, rq.actor(), sv.ID, codes, from); err != nil {
		return s.serviceFormFailed(w, r, rq, err, typed)
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=offered", o.Code, sv.ID))
}

// doneRedirect finishes a write: 303 to the page for browsers, 204 for the API.
func (s *Server) doneRedirect(w http.ResponseWriter, r *http.Request, to string) error {
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) copyService(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	next, err := s.store.CopyService(r.Context(), rq.actor(), sv, sv.Year+1)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, next)
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=copied", o.Code, next.ID))
}

// respondToOffer signs the practice or PCN in the path up to the service
// (from today), or declines it.
func (s *Server) respondToOffer(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceFor(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Answer string `form:"answer"` // accept or decline
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	accept := in.Answer == "accept"
	if !accept && in.Answer != "decline" {
		return problem.OnField(problem.Invalid, "answer", "Choose whether to sign up")
	}
	if err := s.store.RespondToOffer(r.Context(), rq.actor(), sv.ID, o.Code, accept, sv.SignUpStart(rq.today)); err != nil {
		return err
	}
	done := "declined"
	if accept {
		done = "accepted"
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services?done=%s", o.Code, done))
}

// uploadSpec attaches the service's specification PDF (multipart field "file").
func (s *Server) uploadSpec(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, o, err := s.serviceToManage(r, rq)
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return problem.OnField(problem.Invalid, "file", "Choose a PDF file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 20<<20+1))
	if err != nil {
		return err
	}
	switch {
	case len(data) > 20<<20:
		return problem.OnField(problem.Invalid, "file", "The file must be 20 MB or smaller")
	case !strings.HasPrefix(string(data), "%PDF-"):
		return problem.OnField(problem.Invalid, "file", "The selected file must be a PDF")
	}
	if err := s.store.SaveSpecFile(r.Context(), rq.actor(), sv.ID, hdr.Filename, "application/pdf", data); err != nil {
		return err
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/services/%d?done=spec", o.Code, sv.ID))
}

func (s *Server) downloadSpec(w http.ResponseWriter, r *http.Request, rq *request) error {
	sv, _, err := s.serviceFor(r, rq)
	if err != nil {
		return err
	}
	name, ctype, data, err := s.store.SpecFile(r.Context(), sv.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(name, `"`, "")))
	_, err = w.Write(data)
	return err
}
