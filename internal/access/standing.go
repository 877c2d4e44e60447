package access

import (
	"math"
	"slices"
	"time"
)

// Standing is a measure's figures for one organisation over a period: its
// value, the value over the same calendar months a year earlier, whether the
// change is significant, and where it stands among all practices.
type Standing struct {
	From, To      time.Time // the first and last month of the period
	Months        int       // of them, how many are loaded
	Value         float64
	HasValue      bool
	YearAgo       float64
	HasYearAgo    bool
	Change        float64
	Verdict       string // "" unless both values are known
	Percentile    float64
	HasPercentile bool    // a practice in the latest month
	Median        float64 // of all practices' values over the period (NaN when none has one)
}

// Summarise works out a measure's figures for org (practices is org's,
// at and below it) over the last `months` calendar months up to the latest
// month loaded, against the same months a year earlier. Months missing from
// either window are left out of it, not taken from a neighbour.
func (t *Table) Summarise(org string, practices map[string]bool, months int) (Standing, bool) {
	n := len(t.Months)
	if n == 0 {
		return Standing{}, false
	}
	to := t.Months[n-1]
	from := to.AddDate(0, 1-months, 0)
	s := Standing{From: from, To: to, Median: math.NaN()}
	if lo, hi := t.span(from, to); lo >= 0 {
		s.Months = hi - lo + 1
		s.Median = t.periodMedian(lo, hi)
	}
	num1, den1, ok1 := t.Window(practices, from, to)
	num0, den0, ok0 := t.Window(practices, from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0))
	s.Value, s.HasValue = t.Measure.Value(num1, den1, ok1)
	s.YearAgo, s.HasYearAgo = t.Measure.Value(num0, den0, ok0)
	if s.HasValue && s.HasYearAgo {
		s.Change, s.Verdict = s.Value-s.YearAgo, Verdict(t.Measure, num0, den0, num1, den1)
	}
	if pv := t.Ranked[org]; pv != nil && pv[n-1].OK {
		s.Percentile, s.HasPercentile = pv[n-1].Percentile, true
	}
	return s, true
}

// periodMedian is the median over the loaded months lo..hi (indexes) of
// each practice's value over those months, as an organisation's own is
// taken; NaN when no practice has one. A table never changes once built,
// so each period's is worked out once: nationally it is every practice's
// sums sorted, which was nine tenths of an access page's time (bench/gpad).
func (t *Table) periodMedian(lo, hi int) float64 {
	t.mediansMu.Lock()
	defer t.mediansMu.Unlock()
	if m, ok := t.medians[[2]int{lo, hi}]; ok {
		return m
	}
	var vals []float64
	for _, raw := range t.Raw {
		var num, den int64
		ok := false
		for i := lo; i <= hi; i++ {
			if raw[i].HasDen {
				num, den, ok = num+raw[i].Num, den+raw[i].Den, true
			}
		}
		if v, known := t.Measure.Value(num, den, ok); known {
			vals = append(vals, v)
		}
	}
	median := math.NaN()
	if len(vals) > 0 {
		slices.Sort(vals)
		median = Quantile(vals, 0.5)
	}
	if t.medians == nil {
		t.medians = map[[2]int]float64{}
	}
	t.medians[[2]int{lo, hi}] = median
	return median
}

// Window adds the numerators and denominators of the practices over the
// loaded months from..to (inclusive); ok is false when none has a
// denominator.
func (t *Table) Window(practices map[string]bool, from, to time.Time) (num, den int64, ok bool) {
	lo, hi := t.span(from, to)
	if lo < 0 {
		return 0, 0, false
	}
	return t.Sum(practices, lo, hi+1)
}

// span is the indexes of the first and last loaded months in from..to
// (inclusive); -1, -1 when none is loaded.
func (t *Table) span(from, to time.Time) (lo, hi int) {
	lo, hi = -1, -1
	for i, m := range t.Months {
		if !m.Before(from) && !m.After(to) {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	return lo, hi
}
