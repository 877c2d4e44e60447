package access

import (
	"math"
	"sort"
)

// Value is a measure's value from its numerator and denominator: a
// percentage, or a rate per 1,000 patients. ok is false when the
// denominator is missing or zero.
func (m Measure) Value(num, den int64, hasDen bool) (float64, bool) {
	if !hasDen || den <= 0 {
		return 0, false
	}
	scale := 100.0
	if m.Unit == Per1000 {
		scale = 1000
	}
	return float64(num) * scale / float64(den), true
}

// PercentileRanks gives each value its percentile among all of them, 0 to
// 100: the share below it plus half the share equal to it (the mid-rank
// definition, so that ties share a rank and a middling value is 50).
func PercentileRanks(values []float64) []float64 {
	n := len(values)
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	out := make([]float64, n)
	for i, v := range values {
		below := sort.SearchFloat64s(sorted, v)
		equal := sort.SearchFloat64s(sorted, math.Nextafter(v, math.Inf(1))) - below
		out[i] = 100 * (float64(below) + float64(equal)/2) / float64(n)
	}
	return out
}

// Quantile is the q-th quantile (0 to 1) of sorted values, interpolating
// linearly between neighbours (the definition spreadsheets use).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// Deciles returns the 10th, 20th … 90th percentiles of values.
func Deciles(values []float64) [9]float64 {
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	var d [9]float64
	for i := range d {
		d[i] = Quantile(sorted, float64(i+1)/10)
	}
	return d
}

// Change compares two proportions (a year ago and now) with a two-sided
// two-proportion z-test at 95%: significant when |z| > 1.96. It returns the
// change in percentage points and z.
func Change(num0, den0, num1, den1 int64) (points, z float64, significant bool) {
	if den0 <= 0 || den1 <= 0 {
		return 0, 0, false
	}
	p0, p1 := float64(num0)/float64(den0), float64(num1)/float64(den1)
	pooled := float64(num0+num1) / float64(den0+den1)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(den0) + 1/float64(den1)))
	points = 100 * (p1 - p0)
	if se == 0 {
		return points, 0, false
	}
	z = (p1 - p0) / se
	return points, z, math.Abs(z) > 1.96
}

// DecileOf is the decile (1 to 10) a percentile (0 to 100) falls in.
func DecileOf(percentile float64) int {
	d := int(percentile/10) + 1
	return min(max(d, 1), 10)
}
