package web

import (
	"encoding/json"
	"math"
	"testing"
)

// TestAccessRowJSONWithoutMedian: a measure with no practice's value in the
// latest month (a rate per 1,000 before the month's list sizes are loaded)
// still encodes, with the median as null (it once failed with "unsupported
// value: NaN" after a 200 had been sent).
func TestAccessRowJSONWithoutMedian(t *testing.T) {
	b, err := json.Marshal(measureRow{Median: known(math.NaN())})
	if err != nil || !json.Valid(b) {
		t.Fatalf("row without a median: %v", err)
	}
	var back map[string]any
	json.Unmarshal(b, &back)
	if back["national_median"] != nil {
		t.Errorf("median %v, want null", back["national_median"])
	}
	if m := known(62.5); m == nil || *m != 62.5 {
		t.Errorf("known(62.5) = %v", m)
	}
}
