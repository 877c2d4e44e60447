package plans

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// IndicatorKind is which of OnePC's figures an indicator reads.
type IndicatorKind string

const (
	MeasureFigure    IndicatorKind = "measure"    // an access measure, from the appointments publication
	PopulationFigure IndicatorKind = "population" // registered patients, from the registered patients publication
	ClaimsFigure     IndicatorKind = "claims"     // approved and paid local service claims in the financial year so far; its baseline and targets are whole years
)

// Label is the kind for people.
func (k IndicatorKind) Label() string {
	switch k {
	case MeasureFigure:
		return "Access measure"
	case PopulationFigure:
		return "Registered patients"
	case ClaimsFigure:
		return "Local service claims approved"
	}
	return string(k)
}

// Indicator reads progress on an objective from a figure OnePC holds for an
// organisation, against a baseline and a target for each plan year. Values
// are whole numbers in the figure's own unit: thousandths of a measure's
// value (43.2 % is 43200), patients, or pence.
type Indicator struct {
	ID           int64         `json:"id"`
	Objective    int64         `json:"objective"`
	Kind         IndicatorKind `json:"kind"`
	Measure      string        `json:"measure,omitempty"`
	Org          string        `json:"org"`
	Baseline     int64         `json:"baseline"`
	BaselineAt   time.Time     `json:"baseline_at"` // the month the baseline was read for
	Targets      map[int]int64 `json:"targets"`     // financial year → target
	HigherBetter bool          `json:"higher_better"`
}

// Reading is an indicator's figure as it stands: the latest month's value
// and, for a measure, its numerator and denominator (with the baseline's)
// so that a change can be tested.
type Reading struct {
	Have             bool
	Value            int64
	Month            time.Time
	Num, Den         int64
	BaseNum, BaseDen int64
}

// Progress is how an indicator is doing.
type Progress struct {
	RAG      string    `json:"rag"`      // green, amber, red, or awaiting
	Expected int64     `json:"expected"` // where the trajectory says it should be now
	Actual   int64     `json:"actual"`
	Month    time.Time `json:"month,omitzero"`
	Note     string    `json:"note"`
}

// Awaiting says what is missing when an indicator has no reading yet.
func (k IndicatorKind) Awaiting() string {
	switch k {
	case MeasureFigure:
		return "Awaiting the next appointments publication: no figures yet for this organisation."
	case PopulationFigure:
		return "Awaiting the next registered patients publication."
	}
	return "Awaiting the plan's first year."
}

// Trajectory is where the indicator should be at the end of month: the
// baseline at the plan's start (1 April of its first year), each year's
// target at that year's end (31 March), in a straight line between; a year
// without a target keeps the one before.
func (ind Indicator) Trajectory(fromYear, toYear int, month time.Time) int64 {
	prev := ind.Baseline
	for y := fromYear; y <= toYear; y++ {
		target, ok := ind.Targets[y]
		if !ok {
			target = prev
		}
		start := time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(1, 0, 0)
		if month.Before(start) {
			return prev
		}
		if month.Before(end) {
			elapsed, _ := YearShare(month) // months done, counting this one
			return prev + (target-prev)*elapsed/12
		}
		prev = target
	}
	return prev
}

// YearShare is how far into its financial year month is, in twelfths
// (April is 1, March 12), and that year.
func YearShare(month time.Time) (elapsed int64, year int) {
	year = claims.FinancialYear(month)
	return int64((month.Year()-year)*12+int(month.Month())-int(time.April)) + 1, year
}

// Assess compares a reading with the trajectory. Green: at or beyond where
// the trajectory says it should be. Amber: short of that but no worse than
// the baseline, or worse than the baseline by a margin a two-proportion
// z-test at 95 % cannot tell from chance (the measure pages' test). Red:
// worse than the baseline, significantly so for a measure.
func Assess(ind Indicator, fromYear, toYear int, r Reading) Progress {
	if !r.Have {
		return Progress{RAG: "awaiting", Note: ind.Kind.Awaiting()}
	}
	p := Progress{Actual: r.Value, Month: r.Month, Expected: ind.Trajectory(fromYear, toYear, r.Month)}
	baseline := ind.Baseline
	if ind.Kind == ClaimsFigure {
		// Claims build up from April: the year so far is compared with the
		// same share of the year's target and of the baseline year's total.
		elapsed, year := YearShare(r.Month)
		target, ok := ind.Targets[year]
		for y := year - 1; !ok && y >= fromYear; y-- {
			target, ok = ind.Targets[y]
		}
		if !ok {
			target = ind.Baseline
		}
		p.Expected, baseline = target*elapsed/12, ind.Baseline*elapsed/12
	}
	better := func(a, b int64) bool { // a at least as good as b
		if ind.HigherBetter {
			return a >= b
		}
		return a <= b
	}
	switch {
	case better(r.Value, p.Expected):
		p.RAG, p.Note = "green", "On or ahead of the trajectory."
	case better(r.Value, baseline):
		p.RAG, p.Note = "amber", "Better than the baseline but behind the trajectory."
	case ind.Kind == MeasureFigure && r.Den > 0 && r.BaseDen > 0:
		if _, _, sig := access.Change(r.BaseNum, r.BaseDen, r.Num, r.Den); sig {
			p.RAG, p.Note = "red", "Worse than the baseline, significantly (two-proportion z-test at 95 %)."
		} else {
			p.RAG, p.Note = "amber", "Worse than the baseline, but by no more than chance would explain (two-proportion z-test at 95 %)."
		}
	default:
		p.RAG, p.Note = "red", "Worse than the baseline."
	}
	return p
}

// IndicatorInput is what a facilitator fills in to add an indicator.
type IndicatorInput struct {
	Kind         string
	Measure      string
	Org          string
	HigherBetter string // "higher" or "lower"
	Targets      map[int]string
}

// ParseFigure reads a value typed in the figure's unit into the stored
// whole number: 43.2 (%) → 43200; 5,000 (patients) → 5000; £1,234.56 → 123456.
func ParseFigure(k IndicatorKind, s string) (int64, error) {
	switch k {
	case MeasureFigure:
		return parseScaled(s, 1000)
	case ClaimsFigure:
		if p, ok := payrules.ParsePounds(s); ok {
			return p, nil
		}
		return 0, fmt.Errorf("%q is not an amount in pounds, like £1,250.00", s)
	}
	return parseScaled(s, 1)
}

// FormatFigure writes a stored value back in its unit.
func FormatFigure(k IndicatorKind, unit access.Unit, v int64) string {
	switch k {
	case MeasureFigure:
		return fmt.Sprintf("%.1f", float64(v)/1000) + unit.Suffix()
	case ClaimsFigure:
		sign, p := "", v
		if p < 0 {
			sign, p = "-", -p
		}
		return fmt.Sprintf("%s£%s.%02d", sign, numfmt.Count(p/100), p%100)
	}
	return numfmt.Count(v)
}

// parseScaled reads a decimal (commas, a £ and a % allowed) into a whole
// number of 1/scale units, exactly: no float on the way.
func parseScaled(s string, scale int64) (int64, error) {
	orig := s
	clean := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == ',' || r == '£' || r == '%' || r == ' ':
		default:
			clean = append(clean, string(r)...)
		}
	}
	s = string(clean)
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		whole, frac = s[:i], s[i+1:]
	}
	digits := len(strconv.FormatInt(scale, 10)) - 1 // 1000 → 3 decimal places
	if whole == "" && frac == "" || len(frac) > digits || len(whole) > 15 {
		return 0, fmt.Errorf("%q is not a number with at most %d decimal places", orig, digits)
	}
	var n int64
	for _, c := range whole + frac + strings.Repeat("0", digits-len(frac)) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", orig)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// NewIndicator checks an indicator's fields for a plan of years; the
// baseline is read from the data, not typed.
func NewIndicator(in IndicatorInput, years []int) (Indicator, error) {
	var errs problem.Fields
	ind := Indicator{Kind: IndicatorKind(in.Kind), Measure: in.Measure, Org: in.Org, Targets: map[int]int64{}}
	switch ind.Kind {
	case MeasureFigure:
		if in.Measure == "" {
			errs.Add("measure", "Choose the access measure the indicator reads")
		}
	case PopulationFigure, ClaimsFigure:
		ind.Measure = ""
	default:
		errs.Add("kind", "Choose what the indicator reads: an access measure, registered patients or claims")
	}
	if in.Org == "" {
		errs.Add("org", "Choose the organisation whose figure it reads")
	}
	switch in.HigherBetter {
	case "higher":
		ind.HigherBetter = true
	case "lower":
	default:
		errs.Add("direction", "Say whether a higher or a lower figure is better")
	}
	for _, y := range years {
		raw := in.Targets[y]
		if raw == "" {
			continue
		}
		v, err := ParseFigure(ind.Kind, raw)
		if err != nil {
			errs.Add(fmt.Sprintf("target_%d", y), fmt.Sprintf("Target for %s: %v", claims.YearLabel(y), err))
			continue
		}
		ind.Targets[y] = v
	}
	if len(ind.Targets) == 0 && len(errs) == 0 {
		errs.Add(fmt.Sprintf("target_%d", years[len(years)-1]), "Give a target for at least one year of the plan")
	}
	if err := errs.Err(); err != nil {
		return Indicator{}, err
	}
	return ind, nil
}
