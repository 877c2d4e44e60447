package web_test

import (
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestMeasurePages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm := a.as(people.PracticeManager)
	pm.get("/measures").has(t, "No appointments data has been loaded yet", "Appointments within one day of booking", "Lower is better")
	_, err := a.store.ImportAppointments(t.Context(), "test", "sample.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		f, err := os.Open("testdata/Practice_Level_Crosstab_SAMPLE.csv")
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Aggregate(f, "sample.csv", access.Options{}, emit)
	})
	if err != nil {
		t.Fatal(err)
	}
	page := pm.get("/measures/within-1-day?org=Y00001")
	if page.status != 200 {
		t.Fatalf("measure page: %d", page.status)
	}
	// Y00001's October value, counted by hand: 1,147 of all 2,560 = 44.8%.
	page.has(t, "a share of all appointments, those recorded as unknown included (NHS England&#39;s method)", "a two-proportion z-test, at 95%",
		"appointments with time from booking “Same Day” or “1 Day”", access.Source, "Mid-ranks")
	pm.get("/measures/within-14-days-known").has(t, "a share of the appointments whose time from booking is known: unknowns are left out")
	pm.get("/measures/gp-per-1000").has(t, "a test of two Poisson rates")
	if got := pm.get("/api/measures"); !strings.Contains(got.body, `"statuses": [`) && !strings.Contains(got.body, `"statuses":[`) || strings.Contains(got.body, "AQ==") {
		t.Errorf("the measures' filters through the API, by name: %s", got.body[:min(len(got.body), 600)])
	}
	page.has(t, "Appointments within one day of booking", `data-testid="deciles"`, `data-testid="org-line"`, "October 2025", "44.8",
		"RIVERSIDE MEDICAL CENTRE", "Higher is better", "among all 3 practices loaded")
	if strings.Contains(page.body, "ORCHARD") && !strings.Contains(page.body, "RIVERSIDE") {
		t.Error("ranking shows practices outside the user's scope")
	}
	csv := pm.get("/measures/within-1-day/data.csv?org=Y00001")
	lines := strings.Split(strings.TrimSpace(csv.body), "\n")
	if csv.status != 200 || len(lines) != 3 || lines[0] != "month,p10,p20,p30,p40,p50,p60,p70,p80,p90,Y00001" || !strings.HasSuffix(lines[1], ",44.805") {
		t.Errorf("CSV: %d %q", csv.status, csv.body)
	}
	var api struct {
		Months    []string  `json:"months"`
		OrgValues []float64 `json:"org_values"`
	}
	if err := json.Unmarshal([]byte(pm.get("/api/measures/within-1-day?org=Y00001").body), &api); err != nil || len(api.Months) != 2 || len(api.OrgValues) != 2 {
		t.Errorf("API: %v %+v", err, api)
	}
	if got := pm.get("/measures/within-1-day?org=Y00007"); got.status != 403 {
		t.Errorf("another practice's line: %d", got.status)
	}
	if got := pm.get("/measures/no-such"); got.status != 404 {
		t.Errorf("unknown measure: %d", got.status)
	}
	// Only October and November 2025 are loaded: the last 3 or 12 months
	// are worked out over those two, and say so; a year earlier says why
	// it is not known.
	for _, period := range []string{"3", "12"} {
		got := pm.get("/orgs/Y00001/access?period=" + period)
		got.has(t, "(2 of these "+period+" months are loaded: the figures are over those months)", "no appointments loaded for those months")
		if strings.Contains(got.body, `aria-hidden="true">Value </span>Not known`) { // a value not known (a year earlier is not loaded: fine)
			t.Errorf("period %s: values not known where two months are loaded: %s", period, pageText(got.body))
		}
	}
	// A commissioner sees the Place's line: its practices added up.
	a.as(people.Commissioner).get("/measures/dna-rate?org=99X").has(t, "NHS RIVERSIDE AND VALE ICB - 99X", "Lower is better")
}

// TestRatePerThousandWithoutLists: with no registered-patient extract for
// the month, the page says that extract is missing, not that no practice
// is in the data.
func TestRatePerThousandWithoutLists(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	_, err := a.store.ImportAppointments(t.Context(), "test", "unknowns.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		f, err := os.Open("testdata/unknowns_crosstab.csv") // October 2025: the demo's extracts start in November
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Aggregate(f, "unknowns.csv", access.Options{}, emit)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := a.as(people.Commissioner).get("/measures/gp-per-1000")
	got.has(t, "The registered-patient extract for October 2025 is not loaded")
	if strings.Contains(got.body, "None of the practices you can see") {
		t.Error("it says no practice is in the data")
	}
}

func loadDemoAppointments(t *testing.T, a *app) {
	t.Helper()
	if err := demo.ImportAppointments(t.Context(), a.store, now); err != nil {
		t.Fatal(err)
	}
}

func TestAccessPages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, comm := a.as(people.PracticeManager), a.as(people.Commissioner)
	pm.get("/orgs/Y00001/access").has(t, "No appointments data has been loaded yet")
	loadDemoAppointments(t, a)

	practice := pm.get("/orgs/Y00001/access")
	practice.has(t, "Access and performance of RIVERSIDE MEDICAL CENTRE", "Appointments within one day of booking", "October 2026",
		"two-proportion z-test", "Poisson rate test", "median", "mid-ranks")
	if !strings.Contains(practice.body, "Improved") && !strings.Contains(practice.body, "Declined") && !strings.Contains(practice.body, "No significant change") {
		t.Error("no verdict on the change against a year earlier")
	}
	pm.get("/orgs/Y00001/access?period=12").has(t, "The last 12 months with the 12 before", "November 2025 to October 2026")
	if got := pm.get("/orgs/Y00001/access?period=7"); got.status != 422 {
		t.Errorf("period 7: %d", got.status)
	}

	place := comm.get("/orgs/99X/access?sort=dna-rate")
	place.has(t, `data-testid="heatmap"`, "onepc-heat-", "Most improved", "Most declined", "CUSUM")
	if !strings.Contains(place.body, `data-testid="improved"`) || !strings.Contains(place.body, `data-testid="declined"`) {
		t.Error("the demo's drifting practices raise no change alerts")
	}
	// A practice's own alert says whether its move is for the better: a
	// fall in the percentile of a measure where lower is better is good
	// news, and read as bad.
	said := false
	for i := 1; i <= 23 && !said; i++ {
		body := comm.get("/orgs/Y" + strings.Repeat("0", 5-len(strconv.Itoa(i))) + strconv.Itoa(i) + "/access").body
		said = strings.Contains(body, ": better</strong>") || strings.Contains(body, ": worse</strong>")
	}
	if !said {
		t.Error("no practice's own change alert says whether it is better or worse")
	}
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"within-1-day"}, "target": {"about half"}}); got.status != 422 {
		t.Errorf("bad target: %d", got.status)
	}
	// A share's target may be written with its percent sign.
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"within-1-day"}, "target": {"99 %"}}); got.status != 303 {
		t.Fatalf("target: %d %s", got.status, got.body)
	}
	comm.get("/orgs/99X/access?done=target").has(t, "Target saved", "99.0", `nhsuk-tag--red">Not met<`)
	pm.get("/orgs/Y00001/access").has(t, "99.0") // the Place's target reaches its practices
	if got := pm.post("/orgs/Y00001/targets", url.Values{"measure": {"within-1-day"}, "target": {"50"}}); got.status != 403 {
		t.Errorf("a practice setting a target: %d", got.status)
	}
	csv := comm.get("/orgs/99X/access.csv")
	if csv.status != 200 || !strings.HasPrefix(csv.body, "org_code,org_name,measure,value,value_a_year_earlier,change,verdict,percentile,target,rag\n99X,") ||
		!strings.Contains(csv.body, "Y00001,RIVERSIDE MEDICAL CENTRE,dna-rate,") {
		t.Errorf("access CSV: %d %.300s", csv.status, csv.body)
	}
	var api struct {
		Measures []struct {
			Verdict string `json:"verdict"`
		} `json:"measures"`
	}
	if err := json.Unmarshal([]byte(comm.get("/api/orgs/99X/access").body), &api); err != nil || len(api.Measures) != len(access.Shipped) {
		t.Errorf("access API: %v %d", err, len(api.Measures))
	}
}

func TestAddMeasure(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	loadDemoAppointments(t, a)
	comm := a.as(people.Commissioner)
	comm.get("/measures").has(t, "Add a measure")
	comm.get("/measures/new").has(t, "Add a measure", "Time from booking to appointment", "8  to 14 Days")
	bad := comm.post("/measures", url.Values{"id": {"Video Share"}, "unit": {"percent"}, "direction": {"up"}})
	if bad.status != 422 {
		t.Fatalf("bad measure: %d", bad.status)
	}
	bad.has(t, "Enter a short name", "Enter the measure&#39;s title", "Choose which way is better", "Tick what the numerator counts")
	// Video appointments as a share of appointments whose mode is known.
	ok := comm.post("/measures", url.Values{"id": {"video-share"}, "title": {"Video appointments"}, "unit": {"percent"}, "direction": {"neutral"},
		"num_mode": {"3"}, "den_mode": {"0", "1", "2", "3"}})
	if ok.status != 303 || ok.header.Get("Location") != "/measures/video-share" {
		t.Fatalf("add measure: %d %s", ok.status, ok.body)
	}
	comm.get("/measures/video-share?org=99X").has(t, "Video appointments", `data-testid="deciles"`, "Neither higher nor lower is better")
	if dup := comm.post("/measures", url.Values{"id": {"video-share"}, "title": {"Again"}, "unit": {"percent"}, "direction": {"neutral"}, "num_mode": {"3"}}); dup.status != 422 {
		t.Errorf("duplicate measure: %d", dup.status)
	}
	if got := a.as(people.PracticeManager).post("/measures", url.Values{"id": {"x-y"}}); got.status != 403 {
		t.Errorf("a practice manager adding a measure: %d", got.status)
	}
	// The API takes a measure in the shape it gives one (it had read only
	// a form, and answered a JSON measure that every field was missing).
	var shown struct {
		Measure map[string]any `json:"measure"`
	}
	if err := json.Unmarshal([]byte(comm.get("/api/measures/video-share").body), &shown); err != nil || shown.Measure == nil {
		t.Fatalf("read the measure: %v", err)
	}
	shown.Measure["id"], shown.Measure["title"] = "video-share-2", "Video appointments again"
	body, _ := json.Marshal(shown.Measure)
	if got := comm.postJSON("/api/measures", string(body)); got.status != 204 {
		t.Fatalf("add a measure as JSON: %d %s", got.status, got.body)
	}
	comm.get("/api/measures/video-share-2").has(t, "Video appointments again")
	for in, want := range map[string]string{
		`{"id": "x-y", "title": "X", "unit": "percent", "direction": "up", "numerator": {}}`: "which way is better",
		`{"id": "x-y", "colour": "red"}`: `unknown field \"colour\"`,
	} {
		if got := comm.postJSON("/api/measures", in); got.status != 422 || !strings.Contains(got.body, want) {
			t.Errorf("%s: %d %s, want %q", in, got.status, got.body, want)
		}
	}
}

func TestMeasureSplitByPCN(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	loadDemoAppointments(t, a)
	comm := a.as(people.Commissioner)
	got := comm.get("/measures/dna-rate?place=99X")
	got.has(t, `data-testid="pcn-panels"`, "RIVERSIDE PCN", "HILLTOP PCN", "VALE MARKET TOWNS PCN", "HARBOUR AND COAST PCN", `class="onepc-member"`)
	if n := strings.Count(got.body, `class="onepc-member"`); n != 23 {
		t.Errorf("%d practice lines across the PCN charts; want the 23 open practices", n)
	}
	if got := a.as(people.PracticeManager).get("/measures/dna-rate?place=99X"); got.status != 403 {
		t.Errorf("a practice manager splitting the Place: %d", got.status)
	}
}

// TestMeasureChanges: a commissioner's measure is reworded, with a reason,
// its old wording kept; any measure is retired (no longer listed, its page
// saying so) and brought back; each target set or cleared is kept.
func TestMeasureChanges(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	form := url.Values{"id": {"video-share"}, "title": {"Video appointments"}, "unit": {"percent"}, "direction": {"neutral"}, "num_mode": {"3"}}
	if got := comm.post("/measures", form); got.status != 303 {
		t.Fatalf("create: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/measures/video-share/reword", url.Values{"title": {"Video and online appointments"}, "direction": {"higher"}, "reason": {""}}); got.status != 422 || !strings.Contains(got.body, `href="#reason"`) {
		t.Errorf("a change without a reason: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/measures/video-share/reword", url.Values{"title": {"Video and online appointments"}, "direction": {"higher"}, "reason": {"The ICB wants more online access"}}); got.status != 303 {
		t.Fatalf("reword: %d %s", got.status, pageText(got.body))
	}
	comm.get("/measures/video-share").has(t, "Video and online appointments", "Higher is better", "reworded by commissioner@onepc.example — The ICB wants more online access")
	// A measure with targets keeps a side: made neutral, they would never
	// be judged again (a probe left a target on a neutral measure so).
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"video-share"}, "target": {"40"}}); got.status != 303 {
		t.Fatalf("set a target: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/measures/video-share/reword", url.Values{"title": {"Video and online appointments"}, "direction": {"neutral"}, "reason": {"Neither way now"}}); got.status != 422 || !strings.Contains(got.body, "has targets set (1)") {
		t.Errorf("made neutral with a target set: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"video-share"}, "target": {""}}); got.status != 303 {
		t.Fatalf("clear the target: %d", got.status)
	}
	if got := comm.post("/measures/dna-rate/reword", url.Values{"title": {"Mine now"}, "direction": {"lower"}, "reason": {"Just because"}}); got.status != 403 {
		t.Errorf("a Place's commissioner rewording a shipped measure: %d", got.status)
	}
	// A shipped measure is everyone's: a Place's commissioner cannot retire
	// it, nor change another's measure; an ICB's can.
	if got := comm.post("/measures/dna-rate/retire", url.Values{"reason": {"We use the known-only rate"}}); got.status != 403 {
		t.Errorf("a Place's commissioner retiring a shipped measure: %d", got.status)
	}
	hash, _ := people.HashPassword(demo.Password)
	u, err := a.store.AddUser(t.Context(), "test", people.User{Email: "icb.comm@example.org", Name: "ICB Commissioner"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(t.Context(), "test", u.ID, people.Commissioner, "QZZ"); err != nil {
		t.Fatal(err)
	}
	comm = a.signIn("icb.comm@example.org")
	if got := comm.post("/measures/dna-rate/reword", url.Values{"title": {"Mine now"}, "direction": {"lower"}, "reason": {"Just because"}}); got.status != 409 {
		t.Errorf("rewording a shipped measure, even from an ICB: %d", got.status)
	}
	// Retired: gone from the list, the page says so; then back.
	if got := comm.post("/measures/dna-rate/retire", url.Values{"reason": {"We use the known-only rate"}}); got.status != 303 {
		t.Fatalf("retire: %d %s", got.status, pageText(got.body))
	}
	if strings.Contains(comm.get("/measures").body, `href="/measures/dna-rate"`) {
		t.Error("a retired measure is still listed")
	}
	comm.get("/measures/dna-rate").has(t, "Retired on 29 November 2026: We use the known-only rate", "Bring it back into use")
	if got := comm.post("/measures/dna-rate/retire", url.Values{"restore": {"1"}, "reason": {"Asked for again"}}); got.status != 303 {
		t.Fatalf("restore: %d", got.status)
	}
	if !strings.Contains(comm.get("/measures").body, `href="/measures/dna-rate"`) {
		t.Error("a restored measure is not listed")
	}
	// Targets: each setting and clearing kept.
	for _, v := range []string{"60", "65", ""} {
		if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"within-1-day"}, "target": {v}}); got.status != 303 {
			t.Fatalf("target %q: %d %s", v, got.status, pageText(got.body))
		}
	}
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"within-1-day"}, "target": {"150"}}); got.status != 422 {
		t.Errorf("a target of 150%%: %d", got.status)
	}
	all, err := a.store.TargetHistory(t.Context(), "99X")
	hist := slices.DeleteFunc(all, func(h store.TargetChange) bool { return h.Measure != "within-1-day" })
	if err != nil || len(hist) != 3 || hist[0].Milli != nil || *hist[1].Milli != 65000 || *hist[2].Milli != 60000 {
		t.Errorf("target history: %+v %v", hist, err)
	}
	comm.get("/orgs/99X/access").has(t, "Target history")
}
