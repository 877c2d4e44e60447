package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/access"
)

func TestMergeValues(t *testing.T) {
	v := func(p string, n int64) MeasureValue { return MeasureValue{Practice: p, Num: n, HasDen: true, Den: 10} }
	tests := []struct {
		name     string
		old, new []MeasureValue
		want     string
	}{
		{"into nothing", nil, []MeasureValue{v("B", 2), v("A", 1)}, "A1 B2"},
		{"replaces and keeps", []MeasureValue{v("A", 1), v("B", 2), v("D", 4)}, []MeasureValue{v("C", 30), v("B", 20)}, "A1 B20 C30 D4"},
		{"later new wins", []MeasureValue{v("A", 1)}, []MeasureValue{v("A", 5), v("A", 6)}, "A6"},
		{"nothing new", []MeasureValue{v("A", 1)}, nil, "A1"},
	}
	for _, tc := range tests {
		got := ""
		for i, x := range mergeValues(tc.old, tc.new) {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("%s%d", x.Practice, x.Num)
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCodecsRoundTrip(t *testing.T) {
	var c access.Counts
	c[0], c[7], c[access.Cells-1] = 1, 1<<40, 3
	back, err := decodeCounts(encodeCounts(&c))
	if err != nil || *back != c {
		t.Errorf("counts round trip: %v", err)
	}
	month := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	vals := []MeasureValue{{Practice: "A81001", Month: month, Num: 5, Den: 0, HasDen: true}, {Practice: "B", Month: month, Num: 7}}
	got, err := decodeMeasureMonth(encodeMeasureMonth(vals), month)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(vals) {
		t.Errorf("measure month round trip: %v %v", got, err)
	}
}

// FuzzStoredBlobs feeds damaged bytes to the decoders of stored counts and
// measure months: an error, never a panic, and what decodes re-encodes the same.
func FuzzStoredBlobs(f *testing.F) {
	var c access.Counts
	c[3], c[200] = 9, 12
	f.Add(encodeCounts(&c))
	f.Add(encodeMeasureMonth([]MeasureValue{{Practice: "Y00001", Num: 3, Den: 4, HasDen: true}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := decodeCounts(b); err == nil {
			if again, err := decodeCounts(encodeCounts(c)); err != nil || *again != *c {
				t.Fatalf("counts do not survive a round trip")
			}
		}
		if vals, err := decodeMeasureMonth(b, time.Time{}); err == nil {
			if again, err := decodeMeasureMonth(encodeMeasureMonth(vals), time.Time{}); err != nil || fmt.Sprint(again) != fmt.Sprint(vals) {
				t.Fatalf("measure month does not survive a round trip")
			}
		}
	})
}
