// Package claims is OnePC's one catalogue of locally commissioned services,
// the offers that sign practices up to them, the monthly return that claims
// for them all, and the payment runs that pay them. Its types and rules hold
// no SQL and no HTTP; the arithmetic of payment lives in payrules.
package claims

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// Frequency is how often a service is claimed.
type Frequency string

const (
	Monthly   Frequency = "monthly"
	Quarterly Frequency = "quarterly"
	Annual    Frequency = "annual"
)

// Frequencies lists them in form order.
var Frequencies = []Frequency{Monthly, Quarterly, Annual}

// Eligibility says who may claim a service.
type Eligibility string

const (
	AllPractices    Eligibility = "place"  // every practice in the commissioner's area
	ChosenPractices Eligibility = "chosen" // the practices listed
	PCNs            Eligibility = "pcns"   // the PCNs listed (PCN-level services)
)

// Field is one activity figure a claim reports, e.g. "ECGs performed".
type Field struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Expected is the most the service expects a period (0: no
	// expectation): a higher figure is not refused, but must be explained
	// (see Unusual).
	Expected int64 `json:"expected_most,omitempty"`
}

// Service is one locally commissioned service for one financial year.
type Service struct {
	ID               int64         `json:"id"`
	Code             string        `json:"code"`
	Name             string        `json:"name"`
	Spec             string        `json:"specification"`
	SpecFile         string        `json:"specification_file,omitempty"` // name of the attached PDF
	Commissioner     string        `json:"commissioner_org"`             // the Place or ICB that commissions it
	Year             int           `json:"financial_year"`               // 2026 means April 2026 to March 2027
	Starts           time.Time     `json:"starts_on,omitzero"`           // the first day it may be claimed for (zero: the year's first)
	Ends             time.Time     `json:"ends_on,omitzero"`             // the last (zero: the year's last)
	Frequency        Frequency     `json:"frequency"`
	DeadlineDays     int           `json:"deadline_days"` // claims are due this many days after a period ends
	Eligibility      Eligibility   `json:"eligibility"`
	Chosen           []string      `json:"chosen,omitempty"` // practice or PCN codes
	SignUp           bool          `json:"sign_up_required"`
	NeedsDeclaration bool          `json:"needs_declaration"`
	NeedsApproval    bool          `json:"needs_commissioner_approval"`
	NeedsFinance     bool          `json:"needs_finance_approval"`
	SameFinance      bool          `json:"same_person_finance"` // the person who approved a claim may approve it for finance too (not by default)
	Fields           []Field       `json:"fields"`
	Rule             payrules.Rule `json:"rule"`
	// A draft (a copy into the next year, say) is neither offered nor
	// claimed until published.
	Draft bool `json:"draft,omitempty"`
	// Withdrawn is the day the service was withdrawn (zero: it was not),
	// for WithdrawnReason; see CheckWithdraw.
	Withdrawn       time.Time `json:"withdrawn_on,omitzero"`
	WithdrawnReason string    `json:"withdrawn_reason,omitempty"`
	Created         time.Time `json:"created_at,omitzero"`
	// Changes of the payment rule from a day (a fee change from 1 October):
	// periods starting from then are priced by it; oldest first.
	RuleChanges []RuleChange `json:"rule_changes,omitempty"`
}

// RuleChange is a payment rule in force from a day.
type RuleChange struct {
	From time.Time     `json:"from"`
	Rule payrules.Rule `json:"rule"`
	By   string        `json:"by"`
}

// RuleFor is the payment rule that prices period p: the latest change in
// force on its first day, or the service's first rule. A claim keeps the
// price it was made under: the rule of its own period.
func (s Service) RuleFor(p Period) payrules.Rule {
	r := s.Rule
	for _, c := range s.RuleChanges {
		if !c.From.After(p.Start) {
			r = c.Rule
		}
	}
	return r
}

// CheckRuleChange checks a new payment rule for s from day from, set on
// today: of the same kind, valid for its fields, and from the start of a
// period of its year not yet begun before today's (a period already claimed
// keeps its price). A draft's rule is replaced whole (from is ignored).
func (s Service) CheckRuleChange(r payrules.Rule, from, today time.Time) error {
	if s.IsWithdrawn() {
		return problem.New(problem.Conflict, "%s was withdrawn on %s: it is claimed for no period", s.Name, s.Withdrawn.Format("2 January 2006"))
	}
	if r.Kind != s.Rule.Kind {
		return problem.BadField("rule_kind", "A change keeps the kind of payment rule (%s): add a new service for another kind", s.Rule.Kind)
	}
	var keys []string
	for _, f := range s.Fields {
		keys = append(keys, f.Key)
	}
	if err := r.Validate(keys); err != nil {
		var errs problem.Fields
		for _, f := range problem.FieldsOf(err) {
			errs.Add(RuleFieldPrefix+f.Name, f.Message)
		}
		return errs.Err()
	}
	if s.Draft {
		return nil
	}
	p, ok := s.PeriodStarting(from)
	switch {
	case !ok:
		return problem.BadField("from", "A change starts on the first day of one of the service's periods")
	case p.End.Before(today):
		return problem.BadField("from", "A change cannot start in a period that has ended: claims for it keep the price they were made under")
	case p.Start.After(s.Runs().To):
		return problem.BadField("from", "%s ends on %s: a change cannot start after it", s.Name, s.Runs().To.Format("2 January 2006"))
	}
	return nil
}

// FinancialYear is the April-to-March year a day falls in, named by the
// year it starts: 15 January 2027 is in 2026.
func FinancialYear(d time.Time) int {
	if d.Month() < time.April {
		return d.Year() - 1
	}
	return d.Year()
}

// YearLabel writes a financial year: 2026 → "2026/27".
func YearLabel(y int) string { return fmt.Sprintf("%d/%02d", y, (y+1)%100) }

// Labels maps field keys to labels for payrules' explanations.
func (s Service) Labels() map[string]string {
	m := map[string]string{}
	for _, f := range s.Fields {
		m[f.Key] = f.Label
	}
	return m
}

var (
	serviceCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,19}$`)
	fieldKey    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// FieldKey turns a label into a key: "ECGs performed" → "ecgs_performed".
func FieldKey(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(label)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if b.Len() == 0 && r >= '0' && r <= '9' {
				b.WriteString("f")
			}
			b.WriteRune(r)
			under = false
		case !under && b.Len() > 0:
			b.WriteByte('_')
			under = true
		}
	}
	k := strings.TrimSuffix(b.String(), "_")
	if len(k) > 40 {
		k = k[:40]
	}
	return k
}

// RuleFieldPrefix marks the problems of a service's payment rule: "rule."
// then the Rule field's JSON name, such as rule.rate_pence.
const RuleFieldPrefix = "rule."

// A service's name is shown on every return and statement; its
// specification's text is a summary beside its PDF (a probe saved a 10 kB
// name and 900 kB of text).
const (
	MaxServiceName = 200
	MaxServiceSpec = 20_000
)

// Validate checks a service before it is saved; problems name the form field,
// or the payment rule's field after RuleFieldPrefix.
func (s *Service) Validate() error {
	var errs problem.Fields
	s.Code = strings.ToUpper(strings.TrimSpace(s.Code))
	s.Name = strings.TrimSpace(s.Name)
	if !serviceCode.MatchString(s.Code) {
		errs.Add("code", "Enter a service code of 2 to 20 letters, numbers or hyphens, like LES-ECG")
	}
	if s.Name == "" {
		errs.Add("name", "Enter the service's name")
	} else if n := utf8.RuneCountInString(s.Name); n > MaxServiceName {
		errs.Add("name", fmt.Sprintf("A service's name is at most %d characters (this has %s)", MaxServiceName, numfmt.Count(int64(n))))
	}
	if n := utf8.RuneCountInString(s.Spec); n > MaxServiceSpec {
		errs.Add("spec", fmt.Sprintf("The specification's text is at most %s characters (this has %s): attach the full document as a PDF", numfmt.Count(MaxServiceSpec), numfmt.Count(int64(n))))
	}
	if s.Year < 2000 || s.Year > 2100 {
		errs.Add("year", "Enter the financial year it starts in, like 2026 for 2026/27")
	}
	switch s.Frequency {
	case Monthly, Quarterly, Annual:
	default:
		errs.Add("frequency", "Choose how often the service is claimed")
	}
	first, last := YearRange(s.Year)
	switch {
	case !s.Starts.IsZero() && (s.Starts.Before(first) || s.Starts.After(last)):
		errs.Add("starts_on", fmt.Sprintf("The start must fall in %s, from %s to %s", YearLabel(s.Year), first.Format("2 January 2006"), last.Format("2 January 2006")))
	case !s.Ends.IsZero() && (s.Ends.Before(first) || s.Ends.After(last)):
		errs.Add("ends_on", fmt.Sprintf("The end must fall in %s, from %s to %s", YearLabel(s.Year), first.Format("2 January 2006"), last.Format("2 January 2006")))
	case !s.Ends.IsZero() && s.Ends.Before(s.Runs().From):
		errs.Add("ends_on", "The end must not be before the start")
	}
	if s.DeadlineDays < 0 || s.DeadlineDays > 365 {
		errs.Add("deadline_days", "Enter the days after a period ends that claims are due, from 0 to 365")
	}
	switch s.Eligibility {
	case AllPractices:
	case ChosenPractices, PCNs:
		if len(s.Chosen) == 0 {
			errs.Add("chosen", "List the practices or PCNs that may claim, by ODS code")
		}
	default:
		errs.Add("eligibility", "Choose who may claim")
	}
	seen := map[string]bool{}
	if len(s.Fields) == 0 && s.Rule.Kind != payrules.Block && s.Rule.Kind != payrules.Capitation {
		errs.Add("fields", "Add at least one activity field that claims report")
	}
	for i := range s.Fields {
		f := &s.Fields[i]
		f.Label = strings.TrimSpace(f.Label)
		if f.Key == "" {
			f.Key = FieldKey(f.Label)
		}
		switch {
		case f.Label == "":
			errs.Add("fields", fmt.Sprintf("Activity field %d has no name", i+1))
		case !fieldKey.MatchString(f.Key):
			errs.Add("fields", fmt.Sprintf("Activity field %q needs a name that starts with a letter", f.Label))
		case seen[f.Key]:
			errs.Add("fields", fmt.Sprintf("Activity field %q is listed twice", f.Label))
		case f.Expected < 0 || f.Expected > 10_000_000:
			errs.Add("fields", fmt.Sprintf("Activity field %q: the most expected a period must be a whole number from 1 to 10,000,000", f.Label))
		}
		seen[f.Key] = true
	}
	var keys []string
	for _, f := range s.Fields {
		keys = append(keys, f.Key)
	}
	if err := s.Rule.Validate(keys); err != nil {
		for _, f := range problem.FieldsOf(err) {
			errs.Add(RuleFieldPrefix+f.Name, f.Message)
		}
	}
	return errs.Err()
}

// Period is one claim period of a service; both ends inclusive.
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Days is the number of days in the period.
func (p Period) Days() int64 { return int64(p.End.Sub(p.Start).Hours()/24) + 1 }

// Label writes a period for people: "November 2026", "Q3 2026/27 (Oct–Dec)", "2026/27".
func (p Period) Label(f Frequency) string {
	switch f {
	case Quarterly:
		q := (int(p.Start.Month())-4+12)%12/3 + 1
		fy := p.Start.Year()
		if p.Start.Month() < 4 {
			fy--
		}
		return fmt.Sprintf("Q%d %s (%s–%s)", q, YearLabel(fy), p.Start.Format("Jan"), p.End.Format("Jan"))
	case Annual:
		return YearLabel(p.Start.Year())
	}
	return p.Start.Format("January 2006")
}

// PeriodFrom rebuilds the period of a frequency that starts on start.
func PeriodFrom(start time.Time, f Frequency) Period {
	months := map[Frequency]int{Monthly: 1, Quarterly: 3, Annual: 12}[f]
	return Period{Start: start, End: start.AddDate(0, max(months, 1), -1)}
}

// Periods lists the service's claim periods in its financial year.
func (s Service) Periods() []Period {
	start := time.Date(s.Year, 4, 1, 0, 0, 0, 0, time.UTC)
	step := map[Frequency]int{Monthly: 1, Quarterly: 3, Annual: 12}[s.Frequency]
	if step == 0 {
		return nil
	}
	var out []Period
	for m := 0; m < 12; m += step {
		ps := start.AddDate(0, m, 0)
		out = append(out, Period{Start: ps, End: ps.AddDate(0, step, -1)})
	}
	return out
}

// PeriodEndingIn returns the period that ends in the month of day, if any:
// what a monthly return for that month holds.
func (s Service) PeriodEndingIn(month time.Time) (Period, bool) {
	step := map[Frequency]int{Monthly: 1, Quarterly: 3, Annual: 12}[s.Frequency]
	// Months since the year began, counting the month itself: a period ends
	// in the month when that is a whole number of periods.
	n := (month.Year()-s.Year)*12 + int(month.Month()) - int(time.April) + 1
	if step == 0 || n < 1 || n > 12 || n%step != 0 {
		return Period{}, false
	}
	start := time.Date(s.Year, time.April, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n-step, 0)
	return Period{Start: start, End: start.AddDate(0, step, -1)}, true
}

// PeriodStarting finds the period that starts on day.
func (s Service) PeriodStarting(day time.Time) (Period, bool) {
	for _, p := range s.Periods() {
		if p.Start.Equal(day) {
			return p, true
		}
	}
	return Period{}, false
}

// Deadline is the last day a claim for p is on time.
func (s Service) Deadline(p Period) time.Time { return p.End.AddDate(0, 0, s.DeadlineDays) }

// DeadlineFor is the deadline of period p for a claimant signed up by offer
// (nil if none): the service's, but never sooner than its deadline days
// after the service was made or the sign-up answered, so that a service or
// sign-up backdated to April does not make April's claims late before
// anyone could make them.
func (s Service) DeadlineFor(p Period, offer *Offer) time.Time {
	d := s.Deadline(p)
	since := []time.Time{s.Created}
	if offer != nil {
		since = append(since, offer.Answered)
	}
	for _, t := range since {
		if t.IsZero() {
			continue
		}
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		if late := day.AddDate(0, 0, s.DeadlineDays); late.After(d) {
			d = late
		}
	}
	return d
}

// Status is where a claim is in its life.
type Status string

const (
	Draft     Status = "draft"
	Submitted Status = "submitted"
	Queried   Status = "queried"
	Approved  Status = "approved"         // by the commissioner
	Finance   Status = "finance_approved" // and by finance, where the service asks
	Rejected  Status = "rejected"
	Paid      Status = "paid"
)

// Label names a status for people.
func (s Status) Label() string {
	switch s {
	case Draft:
		return "Draft"
	case Submitted:
		return "Submitted"
	case Queried:
		return "Queried"
	case Approved:
		return "Approved"
	case Finance:
		return "Approved, ready to pay" // by finance, or by the commissioner where the service has no finance step
	case Rejected:
		return "Rejected"
	case Paid:
		return "Paid"
	}
	return string(s)
}

// Claim is one practice's (or PCN's) claim for one service and period, as
// its latest version stands.
type Claim struct {
	ID           int64            `json:"id"`
	ServiceID    int64            `json:"service_id"`
	ServiceCode  string           `json:"service_code"`
	ServiceName  string           `json:"service_name"`
	Org          string           `json:"org_code"`
	OrgName      string           `json:"org_name,omitempty"`
	Period       Period           `json:"period"`
	Status       Status           `json:"status"`
	Version      int              `json:"version"`
	Activity     map[string]int64 `json:"activity"`
	Pence        int64            `json:"pence"`
	Explanation  string           `json:"explanation"`
	SubmittedAt  time.Time        `json:"submitted_at,omitzero"`
	Late         bool             `json:"late"`
	Message      string           `json:"message,omitempty"`      // the commissioner's query or reason
	Reply        string           `json:"reply,omitempty"`        // the practice's answer to a query, sent with its amendment
	DraftReason  string           `json:"draft_reason,omitempty"` // a draft's reason for an unusual figure, as typed
	ApprovedBy   string           `json:"approved_by,omitempty"`
	Flag         string           `json:"flag,omitempty"` // unusual figures the practice confirmed, and why (Flag)
	PaymentRunID int64            `json:"payment_run_id,omitempty"`
}

// Locked reports whether the practice may no longer edit the claim in place.
func (c Claim) Locked() bool { return c.Status != Draft }

// Amendable reports whether the practice may submit a new version.
func (c Claim) Amendable() bool { return c.Status == Submitted || c.Status == Queried }

// AfterSubmit is the status a submitted claim takes under s: services that
// switch off commissioner approval (and finance approval) go straight on.
func AfterSubmit(s Service) Status {
	switch {
	case s.NeedsApproval:
		return Submitted
	case s.NeedsFinance:
		return Approved
	}
	return Finance
}

// AfterApprove is the status an approved claim takes under s.
func AfterApprove(s Service) Status {
	if s.NeedsFinance {
		return Approved
	}
	return Finance
}

// OfferStatus is where a sign-up stands.
type OfferStatus string

const (
	Pending  OfferStatus = "pending"
	Active   OfferStatus = "accepted"
	Declined OfferStatus = "rejected"
)

// Offer is a service offered to a practice or PCN.
type Offer struct {
	ServiceID   int64       `json:"service_id"`
	ServiceCode string      `json:"service_code,omitempty"`
	ServiceName string      `json:"service_name,omitempty"`
	Org         string      `json:"org_code"`
	OrgName     string      `json:"org_name,omitempty"`
	Status      OfferStatus `json:"status"`
	Start       time.Time   `json:"start,omitzero"` // the day the sign-up took effect
	From        time.Time   `json:"from,omitzero"`  // the start the commissioner set on the offer, if any
	Answered    time.Time   `json:"answered_at,omitzero"`
}
