package access

import (
	"math"
	"sync"
	"time"
)

// Value is one practice's numerator and denominator for a measure in one
// month, as stored.
type Value struct {
	Practice string    `json:"practice_code"`
	Month    time.Time `json:"month"`
	Num      int64     `json:"numerator"`
	Den      int64     `json:"denominator"`
	HasDen   bool      `json:"has_denominator"`
}

// Ranked is a practice's value in a month with its percentile among all
// practices that have one.
type Ranked struct {
	Value      float64
	Percentile float64
	OK         bool
}

// Table is one measure across every practice loaded, month by month: each
// practice's value and percentile, and the deciles.
type Table struct {
	Measure Measure
	Months  []time.Time
	Deciles [][9]float64        // per month
	Ranked  map[string][]Ranked // practice → per month
	Raw     map[string][]Value  // practice → per month (numerator, denominator)
	Count   []int               // practices with a value, per month

	mediansMu sync.Mutex
	medians   map[[2]int]float64 // by the months' indexes, see periodMedian
}

// NewTable ranks vals (any order) over months (oldest first).
func NewTable(m Measure, months []time.Time, vals []Value) *Table {
	t := &Table{Measure: m, Months: months, Ranked: map[string][]Ranked{}, Raw: map[string][]Value{}}
	index := map[time.Time]int{}
	for i, mo := range months {
		index[mo] = i
	}
	byMonth := make([][]Value, len(months))
	for _, v := range vals {
		if i, ok := index[v.Month]; ok {
			byMonth[i] = append(byMonth[i], v)
		}
	}
	for i, list := range byMonth {
		var xs []float64
		var who []string
		for _, v := range list {
			if t.Raw[v.Practice] == nil {
				t.Raw[v.Practice] = make([]Value, len(months))
				t.Ranked[v.Practice] = make([]Ranked, len(months))
			}
			t.Raw[v.Practice][i] = v
			if x, ok := m.Value(v.Num, v.Den, v.HasDen); ok {
				xs = append(xs, x)
				who = append(who, v.Practice)
			}
		}
		ranks := PercentileRanks(xs)
		for j, p := range who {
			t.Ranked[p][i] = Ranked{Value: xs[j], Percentile: ranks[j], OK: true}
		}
		t.Deciles = append(t.Deciles, Deciles(xs))
		t.Count = append(t.Count, len(xs))
	}
	return t
}

// Series adds up the numerators and denominators of the practices given
// (an organisation's, at and below it), month by month, and gives the
// measure's value for each: NaN where none has a denominator.
func (t *Table) Series(practices map[string]bool) []float64 {
	out := make([]float64, len(t.Months))
	for i := range t.Months {
		num, den, ok := t.Sum(practices, i, i+1)
		out[i] = math.NaN()
		if v, has := t.Measure.Value(num, den, ok); has {
			out[i] = v
		}
	}
	return out
}

// Sum adds the numerators and denominators of the practices over months
// [from, to); ok is false when none has a denominator.
func (t *Table) Sum(practices map[string]bool, from, to int) (num, den int64, ok bool) {
	if from < 0 || to > len(t.Months) || from >= to {
		return 0, 0, false
	}
	for p := range practices {
		raw := t.Raw[p]
		if raw == nil {
			continue
		}
		for i := from; i < to; i++ {
			if raw[i].HasDen {
				num, den, ok = num+raw[i].Num, den+raw[i].Den, true
			}
		}
	}
	return num, den, ok
}

// Percentiles is a practice's percentile month by month, NaN where it has
// no value: the series CUSUM watches.
func (t *Table) Percentiles(practice string) []float64 {
	out := make([]float64, len(t.Months))
	pv := t.Ranked[practice]
	for i := range out {
		out[i] = math.NaN()
		if pv != nil && pv[i].OK {
			out[i] = pv[i].Percentile
		}
	}
	return out
}
