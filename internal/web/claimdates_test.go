package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestDateBoundsEveryWayIn: each rule that bounds what a practice may claim
// (the service's start and end, the sign-up's start, as accepted or as the
// commissioner set it, and the practice's open and close dates) holds on
// every way in: the return page, a CSV upload and the API. Each case also
// claims the first month it allows, so that a refusal for some other reason
// would show.
func TestDateBoundsEveryWayIn(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	const code = "LES-VIS"
	tests := []struct {
		name             string
		extra            map[string]string
		setUp            func(t *testing.T, a *app, id string)
		refused, allowed string // months
	}{
		{"the service starts in October", map[string]string{"starts_on": "2026-10-01"}, nil, "2026-09", "2026-10"},
		{"the service ends on 30 November", nil, func(t *testing.T, a *app, id string) {
			if got := a.as(people.Commissioner).post("/orgs/99X/services/"+id+"/end", url.Values{"ends_on": {"2026-11-30"}}); got.status != 303 {
				t.Fatalf("end: %d %s", got.status, pageText(got.body))
			}
		}, "2026-12", "2026-11"},
		{"signed up today", map[string]string{"sign_up": "1"}, func(t *testing.T, a *app, id string) {
			signUp(t, a, id, "")
		}, "2026-10", "2026-11"},
		{"signed up from 1 August, as the commissioner set", map[string]string{"sign_up": "1"}, func(t *testing.T, a *app, id string) {
			signUp(t, a, id, "2026-08-01")
		}, "2026-07", "2026-08"},
		{"the practice opened on 15 September", nil, func(t *testing.T, a *app, id string) {
			o, _ := a.store.Org(t.Context(), "Y00001")
			o.OpenDate = day("2026-09-15")
			if err := a.store.SaveOrgs(t.Context(), "ods", o); err != nil {
				t.Fatal(err)
			}
		}, "2026-08", "2026-09"},
		{"the practice closed on 31 July", nil, func(t *testing.T, a *app, id string) {
			o, _ := a.store.Org(t.Context(), "Y00001")
			o.Status, o.CloseDate = orgs.StatusClosed, day("2026-07-31")
			if err := a.store.SaveOrgs(t.Context(), "ods", o); err != nil {
				t.Fatal(err)
			}
		}, "2026-08", "2026-07"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t, storetest.Open(t, "sqlite"))
			comm, pm := a.as(people.Commissioner), a.as(people.PracticeManager)
			extra := map[string]string{"fields": "Visits", "rule_kind": "fee_per_item", "rule_field": "Visits", "rate": "10.00", "needs_declaration": ""}
			for k, v := range tc.extra {
				extra[k] = v
			}
			id := serviceID(t, comm.post("/orgs/99X/services", serviceForm(code, "Visits", extra)))
			if tc.setUp != nil {
				tc.setUp(t, a, id)
			}
			ret := "/orgs/Y00001/returns/" + tc.refused
			// The page: the service is not on the return, so its figure is refused by name.
			if got := pm.post(ret, url.Values{"action": {"save"}, code + ".visits": {"3"}}); got.status != 422 ||
				!strings.Contains(got.body, code+".visits cannot be saved here: it is not on this page") {
				t.Errorf("page, %s: %d %s", tc.refused, got.status, pageText(got.body))
			}
			// A CSV upload: refused naming the line.
			csv := "practice_code,service_code,service_name,period_start,field,field_label,value\nY00001," + code + ",Visits," + tc.refused + "-01,visits,Visits,3\n"
			if got := pm.upload(ret+"/upload", "return.csv", csv); got.status != 422 ||
				!strings.Contains(got.body, "return.csv line 2 (service_code): &#34;"+code+"&#34; is not a service on this return") {
				t.Errorf("CSV, %s: %d %s", tc.refused, got.status, pageText(got.body))
			}
			// The API.
			if got := pm.postJSON("/api"+ret, `{"action": "save", "`+code+`.visits": "3"}`); got.status != 422 || !strings.Contains(got.body, code+".visits cannot be saved here") {
				t.Errorf("API, %s: %d %s", tc.refused, got.status, got.body)
			}
			// The first month allowed is claimed, by each way in.
			allowed := "/orgs/Y00001/returns/" + tc.allowed
			if got := pm.post(allowed, url.Values{"action": {"save"}, code + ".visits": {"3"}}); got.status != 303 {
				t.Errorf("page, %s: %d %s", tc.allowed, got.status, pageText(got.body))
			}
			csv = "practice_code,service_code,service_name,period_start,field,field_label,value\nY00001," + code + ",Visits," + tc.allowed + "-01,visits,Visits,4\n"
			if got := pm.upload(allowed+"/upload", "return.csv", csv); got.status >= 400 {
				t.Errorf("CSV, %s: %d %s", tc.allowed, got.status, pageText(got.body))
			}
			pm.get(allowed).has(t, `value="4"`)
		})
	}
}

// signUp offers the service to Y00001 (from a day, or from whenever it is
// accepted) and the practice accepts it today.
func signUp(t *testing.T, a *app, id, from string) {
	t.Helper()
	if got := a.as(people.Commissioner).post("/orgs/99X/services/"+id+"/offers", url.Values{"orgs": {"Y00001"}, "from": {from}}); got.status != 303 {
		t.Fatalf("offer: %d %s", got.status, pageText(got.body))
	}
	if got := a.as(people.PracticeManager).post("/orgs/Y00001/services/"+id+"/respond", url.Values{"answer": {"accept"}}); got.status != 303 {
		t.Fatalf("accept: %d %s", got.status, pageText(got.body))
	}
}
