package payrules

import (
	"fmt"
	"strings"

	"github.com/onepc/onepc/internal/numfmt"

	"github.com/onepc/onepc/internal/problem"
)

// Kind names a payment rule.
type Kind string

const (
	FeePerItem  Kind = "fee_per_item"
	Capitation  Kind = "capitation"
	Achievement Kind = "achievement"
	Block       Kind = "block"
	Sessional   Kind = "sessional"
)

// Kinds lists the rules in the order forms show them.
var Kinds = []Kind{FeePerItem, Capitation, Achievement, Block, Sessional}

// Label names a rule for people.
func (k Kind) Label() string {
	switch k {
	case FeePerItem:
		return "Fee per item"
	case Capitation:
		return "Capitation (per registered patient)"
	case Achievement:
		return "Achievement (between thresholds)"
	case Block:
		return "Block payment per period"
	case Sessional:
		return "Sessional (sessions × rate)"
	}
	return string(k)
}

// Rule is a service's payment rule. Only the fields of its Kind are used.
type Rule struct {
	Kind Kind `json:"kind"`

	// Fee per item and sessional: Field counts the items or sessions, each
	// paid RatePence; a fee per item may be capped per period in items, in
	// money, or both.
	Field     string `json:"field,omitempty"`
	RatePence int64  `json:"rate_pence,omitempty"`
	CapItems  int64  `json:"cap_items,omitempty"`
	CapPence  int64  `json:"cap_pence,omitempty"`
	// Unit and Units name one and several of what is counted ("ECG",
	// "ECGs"), so the words read "1 ECG", "12 ECGs"; unset, the field's
	// label is used.
	Unit  string `json:"unit,omitempty"`
	Units string `json:"units,omitempty"`

	// Capitation: hundredths of a penny per patient per period, per
	// registered or per needs-weighted patient.
	RateCentipence int64 `json:"rate_centipence,omitempty"`
	Weighted       bool  `json:"weighted,omitempty"`

	// Achievement: Numerator/Denominator between LowerPM and UpperPM (per
	// mille) pays 0 to MaxPence linearly; at or above UpperPM pays MaxPence.
	Numerator   string `json:"numerator,omitempty"`
	Denominator string `json:"denominator,omitempty"`
	LowerPM     int64  `json:"lower_per_mille,omitempty"`
	UpperPM     int64  `json:"upper_per_mille,omitempty"`
	MaxPence    int64  `json:"max_pence,omitempty"`

	// Block: a fixed sum per period, pro rata by days active in it.
	BlockPence int64 `json:"block_pence,omitempty"`
}

// PatientsField is the activity field a capitation claim declares its list
// in when no list-size data is loaded.
const PatientsField = "patients"

// Validate checks a rule against the activity fields its service reports;
// problems name the Rule field at fault by its JSON name ("rate_pence"),
// which a form maps to its own inputs.
func (r Rule) Validate(fields []string) error {
	var errs problem.Fields
	has := func(f string) bool {
		for _, x := range fields {
			if x == f {
				return true
			}
		}
		return false
	}
	needField := func(form, f, what string) {
		if f == "" {
			errs.Add(form, "Choose the activity field that counts the "+what)
		} else if !has(f) {
			errs.Add(form, fmt.Sprintf("%q is not one of this service's activity fields", f))
		}
	}
	// Amounts far beyond any local service's are mistakes (a probe set a fee
	// of £99,999,999.99): a fee, session or capitation rate up to £10,000,
	// a period's block, cap or maximum up to £10 million.
	const maxRate, maxSum = 1_000_000, 1_000_000_000
	positive := func(form string, v int64, what string) {
		limit := int64(maxSum)
		if form == "rate_pence" || form == "rate_centipence" {
			limit = maxRate
			if form == "rate_centipence" {
				limit = maxRate * 100
			}
		}
		switch {
		case v <= 0:
			errs.Add(form, "Enter "+what+" greater than zero")
		case v > limit:
			errs.Add(form, fmt.Sprintf("Enter %s of at most %s: more is surely a mistake", what, Pounds(limit/map[bool]int64{true: 100, false: 1}[form == "rate_centipence"])))
		}
	}
	switch r.Kind {
	case FeePerItem:
		needField("field", r.Field, "items")
		positive("rate_pence", r.RatePence, "the fee per item")
		if r.CapItems < 0 || r.CapItems > 10_000_000 {
			errs.Add("cap_items", "Enter a cap from 0 to 10,000,000 items")
		}
		if r.CapPence < 0 || r.CapPence > maxSum {
			errs.Add("cap_pence", "Enter a cap from £0 to "+Pounds(maxSum))
		}
	case Sessional:
		needField("field", r.Field, "sessions")
		positive("rate_pence", r.RatePence, "the rate per session")
	}
	if r.Kind == FeePerItem || r.Kind == Sessional {
		for _, u := range []struct{ form, v, what string }{{"unit", r.Unit, "one"}, {"units", r.Units, "more than one"}} {
			if len([]rune(u.v)) > 40 || strings.ContainsAny(u.v, "\r\n\t") || strings.TrimSpace(u.v) != u.v {
				errs.Add(u.form, "Enter what "+u.what+" is called in at most 40 characters, on one line, like ECG and ECGs")
			}
		}
		if (r.Unit == "") != (r.Units == "") {
			errs.Add(map[bool]string{true: "unit", false: "units"}[r.Unit == ""], "Enter what one item is called and what more than one are called (like ECG and ECGs), or neither")
		}
	}
	switch r.Kind {
	case FeePerItem, Sessional:
	case Capitation:
		positive("rate_centipence", r.RateCentipence, "the rate per patient")
	case Achievement:
		needField("numerator", r.Numerator, "numerator")
		needField("denominator", r.Denominator, "denominator")
		if r.Numerator != "" && r.Numerator == r.Denominator {
			errs.Add("denominator", "The denominator must be a different field from the numerator")
		}
		if r.LowerPM < 0 || r.UpperPM > 1000 || r.LowerPM >= r.UpperPM {
			errs.Add("lower_per_mille", "Enter a lower threshold below the upper, both between 0% and 100%")
		}
		positive("max_pence", r.MaxPence, "the maximum payment")
	case Block:
		positive("block_pence", r.BlockPence, "the block payment")
	default:
		errs.Add("kind", "Choose a payment rule")
	}
	return errs.Err()
}

// Fields lists the activity fields the rule reads.
func (r Rule) Fields() []string {
	switch r.Kind {
	case FeePerItem, Sessional:
		return []string{r.Field}
	case Achievement:
		return []string{r.Numerator, r.Denominator}
	}
	return nil
}

// Input is what one claim line brings to its rule.
type Input struct {
	Activity map[string]int64  // reported counts by field
	Labels   map[string]string // field → its name for people, e.g. "ECGs performed"

	// Capitation: the list on the reference date. PatientsKnown is false
	// when no list-size data is loaded; the rule then uses the list
	// declared on the claim (Activity[PatientsField]).
	Patients         int64
	WeightedPatients int64
	HasWeighted      bool
	PatientsKnown    bool
	PatientsNote     string // e.g. "registered on 1 April 2026"

	// Block: days in the period and days the practice was signed up and
	// open in it.
	PeriodDays int64
	ActiveDays int64
	ActiveNote string // e.g. "signed up 11 November"
}

// Result is a claim line's payment and how it was reached, in words.
type Result struct {
	Pence       int64  `json:"pence"`
	Explanation string `json:"explanation"`
}

func (in Input) label(field string) string {
	if l := in.Labels[field]; l != "" {
		return l
	}
	return strings.ReplaceAll(field, "_", " ")
}

// Calculate pays one claim line. It never pays less than zero, and the same
// rule and input always give the same pence.
func (r Rule) Calculate(in Input) (Result, error) {
	switch r.Kind {
	case FeePerItem:
		return r.feePerItem(in)
	case Sessional:
		n, err := in.count(r.Field)
		if err != nil {
			return Result{}, err
		}
		p := n * r.RatePence
		return Result{p, fmt.Sprintf("%s × %s = %s", r.count(in, n), Pounds(r.RatePence), Pounds(p))}, nil
	case Capitation:
		return r.capitation(in)
	case Achievement:
		return r.achievement(in)
	case Block:
		return r.block(in)
	}
	return Result{}, fmt.Errorf("unknown payment rule %q", r.Kind)
}

// count reads a required activity count.
func (in Input) count(field string) (int64, error) {
	n, ok := in.Activity[field]
	if !ok {
		return 0, problem.New(problem.Invalid, "%s is missing", in.label(field))
	}
	if n < 0 {
		return 0, problem.New(problem.Invalid, "%s cannot be negative", in.label(field))
	}
	return n, nil
}

// count is n of what the rule counts, in words: "1 ECG", "12 ECGs", or
// with no unit names "12 ECGs performed".
func (r Rule) count(in Input, n int64) string {
	switch {
	case r.Unit != "" && n == 1:
		return "1 " + r.Unit
	case r.Units != "":
		return numfmt.Count(n) + " " + r.Units
	}
	return numfmt.Count(n) + " " + midSentence(in.label(r.Field))
}

// midSentence writes a field's label as it reads after a number: "12
// samples taken", not "12 Samples taken"; "INR tests" and "GP sessions" keep
// their capitals.
func midSentence(label string) string {
	if len(label) > 1 && label[0] >= 'A' && label[0] <= 'Z' && label[1] >= 'a' && label[1] <= 'z' {
		return strings.ToLower(label[:1]) + label[1:]
	}
	return label
}

// items is a cap of n items in words: "40 ECGs", or "40 items".
func (r Rule) items(n int64) string {
	if r.Units != "" {
		return r.count(Input{}, n)
	}
	return numfmt.Count(n) + " items"
}

func (r Rule) feePerItem(in Input) (Result, error) {
	n, err := in.count(r.Field)
	if err != nil {
		return Result{}, err
	}
	items := n
	var notes []string
	if r.CapItems > 0 && items > r.CapItems {
		items = r.CapItems
		notes = append(notes, fmt.Sprintf("cap of %s applied", r.items(r.CapItems)))
	}
	p := items * r.RatePence
	text := fmt.Sprintf("%s × %s = %s", r.count(in, items), Pounds(r.RatePence), Pounds(p))
	if items != n {
		text = fmt.Sprintf("%s reported, %s", r.count(in, n), text)
	}
	if r.CapPence > 0 && p > r.CapPence {
		p = r.CapPence
		notes = append(notes, "cap "+Pounds(r.CapPence)+" applied")
	}
	if len(notes) > 0 {
		text += ", " + strings.Join(notes, ", ")
	}
	return Result{p, text}, nil
}

func (r Rule) capitation(in Input) (Result, error) {
	patients, what, note := in.Patients, "registered patients", in.PatientsNote
	switch {
	case !in.PatientsKnown:
		n, err := in.count(PatientsField)
		if err != nil {
			return Result{}, problem.New(problem.Invalid, "No list size is loaded for this practice, so the claim must declare its registered patients")
		}
		patients, note = n, "declared on the claim"
	case r.Weighted && in.HasWeighted:
		patients, what = in.WeightedPatients, "needs-weighted patients"
	}
	if patients == 1 {
		what = strings.TrimSuffix(what, "s")
	}
	p := RoundHalfUp(patients*r.RateCentipence, 100)
	text := fmt.Sprintf("%s %s × %s = %s", numfmt.Count(patients), what, rate(r.RateCentipence), Pounds(p))
	if note != "" {
		text += " (" + note + ")"
	}
	if r.Weighted && in.PatientsKnown && !in.HasWeighted {
		text += "; no age breakdown is loaded, so the registered list was used"
	}
	return Result{p, text}, nil
}

func (r Rule) achievement(in Input) (Result, error) {
	num, err := in.count(r.Numerator)
	if err != nil {
		return Result{}, err
	}
	den, err := in.count(r.Denominator)
	if err != nil {
		return Result{}, err
	}
	if num > den {
		return Result{}, problem.New(problem.Invalid, "%s (%d) cannot be more than %s (%d)", in.label(r.Numerator), num, in.label(r.Denominator), den)
	}
	if den == 0 {
		return Result{0, fmt.Sprintf("%s is 0, so achievement cannot be measured: nothing is due", in.label(r.Denominator))}, nil
	}
	// Achievement is rounded to 0.1% and paid on as rounded, so that the
	// words can be worked through by hand to the same pence.
	achPM := RoundHalfUp(num*1000, den)
	head := fmt.Sprintf("Achievement %s / %s = %s", numfmt.Count(num), numfmt.Count(den), percent(achPM))
	switch {
	case achPM >= r.UpperPM:
		return Result{r.MaxPence, fmt.Sprintf("%s, at or above the upper threshold of %s: maximum %s", head, percent(r.UpperPM), Pounds(r.MaxPence))}, nil
	case achPM <= r.LowerPM:
		return Result{0, fmt.Sprintf("%s, not above the lower threshold of %s: nothing is due", head, percent(r.LowerPM))}, nil
	}
	// max × (achievement − lower) / (upper − lower), all in thousandths.
	p := RoundHalfUp(r.MaxPence*(achPM-r.LowerPM), r.UpperPM-r.LowerPM)
	return Result{p, fmt.Sprintf("%s, between %s and %s: %s × (%s − %s) ÷ (%s − %s) = %s", head,
		percent(r.LowerPM), percent(r.UpperPM), Pounds(r.MaxPence), percent(achPM), percent(r.LowerPM),
		percent(r.UpperPM), percent(r.LowerPM), Pounds(p))}, nil
}

func (r Rule) block(in Input) (Result, error) {
	if in.PeriodDays <= 0 || in.ActiveDays < 0 || in.ActiveDays > in.PeriodDays {
		return Result{}, fmt.Errorf("block payment: %d active days in a period of %d", in.ActiveDays, in.PeriodDays)
	}
	if in.ActiveDays == in.PeriodDays {
		return Result{r.BlockPence, "Block payment for the whole period: " + Pounds(r.BlockPence)}, nil
	}
	p := RoundHalfUp(r.BlockPence*in.ActiveDays, in.PeriodDays)
	text := fmt.Sprintf("Block %s × %d/%d days = %s", Pounds(r.BlockPence), in.ActiveDays, in.PeriodDays, Pounds(p))
	if in.ActiveNote != "" {
		text += " (" + in.ActiveNote + ")"
	}
	return Result{p, text}, nil
}

// Describe says what a rule pays, for the service page.
func (r Rule) Describe(labels map[string]string) string {
	in := Input{Labels: labels}
	switch r.Kind {
	case FeePerItem:
		// "ECGs performed: £25.00 each": a label is a plural noun phrase,
		// so the words read right whatever it is (never "per ecgs performed").
		s := in.label(r.Field) + ": " + Pounds(r.RatePence) + " each"
		if r.Unit != "" {
			s = in.label(r.Field) + ": " + Pounds(r.RatePence) + " per " + r.Unit
		}
		if r.CapItems > 0 {
			s += ", at most " + r.items(r.CapItems)
		}
		if r.CapPence > 0 {
			s += ", capped at " + Pounds(r.CapPence)
		}
		if r.CapItems > 0 || r.CapPence > 0 {
			s += " a period"
		}
		return s
	case Sessional:
		return in.label(r.Field) + ": " + Pounds(r.RatePence) + " a session"
	case Capitation:
		per := "registered patient"
		if r.Weighted {
			per = "needs-weighted patient"
		}
		return rate(r.RateCentipence) + " per " + per + " a period"
	case Achievement:
		return fmt.Sprintf("Up to %s: nothing at %s or below, rising evenly to the full sum at %s of %s / %s",
			Pounds(r.MaxPence), percent(r.LowerPM), percent(r.UpperPM), strings.ToLower(in.label(r.Numerator)), strings.ToLower(in.label(r.Denominator)))
	case Block:
		return Pounds(r.BlockPence) + " a period, pro rata for part periods"
	}
	return ""
}
