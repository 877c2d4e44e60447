package claims

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// ReturnLine is one service on an organisation's monthly return.
type ReturnLine struct {
	Service  Service         `json:"service"`
	Period   Period          `json:"period"`
	Deadline time.Time       `json:"deadline"`
	Claim    *Claim          `json:"claim,omitempty"` // nil until something is saved
	Preview  payrules.Result `json:"preview"`
	Problem  string          `json:"preview_problem,omitempty"`
	Offer    *Offer          `json:"-"` // the sign-up, when the service asks for one
	Facts    Facts           `json:"-"` // what pricing needs beyond the claim
	Usual    Usual           `json:"-"` // what its figures are compared with (Unusual)
}

// MonthOf is the first and last day of the month a day falls in: the days a
// monthly return covers.
func MonthOf(d time.Time) (first, last time.Time) {
	first = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first, first.AddDate(0, 1, -1)
}

// ReturnLines lists what o's return for month holds: every service of the
// month's financial year that o may claim (chain is o and those above it at
// the month's end) for a period ending in the month (within the service's
// dates, its sign-up and the days o was open: Claimable), with its offer
// and the claim saved for it so far. Facts and previews are the caller's to
// add (PricePreview).
func ReturnLines(month time.Time, o orgs.Org, chain []string, services []Service, offers []Offer, saved []Claim) []ReturnLine {
	offerOf := map[int64]*Offer{}
	for i := range offers {
		offerOf[offers[i].ServiceID] = &offers[i]
	}
	claimOf := map[int64]*Claim{}
	for i := range saved {
		claimOf[saved[i].ServiceID] = &saved[i]
	}
	var out []ReturnLine
	for _, sv := range services {
		p, ok := sv.PeriodEndingIn(month)
		if sv.Year != FinancialYear(month) || !ok || !sv.Eligible(o.Code, o.Kind == orgs.PCN, chain, offerOf[sv.ID]) {
			continue
		}
		// A period no longer claimable (the service withdrawn, say) still
		// shows a claim already submitted for it, read-only, so that the
		// practice sees what became of it.
		if ok, _ := sv.Claimable(p, o, offerOf[sv.ID]); !ok && (claimOf[sv.ID] == nil || !claimOf[sv.ID].Locked()) {
			continue
		}
		out = append(out, ReturnLine{Service: sv, Period: p, Deadline: sv.DeadlineFor(p, offerOf[sv.ID]), Claim: claimOf[sv.ID], Offer: offerOf[sv.ID]})
	}
	return out
}

// PricePreview prices the line with what is saved so far (nothing, before
// anything is), under its Facts. A problem a person can act on (say, no
// registered list loaded for capitation) is kept as the line's Problem; any
// other is returned.
func (l *ReturnLine) PricePreview() error {
	activity := map[string]int64{}
	if l.Claim != nil {
		activity = l.Claim.Activity
	}
	var err error
	if l.Preview, err = Price(l.Service, l.Period, activity, l.Facts); err != nil {
		if l.Problem = problem.Message(err); l.Problem == "" {
			return err
		}
	}
	return nil
}

// ReturnEntry is what was typed for one service on a return.
type ReturnEntry struct {
	ServiceID int64
	Activity  map[string]string // field key → text
	Unusual   string            // the submitter's reason for figures far out of the ordinary, confirming them
}

// ReturnWork is one line of a return checked, priced and ready to write.
type ReturnWork struct {
	Line     *ReturnLine
	Activity map[string]int64
	Result   payrules.Result
	Flag     string // unusual figures confirmed, for the reviewer (Flag)
	Reason   string // a draft's reason for an unusual figure, as typed, kept for its submission
}

// PrepareReturn checks what was typed on an organisation's return for a
// month against the lines it may claim, and prices each line, at now. A
// draft (submit false) keeps what is blank; a submission needs every field,
// the declaration where a service asks, and periods that have ended. Lines
// already submitted cannot be submitted again (they are amended). Any
// problem is returned naming its form field, and nothing is to be written.
func PrepareReturn(lines []ReturnLine, entries []ReturnEntry, orgName string, month, now time.Time, submit, declared bool) ([]ReturnWork, error) {
	byID := map[int64]*ReturnLine{}
	for i := range lines {
		byID[lines[i].Service.ID] = &lines[i]
	}
	var todo []ReturnWork
	var errs problem.Fields
	needDecl := false
	for _, e := range entries {
		line, ok := byID[e.ServiceID]
		if !ok {
			return nil, problem.New(problem.Invalid, "Service %d is not on %s's return for %s: it is not offered to them, not signed up to, or has no period ending that month",
				e.ServiceID, orgName, month.Format("January 2006"))
		}
		field := FieldName(line.Service.Code, firstKey(line.Service))
		if line.Claim != nil && line.Claim.Locked() {
			if hasAny(e.Activity) {
				errs.Add(field, fmt.Sprintf("%s was already submitted on %s; to correct it, amend the claim",
					line.Service.Name, line.Claim.SubmittedAt.Format("2 January 2006")))
			}
			continue
		}
		if submit && !Submittable(line.Period, now) {
			errs.Add(field, fmt.Sprintf("%s: %s can be submitted once it has ended, from %s; save a draft until then",
				line.Service.Name, line.Period.Label(line.Service.Frequency), line.Period.SubmitFrom().Format("2 January 2006")))
			continue
		}
		needDecl = needDecl || (submit && line.Service.NeedsDeclaration)
		act, ferrs := ParseActivity(line.Service, e.Activity, submit)
		errs = append(errs, ferrs...)
		if utf8.RuneCountInString(e.Unusual) > MaxNote {
			errs.Add(FieldName(line.Service.Code, "_unusual"), fmt.Sprintf("%s: keep the reason to %d characters or fewer", line.Service.Name, MaxNote))
			continue
		}
		if len(ferrs) > 0 {
			continue
		}
		if !submit && !hasAny(e.Activity) {
			continue
		}
		res, err := Price(line.Service, line.Period, act, line.Facts)
		if err != nil {
			if problem.KindOf(err) == problem.Invalid {
				errs.Add(field, line.Service.Name+": "+problem.Message(err))
				continue
			}
			return nil, err
		}
		flag := ""
		if unusual := Unusual(line.Service, act, line.Usual); submit && len(unusual) > 0 {
			if utf8.RuneCountInString(strings.TrimSpace(e.Unusual)) < MinUnusualReason {
				errs.Add(field, fmt.Sprintf("%s: %s. If the figure is right, say why in the box below it (at least %d characters): your commissioner will see it",
					line.Service.Name, strings.Join(unusual, "; "), MinUnusualReason))
				continue
			}
			flag = Flag(unusual, e.Unusual)
		}
		reason := ""
		if !submit {
			reason = strings.TrimSpace(e.Unusual)
		}
		todo = append(todo, ReturnWork{line, act, res, flag, reason})
	}
	if submit && needDecl && !declared {
		errs.Add("declaration", "Confirm the declaration before you submit")
	}
	if submit && len(todo) == 0 && len(errs) == 0 {
		errs.Add("return", "There is nothing left to submit on this return")
	}
	if len(errs) > 0 {
		return nil, &problem.Error{Kind: problem.Invalid, Message: "The return was not saved: correct the problems below", Fields: errs}
	}
	return todo, nil
}

func hasAny(m map[string]string) bool {
	for _, v := range m {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// firstKey is the form field a problem with a whole line points to.
func firstKey(s Service) string {
	if len(s.Fields) > 0 {
		return s.Fields[0].Key
	}
	return "claim"
}

// Eligible reports whether org may claim s: chain is org and every
// organisation above it, offer its sign-up (nil when none).
func (s Service) Eligible(org string, orgIsPCN bool, chain []string, offer *Offer) bool {
	if s.Draft {
		return false
	}
	switch s.Eligibility {
	case AllPractices:
		if orgIsPCN || !slices.Contains(chain, s.Commissioner) {
			return false
		}
	case ChosenPractices:
		if orgIsPCN || !slices.Contains(s.Chosen, org) {
			return false
		}
	case PCNs:
		if !orgIsPCN || !slices.Contains(s.Chosen, org) {
			return false
		}
	}
	return !s.SignUp || offer != nil && offer.Status == Active
}

// FieldName is the form and CSV name of a service's activity field.
func FieldName(code, key string) string { return code + "." + key }

// ParseActivity reads what was typed for each of s's fields. For a
// submission every field is required; a draft may leave some blank. Errors
// name the form field (service code and field) and say what is wrong.
func ParseActivity(s Service, raw map[string]string, submit bool) (map[string]int64, problem.Fields) {
	out := map[string]int64{}
	var errs problem.Fields
	for _, f := range s.Fields {
		name := FieldName(s.Code, f.Key)
		text := strings.TrimSpace(raw[f.Key])
		if text == "" {
			if submit {
				errs.Add(name, fmt.Sprintf("%s: enter %s", s.Name, strings.ToLower(f.Label)))
			}
			continue
		}
		n, ok := numfmt.ParseDecimal(text, 0)
		switch {
		case strings.HasPrefix(text, "-") || strings.HasPrefix(text, "−"):
			errs.Add(name, fmt.Sprintf("%s: %s cannot be negative", s.Name, f.Label))
		case !ok:
			errs.Add(name, fmt.Sprintf("%s: %s must be a whole number (commas only between thousands, as in 1,050), not %q", s.Name, f.Label, raw[f.Key]))
		case n > 10_000_000:
			errs.Add(name, fmt.Sprintf("%s: %s is too large", s.Name, f.Label))
		default:
			out[f.Key] = n
		}
	}
	r := s.Rule // the fields a rule names are the same in every change of it
	if r.Kind == payrules.Achievement {
		num, okN := out[r.Numerator]
		den, okD := out[r.Denominator]
		if okN && okD && num > den {
			labels := s.Labels()
			errs.Add(FieldName(s.Code, r.Numerator), fmt.Sprintf("%s: %s (%d) cannot be more than %s (%d)",
				s.Name, labels[r.Numerator], num, labels[r.Denominator], den))
		}
	}
	return out, errs
}

// Facts are what the database knows that a payment needs beyond the claim.
type Facts struct {
	Patients      int64
	Weighted      int64
	HasWeighted   bool
	PatientsKnown bool
	PatientsNote  string
	// The days in the period the organisation was signed up and open;
	// zero values mean the whole period.
	ActiveFrom, ActiveTo time.Time
}

// Price works out what a claim for s in period p with this activity pays.
func Price(s Service, p Period, activity map[string]int64, f Facts) (payrules.Result, error) {
	in := payrules.Input{Activity: activity, Labels: s.Labels(), Patients: f.Patients, WeightedPatients: f.Weighted,
		HasWeighted: f.HasWeighted, PatientsKnown: f.PatientsKnown, PatientsNote: f.PatientsNote, PeriodDays: p.Days(), ActiveDays: p.Days()}
	from, to := p.Start, p.End
	var notes []string
	if !f.ActiveFrom.IsZero() && f.ActiveFrom.After(from) {
		from = f.ActiveFrom
		notes = append(notes, "signed up "+f.ActiveFrom.Format("2 January 2006"))
	}
	if !f.ActiveTo.IsZero() && f.ActiveTo.Before(to) {
		to = f.ActiveTo
		notes = append(notes, "closed "+f.ActiveTo.Format("2 January 2006"))
	}
	// A service that starts or ends part-way through a period pays for its days.
	if !s.Starts.IsZero() && s.Starts.After(from) {
		from = s.Starts
		notes = append(notes, "service started "+s.Starts.Format("2 January 2006"))
	}
	if !s.Ends.IsZero() && s.Ends.Before(to) {
		to = s.Ends
		notes = append(notes, "service ended "+s.Ends.Format("2 January 2006"))
	}
	in.ActiveDays = max(0, int64(to.Sub(from).Hours()/24)+1)
	in.ActiveNote = strings.Join(notes, "; ")
	return s.RuleFor(p).Calculate(in)
}
