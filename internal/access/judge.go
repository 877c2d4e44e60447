package access

import "math"

// Verdicts on a change against the same months a year earlier.
const (
	Improved      = "Improved"
	Declined      = "Declined"
	Changed       = "Changed" // significant, for a measure with no better way
	NoSignificant = "No significant change"
)

// Verdict calls a change an improvement or a decline only when a test at
// 95% says it lies outside chance: a two-proportion z-test for percentages,
// and for rates per 1,000 the same test on the counts as Poisson rates.
func Verdict(m Measure, num0, den0, num1, den1 int64) string {
	var sig, rising bool
	if m.Unit == Percent {
		points, _, s := Change(num0, den0, num1, den1)
		sig, rising = s, points > 0
	} else {
		r0, r1 := float64(num0)/float64(den0), float64(num1)/float64(den1)
		se := math.Sqrt(float64(num0)/float64(den0*den0) + float64(num1)/float64(den1*den1))
		sig, rising = se > 0 && math.Abs(r1-r0)/se > 1.96, r1 > r0
	}
	switch {
	case !sig:
		return NoSignificant
	case m.Direction == Neutral:
		return Changed
	case rising == (m.Direction == HigherBetter):
		return Improved
	}
	return Declined
}

// RAG compares a value with a target: green when met, amber within a tenth
// of it, red beyond; "" for a measure with no better way.
func RAG(m Measure, value, target float64) string {
	switch m.Direction {
	case HigherBetter:
		if value >= target {
			return "green"
		}
		if value >= target*0.9 {
			return "amber"
		}
		return "red"
	case LowerBetter:
		if value <= target {
			return "green"
		}
		if value <= target*1.1 {
			return "amber"
		}
		return "red"
	}
	return ""
}

// Goodness turns a percentile into how good it is, 0 (worst) to 100 (best):
// the percentile itself where higher is better, its mirror where lower is
// better, and the plain percentile for a neutral measure.
func Goodness(m Measure, percentile float64) float64 {
	if m.Direction == LowerBetter {
		return 100 - percentile
	}
	return percentile
}

// Better says whether a rising percentile is an improvement (nil for a
// neutral measure).
func Better(m Measure, rising bool) *bool {
	if m.Direction == Neutral {
		return nil
	}
	b := rising == (m.Direction == HigherBetter)
	return &b
}
