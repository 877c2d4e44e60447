package web_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestMeasurePages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm := a.as(people.PracticeManager)
	pm.get("/measures").has(t, "No appointments data has been loaded yet", "Appointments within one day of booking", "Lower is better")
	_, err := a.store.ImportAppointments(t.Context(), "test", "sample.csv", func(add func(access.Row) error) (access.Summary, error) {
		f, err := os.Open("../../../shared/data/Practice_Level_Crosstab_SAMPLE.csv")
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Parse(f, "sample.csv", add, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	page := pm.get("/measures/within-1-day?org=Y00001")
	if page.status != 200 {
		t.Fatalf("measure page: %d", page.status)
	}
	// Y00001's October value, counted by hand: 1,147 of 2,531 = 45.3%.
	page.has(t, "Appointments within one day of booking", `data-testid="deciles"`, `data-testid="org-line"`, "October 2025", "45.3",
		"RIVERSIDE MEDICAL CENTRE", "Higher is better", "among all 3 practices loaded")
	if strings.Contains(page.body, "ORCHARD") && !strings.Contains(page.body, "RIVERSIDE") {
		t.Error("ranking shows practices outside the user's scope")
	}
	csv := pm.get("/measures/within-1-day/data.csv?org=Y00001")
	lines := strings.Split(strings.TrimSpace(csv.body), "\n")
	if csv.status != 200 || len(lines) != 3 || lines[0] != "month,p10,p20,p30,p40,p50,p60,p70,p80,p90,Y00001" || !strings.HasSuffix(lines[1], ",45.318") {
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
	// A commissioner sees the Place's line: its practices added up.
	a.as(people.Commissioner).get("/measures/dna-rate?org=99X").has(t, "NHS RIVERSIDE AND VALE ICB - 99X", "Lower is better")
}
