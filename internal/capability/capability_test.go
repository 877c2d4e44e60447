package capability

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

func known(id string) bool {
	return slices.ContainsFunc(access.Shipped, func(m access.Measure) bool { return m.ID == id })
}

func shippedByID(t *testing.T) map[string]Framework {
	t.Helper()
	fs, err := Shipped(known)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Framework{}
	for _, f := range fs {
		m[f.ID] = f
	}
	return m
}

func TestShippedFrameworks(t *testing.T) {
	fs := shippedByID(t)
	for _, id := range []string{"wcc", "gp-development", "qi-survey", "pcn-development"} {
		f, ok := fs[id]
		if !ok {
			t.Fatalf("no %s framework", id)
		}
		if f.Source == "" || f.Wording == "" || f.Licence == "" {
			t.Errorf("%s does not say its source, wording and licence", id)
		}
	}
	wcc := fs["wcc"]
	if n := len(wcc.Items()); n != 11 || wcc.Scale.Max() != 4 || wcc.Scale.Label(4) != "World class" || !wcc.Applies(orgs.Place) || wcc.Applies(orgs.Practice) {
		t.Errorf("WCC: %d items, scale to %d", n, wcc.Scale.Max())
	}
}

func TestParseRefusesBadFrameworks(t *testing.T) {
	good := `{"id":"x","version":1,"title":"X","source":"s","licence":"l","wording":"w","applies_to":["practice"],
"scale":{"levels":[{"value":1,"label":"Low"},{"value":2,"label":"High"}]},"low_at":1,
"domains":[{"code":"d","title":"D","items":[
{"code":"a","question":"A?"},
{"code":"b","question":"B?","measures":["dna-rate"]}]}]}`
	if _, err := Parse([]byte(good), known); err != nil {
		t.Fatal(err)
	}
	// A byte-order mark (as Windows editors write) and escaped line breaks
	// and tabs are fine.
	if _, err := Parse([]byte("\ufeff"+strings.Replace(good, `"A?"`, `"A?\nand\ttab"`, 1)), known); err != nil {
		t.Errorf("a byte-order mark or escaped line break refused: %v", err)
	}
	tests := []struct {
		name, change, with string
		line               int
		field              string
	}{
		{"missing scale", `"scale":{"levels":[{"value":1,"label":"Low"},{"value":2,"label":"High"}]},`, ``, 1, "scale"},
		{"duplicate item code", `{"code":"b","question":"B?"`, `{"code":"a","question":"B?"`, 5, "items.code"},
		{"unknown measure", `"dna-rate"`, `"no-such-measure"`, 5, "items.measures"},
		{"bad JSON", `"title":"X",`, `"title":"X"`, 1, ""},
		{"wrong kind", `["practice"]`, `["surgery"]`, 1, "applies_to"},
		{"levels out of order", `{"value":2,"label":"High"}`, `{"value":0,"label":"High"}`, 2, "scale"},
		{"unknown field", `"low_at":1,`, `"low_at":1,"colour":"red",`, 2, ""},
		{"a level of 0", `{"value":1,"label":"Low"}`, `{"value":0,"label":"Low"}`, 2, "scale"},
		{"trailing text", `]}]}`, `]}]} extra`, 5, ""},
		{"bytes not UTF-8", `"question":"B?"`, "\"question\":\"B\xff?\"", 5, ""},
		{"an escaped NUL", `"question":"B?"`, `"question":"B\u0000?"`, 5, ""},
		{"an escaped escape character", `"title":"X"`, `"title":"X\u001b"`, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(strings.Replace(good, tc.change, tc.with, 1)), known)
			le, ok := err.(*LineError)
			if !ok || le.Line != tc.line || (tc.field != "" && le.Field != tc.field) {
				t.Errorf("error %v, want line %d field %q", err, tc.line, tc.field)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"wcc", "qi-survey"} {
		b, _ := shipped.ReadFile("frameworks/" + n + ".json")
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fw, err := Parse(b, known)
		if err != nil {
			return
		}
		for _, it := range fw.Items() {
			s := fw.ScaleOf(it)
			if s.Min() >= s.Max() {
				t.Fatalf("accepted a scale %v", s)
			}
		}
		Compare(fw, nil, nil)
		TierOf(fw, nil)
	})
}

func TestScoringAndChange(t *testing.T) {
	fs := shippedByID(t)
	wcc := fs["wcc"]
	r := Review{Framework: "wcc", Mode: Facilitated}
	for _, tc := range []struct {
		item  string
		level int
		kind  problem.Kind
	}{{"wcc.1", 4, -1}, {"wcc.1", 5, problem.Invalid}, {"wcc.1", 0, problem.Invalid}, {"nope", 2, problem.Invalid}} {
		err := CheckScore(wcc, r, tc.item, tc.level)
		if (tc.kind == -1) != (err == nil) || (err != nil && problem.KindOf(err) != tc.kind) {
			t.Errorf("%s=%d: %v", tc.item, tc.level, err)
		}
	}
	if err := CheckScore(wcc, Review{Closed: true}, "wcc.1", 2); problem.KindOf(err) != problem.Conflict {
		t.Errorf("scoring a closed review: %v", err)
	}
	sp := SpreadOf([]Score{{Level: 1}, {Level: 3}, {Level: 3}, {Level: 4}})
	if sp.N != 4 || sp.Min != 1 || sp.Max != 4 || sp.Median != 3 || sp.Counts[3] != 2 {
		t.Errorf("spread %+v", sp)
	}
	if sp := SpreadOf(nil); sp.N != 0 || sp.Median != 0 {
		t.Errorf("empty spread %+v", sp)
	}

	level := func(m map[string]int) map[string]Agreed {
		out := map[string]Agreed{}
		for k, v := range m {
			out[k] = Agreed{Item: k, Level: v}
		}
		return out
	}
	before := level(map[string]int{"wcc.1": 1, "wcc.2": 2, "wcc.3": 2, "wcc.4": 3, "wcc.5": 2})
	after := level(map[string]int{"wcc.1": 2, "wcc.2": 4, "wcc.3": 2, "wcc.4": 2, "wcc.6": 3})
	imp := Compare(wcc, before, after)
	if imp.MovedUp != 2 || imp.MovedDown != 1 || imp.Compared != 4 {
		t.Errorf("moved up %d, down %d, compared %d", imp.MovedUp, imp.MovedDown, imp.Compared)
	}
	lead := imp.Domains[0]
	if lead.Before != 2 || lead.After != 2.5 || lead.Delta != 0.5 {
		t.Errorf("leadership domain %+v", lead)
	}
	if know := imp.Domains[1]; know.Before != 0 || know.After != 0 || know.Delta != 0 {
		t.Errorf("knowledge domain %+v (wcc.5 before only, wcc.6 after only: nothing to compare)", know)
	}
	if tier, _ := TierOf(wcc, level(map[string]int{"wcc.1": 2, "wcc.2": 2})); tier != Intermediate {
		t.Errorf("a third of the way up: %s, want intermediate", tier)
	}
	if low := LowItems(wcc, before); !slices.Equal(low, []string{"wcc.1"}) {
		t.Errorf("low items %v", low)
	}
	if tier, share := TierOf(wcc, level(map[string]int{"wcc.1": 4, "wcc.2": 3})); tier != Universal || share != 0.83 {
		t.Errorf("tier %s %v", tier, share)
	}
	if tier, _ := TierOf(wcc, level(map[string]int{"wcc.1": 1, "wcc.2": 2})); tier != Intensive {
		t.Errorf("low tier %s", tier)
	}
	dist := Distribute(wcc, []map[string]Agreed{before, after})
	if dist[0].N != 2 || dist[0].Counts[1] != 1 || dist[0].Counts[2] != 1 || dist[5].N != 1 {
		t.Errorf("distribution %+v", dist[:6])
	}
}

func TestAgreedAndClose(t *testing.T) {
	wcc := shippedByID(t)["wcc"]
	r := Review{Framework: "wcc"}
	for _, tc := range []struct {
		a     Agreed
		field string
	}{
		{Agreed{Item: "wcc.1", Level: 3, Rationale: "Board minutes show it", Confidence: "high", Link: "https://example.nhs.uk/x", Measure: "dna-rate"}, ""},
		{Agreed{Item: "wcc.1", Level: 3, Confidence: "high"}, "rationale"},
		{Agreed{Item: "wcc.1", Level: 3, Rationale: "x", Confidence: "sure"}, "confidence"},
		{Agreed{Item: "wcc.1", Level: 3, Rationale: "x", Confidence: "low", Link: "javascript:alert(1)"}, "link"},
		{Agreed{Item: "wcc.1", Level: 3, Rationale: "x", Confidence: "low", Measure: "nope"}, "measure"},
	} {
		_, err := CheckAgreed(wcc, r, tc.a, known)
		if tc.field == "" && err != nil || tc.field != "" && !slices.ContainsFunc(problem.FieldsOf(err), func(f problem.Field) bool { return f.Name == tc.field }) {
			t.Errorf("%+v: %v", tc.a, err)
		}
	}
	if err := CheckClose(wcc, r, map[string]Agreed{"wcc.1": {}}); problem.KindOf(err) != problem.Invalid || !strings.Contains(err.Error(), "10 still open") {
		t.Errorf("close with items open: %v", err)
	}
	if _, err := NewReview(wcc, orgs.Practice, 2026, Solo, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("a practice reviewed against WCC")
	}
}

// TestVisibility: a review is its organisation's; those above see it only
// as far as it is shared.
func TestVisibility(t *testing.T) {
	for _, tc := range []struct {
		share Share
		here  bool
		above []orgs.Kind
		want  bool
	}{
		{Private, true, nil, true},
		{Private, false, []orgs.Kind{orgs.PCN, orgs.Place, orgs.ICB}, false},
		{WithPCN, false, []orgs.Kind{orgs.PCN}, true},
		{WithPCN, false, []orgs.Kind{orgs.Place}, false},
		{WithPlace, false, []orgs.Kind{orgs.Place}, true},
		{WithPlace, false, []orgs.Kind{orgs.ICB}, false},
		{WithICB, false, []orgs.Kind{orgs.ICB}, true},
		{WithICB, false, []orgs.Kind{orgs.Region}, false},
	} {
		if got := CanSee(Review{Shared: tc.share}, tc.here, tc.above); got != tc.want {
			t.Errorf("%q here=%v above=%v: %v", tc.share, tc.here, tc.above, got)
		}
	}
}
