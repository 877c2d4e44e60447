package access

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPercentileRanks(t *testing.T) {
	got := PercentileRanks([]float64{10, 20, 20, 40})
	want := []float64{12.5, 50, 50, 87.5}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("rank of value %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestDeciles(t *testing.T) {
	var v []float64
	for i := 0; i <= 100; i++ {
		v = append(v, float64(100-i)) // unsorted on purpose
	}
	d := Deciles(v)
	for i, x := range d {
		if !near(x, float64(10*(i+1))) {
			t.Errorf("decile %d = %v", i+1, x)
		}
	}
	if !near(Quantile([]float64{1, 3}, 0.5), 2) || !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("quantile interpolation")
	}
}

func TestChange(t *testing.T) {
	// 400/1000 to 450/1000: +5 points; pooled 0.425, se = sqrt(0.425×0.575×0.002) = 0.022107; z = 2.2617.
	points, z, sig := Change(400, 1000, 450, 1000)
	if !near(points, 5) || math.Abs(z-2.2617) > 0.0005 || !sig {
		t.Errorf("got %v %v %v", points, z, sig)
	}
	if _, _, sig := Change(40, 100, 45, 100); sig {
		t.Error("5 points on 100 appointments is within chance")
	}
	if _, _, sig := Change(0, 0, 1, 10); sig {
		t.Error("no denominator a year ago")
	}
}

func TestValueAndFilterMask(t *testing.T) {
	m := Shipped[3] // gp-per-1000
	if v, ok := m.Value(1141, 11234, true); !ok || math.Abs(v-101.566) > 0.001 {
		t.Errorf("per 1,000: %v", v)
	}
	if _, ok := m.Value(1, 0, false); ok {
		t.Error("a value without a list size")
	}
	mask := (Filter{Statuses: []Status{1, 0}, Bands: []Band{3}}).Mask()
	var c Counts
	c[Cell(0, 1, 2, 3)] = 5  // attended, 8 to 14 days: picked
	c[Cell(1, 0, 0, 3)] = 7  // DNA, 8 to 14 days: picked
	c[Cell(2, 0, 0, 3)] = 11 // unknown status: not picked
	c[Cell(0, 0, 0, 4)] = 13 // another band: not picked
	if !(Filter{}).Empty() || (Filter{Modes: []Mode{1}}).Empty() {
		t.Error("Empty")
	}
	sums := make([]int64, 2)
	c.SumMasks([]*Mask{mask, (Filter{}).Mask()}, sums)
	if sums[0] != 12 || sums[1] != 36 {
		t.Errorf("SumMasks = %v, want [12 36]: the filter's cells, and every cell for the empty filter", sums)
	}
}

func TestDetectChange(t *testing.T) {
	flat := []float64{50, 52, 48, 51, 49, 50, 53, 47, 50, 51, 49, 50}
	tests := []struct {
		name   string
		tail   []float64
		alert  bool
		rising bool
	}{
		{"steady", []float64{51, 49, 50, 52, 48, 50}, false, false},
		{"one noisy month", []float64{50, 80, 50, 49, 51, 50}, false, false},
		{"sustained rise", []float64{58, 62, 65, 66, 70, 71}, true, true},
		{"sustained fall", []float64{44, 40, 38, 35, 33, 30}, true, false},
	}
	for _, tc := range tests {
		got, ok := DetectChange(append(append([]float64{}, flat...), tc.tail...))
		if ok != tc.alert || (ok && got.Rising != tc.rising) {
			t.Errorf("%s: alert %v %+v", tc.name, ok, got)
		}
		if ok && (got.Start < CUSUMWindow || got.Found < got.Start || math.Abs(got.From-50) > 1) {
			t.Errorf("%s: alert %+v", tc.name, got)
		}
	}
	if _, ok := DetectChange(flat); ok {
		t.Error("no months after the window, yet an alert")
	}
	// Two months missing in the first year: the baseline is the first
	// twelve known months (to index 13), and monitoring starts after them,
	// so the two high months that end the baseline are not counted again.
	gappy := []float64{50, math.NaN(), 52, 48, 51, math.NaN(), 49, 50, 53, 47, 50, 51, 70, 70, 71, 72, 74, 75}
	got, ok := DetectChange(gappy)
	if !ok || got.Start != 14 || !got.Rising {
		t.Errorf("a first year with gaps: alert %v %+v, want a rise starting at month 14", ok, got)
	}
}
