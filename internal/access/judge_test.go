package access

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

func TestVerdictAndRAG(t *testing.T) {
	pct := Measure{Unit: Percent, Direction: HigherBetter}
	rate := Measure{Unit: Per1000, Direction: HigherBetter}
	tests := []struct {
		name                   string
		m                      Measure
		num0, den0, num1, den1 int64
		want                   string
	}{
		{"big rise in a share", pct, 400, 1000, 600, 1000, Improved},
		{"big fall in a share", pct, 600, 1000, 400, 1000, Declined},
		{"noise", pct, 50, 100, 52, 100, NoSignificant},
		{"neutral measure", Measure{Unit: Percent, Direction: Neutral}, 400, 1000, 600, 1000, Changed},
		{"lower is better", Measure{Unit: Percent, Direction: LowerBetter}, 400, 1000, 600, 1000, Declined},
		{"rate rise (Poisson)", rate, 4000, 10000, 5000, 10000, Improved},
		{"rate noise", rate, 400, 10000, 410, 10000, NoSignificant},
	}
	for _, tc := range tests {
		if got := Verdict(tc.m, tc.num0, tc.den0, tc.num1, tc.den1); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	lower := Measure{Direction: LowerBetter}
	for _, tc := range []struct {
		m             Measure
		value, target float64
		want          string
	}{
		{pct, 62.5, 60, "green"}, {pct, 55, 60, "amber"}, {pct, 53, 60, "red"},
		{lower, 5, 6, "green"}, {lower, 6.5, 6, "amber"}, {lower, 7, 6, "red"},
		{Measure{Direction: Neutral}, 1, 2, ""},
	} {
		if got := RAG(tc.m, tc.value, tc.target); got != tc.want {
			t.Errorf("RAG(%s, %v, %v) = %q, want %q", tc.m.Direction, tc.value, tc.target, got, tc.want)
		}
	}
}

func TestTable(t *testing.T) {
	m := Measure{Unit: Percent, Direction: HigherBetter}
	jan, feb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tab := NewTable(m, []time.Time{jan, feb}, []Value{
		{Practice: "A", Month: jan, Num: 1, Den: 10, HasDen: true},
		{Practice: "B", Month: jan, Num: 5, Den: 10, HasDen: true},
		{Practice: "A", Month: feb, Num: 3, Den: 10, HasDen: true},
		{Practice: "C", Month: feb, Num: 0, Den: 0, HasDen: false},
	})
	if tab.Count[0] != 2 || tab.Count[1] != 1 {
		t.Errorf("practices with a value %v, want [2 1]", tab.Count)
	}
	if r := tab.Ranked["B"][0]; !r.OK || r.Value != 50 || r.Percentile <= tab.Ranked["A"][0].Percentile {
		t.Errorf("B in January %+v, A %+v: B ranks above A", r, tab.Ranked["A"][0])
	}
	both := map[string]bool{"A": true, "B": true, "C": true}
	if num, den, ok := tab.Sum(both, 0, 2); !ok || num != 9 || den != 30 {
		t.Errorf("sum over both months %d/%d %v, want 9/30", num, den, ok)
	}
	series := tab.Series(map[string]bool{"B": true})
	if series[0] != 50 || !math.IsNaN(series[1]) {
		t.Errorf("B's series %v, want [50 NaN]", series)
	}
	if p := tab.Percentiles("B"); !math.IsNaN(p[1]) {
		t.Errorf("B's February percentile %v, want NaN", p[1])
	}
	if _, _, ok := tab.Sum(both, -1, 1); ok {
		t.Error("a window before the first month has no sum")
	}
}

// TestSummarise: the year-earlier window is the same calendar months, found
// by date, so a month missing from what is loaded is left out rather than
// shifting the comparison onto a neighbouring month.
func TestSummarise(t *testing.T) {
	m := Measure{Unit: Percent, Direction: HigherBetter}
	month := func(y int, mo time.Month) time.Time { return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC) }
	// Loaded: Jan–Mar 2025 and Feb–Mar 2026 (January 2026 is missing).
	months := []time.Time{month(2025, 1), month(2025, 2), month(2025, 3), month(2026, 2), month(2026, 3)}
	var vals []Value
	for i, mo := range months {
		vals = append(vals, Value{Practice: "A", Month: mo, Num: int64(10 * (i + 1)), Den: 100, HasDen: true})
	}
	tab := NewTable(m, months, vals)
	a := map[string]bool{"A": true}
	st, ok := tab.Summarise("A", a, 1)
	if !ok || st.Value != 50 || st.YearAgo != 30 || st.Change != 20 || !st.HasPercentile || !st.To.Equal(month(2026, 3)) {
		t.Errorf("latest month: %+v", st)
	}
	// Three months to March 2026 hold February and March only (60+50 of 200);
	// a year earlier, January to March 2025 (10+20+30 of 300).
	st, _ = tab.Summarise("A", a, 3)
	if st.Value != 45 || st.YearAgo != 20 || !st.From.Equal(month(2026, 1)) {
		t.Errorf("last 3 months: value %v, a year earlier %v, from %s", st.Value, st.YearAgo, st.From.Format("2006-01"))
	}
	if _, ok := NewTable(m, nil, nil).Summarise("A", a, 1); ok {
		t.Error("nothing loaded: no figures")
	}
}

// The median over a period is every practice's own value over it, worked
// out once per period and the same however many ask at once.
func TestSummariseMedian(t *testing.T) {
	m := Measure{Unit: Percent, Direction: HigherBetter}
	months := []time.Time{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	var vals []Value
	for i, p := range []string{"A", "B", "C"} { // over both months: 15%, 55%, 95%
		vals = append(vals, Value{Practice: p, Month: months[0], Num: int64(10 + 40*i), Den: 100, HasDen: true},
			Value{Practice: p, Month: months[1], Num: int64(20 + 40*i), Den: 100, HasDen: true})
	}
	vals = append(vals, Value{Practice: "D", Month: months[1], Num: 1}) // no denominator: no value
	tab := NewTable(m, months, vals)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if st, _ := tab.Summarise("A", map[string]bool{"A": true}, 2); st.Median != 55 {
				t.Errorf("median over two months = %v, want 55", st.Median)
			}
			if st, _ := tab.Summarise("A", map[string]bool{"A": true}, 1); st.Median != 60 {
				t.Errorf("median over the last month = %v, want 60", st.Median)
			}
		})
	}
	wg.Wait()
	if len(tab.medians) != 2 {
		t.Errorf("medians kept for %d periods, want 2 (each worked out once)", len(tab.medians))
	}
}

func TestValidateAndCheckTarget(t *testing.T) {
	good := Measure{ID: "video-share", Title: "Video", Unit: Percent, Direction: Neutral, Numerator: Filter{Modes: []Mode{3}}}
	if err := good.Validate(); err != nil {
		t.Errorf("a good measure: %v", err)
	}
	bad := Measure{ID: "Video Share", Unit: "share", Direction: "up"}
	var names []string
	for _, f := range problem.FieldsOf(bad.Validate()) {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "id title unit direction" {
		t.Errorf("a bad measure's problems: %s", got)
	}
	if f := problem.FieldsOf(Measure{ID: "all", Title: "All", Unit: Percent, Direction: Neutral}.Validate()); len(f) != 1 || f[0].Name != "numerator" {
		t.Errorf("a share of everything: %v", f)
	}
	rate := Measure{Unit: Per1000}
	for _, tc := range []struct {
		m  Measure
		v  float64
		ok bool
	}{{good, 62.5, true}, {good, 100, true}, {good, 150, false}, {good, -1, false}, {rate, 150, true}, {rate, 100001, false}, {rate, math.NaN(), false}} {
		if err := CheckTarget(tc.m, tc.v); (err == nil) != tc.ok {
			t.Errorf("target %v for a %s measure: %v", tc.v, tc.m.Unit, err)
		}
	}
}

// TestSummariseOverLoadedMonths: over the last 3 months with two loaded,
// the figures are over those two, the standing says how many, and the
// median is of the practices' values over the same two months (not the
// latest month's).
func TestSummariseOverLoadedMonths(t *testing.T) {
	sep, oct := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	v := func(p string, m time.Time, num, den int64) Value {
		return Value{Practice: p, Month: m, Num: num, Den: den, HasDen: true}
	}
	tab := NewTable(Shipped[4], []time.Time{sep, oct}, []Value{ // dna-rate
		v("A", sep, 10, 100), v("A", oct, 30, 100), // 40 of 200: 20%
		v("B", sep, 5, 100), v("B", oct, 5, 100), // 10 of 200: 5%
		v("C", sep, 0, 50), v("C", oct, 50, 50), // 50 of 100: 50%
	})
	st, ok := tab.Summarise("A", map[string]bool{"A": true}, 3)
	if !ok || st.Months != 2 || st.Value != 20 || st.Median != 20 || !st.HasValue {
		t.Errorf("standing %+v", st)
	}
	// October alone: A 30%, B 5%, C 100%; the median is A's 30.
	if st, _ := tab.Summarise("A", map[string]bool{"A": true}, 1); st.Months != 1 || st.Median != 30 {
		t.Errorf("the latest month: %+v", st)
	}
}
