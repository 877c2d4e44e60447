package claims

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// Eligible reports whether org may claim s: chain is org and every
// organisation above it, offer its sign-up (nil when none).
func (s Service) Eligible(org string, orgIsPCN bool, chain []string, offer *Offer) bool {
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
		text := strings.ReplaceAll(strings.TrimSpace(raw[f.Key]), ",", "")
		if text == "" {
			if submit {
				errs.Add(name, fmt.Sprintf("%s: enter %s", s.Name, strings.ToLower(f.Label)))
			}
			continue
		}
		n, err := strconv.ParseInt(text, 10, 64)
		switch {
		case err != nil:
			errs.Add(name, fmt.Sprintf("%s: %s must be a whole number, not %q", s.Name, f.Label, raw[f.Key]))
		case n < 0:
			errs.Add(name, fmt.Sprintf("%s: %s cannot be negative", s.Name, f.Label))
		case n > 10_000_000:
			errs.Add(name, fmt.Sprintf("%s: %s is too large", s.Name, f.Label))
		default:
			out[f.Key] = n
		}
	}
	r := s.Rule
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
	in.ActiveDays = max(0, int64(to.Sub(from).Hours()/24)+1)
	in.ActiveNote = strings.Join(notes, "; ")
	return s.Rule.Calculate(in)
}
