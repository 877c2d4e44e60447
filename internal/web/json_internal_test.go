package web

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/problem"
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
	if back["median"] != nil {
		t.Errorf("median %v, want null", back["median"])
	}
	if m := known(62.5); m == nil || *m != 62.5 {
		t.Errorf("known(62.5) = %v", m)
	}
}

// TestDecodeInto: a form and a JSON body fill the same typed struct.
func TestDecodeInto(t *testing.T) {
	type input struct {
		Name  string `form:"name"`
		Count int64  `form:"count"`
		All   bool   `form:"all"`
	}
	form := httptest.NewRequest("POST", "/", strings.NewReader("name=Jo&count=1000000&all=1"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	asJSON := httptest.NewRequest("POST", "/", strings.NewReader(`{"name": "Jo", "count": 1000000, "all": true}`))
	asJSON.Header.Set("Content-Type", "application/json")
	for _, r := range []*http.Request{form, asJSON} {
		var in input
		if err := decodeInto(r, &in); err != nil || in != (input{"Jo", 1000000, true}) {
			t.Errorf("%s: %+v %v", r.Header.Get("Content-Type"), in, err)
		}
	}
	// JSON false is an unticked box, as a form that leaves the key out: never
	// the string "false", which a check for "anything sent" reads as true.
	for _, body := range []string{`{"all": false, "name": "Jo"}`, `{"name": "Jo"}`} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		in, err := decode(r, "all", "name")
		if err != nil || in["all"] != "" || in["name"] != "Jo" {
			t.Errorf("%s: %q %v", body, in, err)
		}
	}
	nested := httptest.NewRequest("POST", "/", strings.NewReader(`{"name": {"first": "Jo"}}`))
	nested.Header.Set("Content-Type", "application/json")
	if _, err := decode(nested, "name"); problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.Message(err), `"name" must be`) {
		t.Errorf("an object for a name: %v", err)
	}
	bad := httptest.NewRequest("POST", "/", strings.NewReader("count=lots"))
	bad.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var in input
	if f := problem.FieldsOf(decodeInto(bad, &in)); len(f) != 1 || f[0].Name != "count" {
		t.Errorf("a count of lots: %v", f)
	}
}
