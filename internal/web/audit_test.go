package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestAuditScoped: an administrator reads the audit entries about the
// organisations in their scope (and their own actions), not another ICB's
// or another practice's (issue 15).
func TestAuditScoped(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	entities := func(c *client) map[string]bool {
		t.Helper()
		got := c.get("/api/admin/audit")
		var d struct {
			Entries []struct {
				Entity   string `json:"entity"`
				EntityID string `json:"entity_id"`
				Actor    string `json:"actor"`
			} `json:"entries"`
		}
		if err := json.Unmarshal([]byte(got.body), &d); err != nil || got.status != 200 {
			t.Fatalf("audit: %d %v", got.status, err)
		}
		out := map[string]bool{}
		for _, e := range d.Entries {
			out[e.Entity+":"+e.EntityID] = true
		}
		return out
	}
	// The ICB's administrator: the other ICB's practice, set up by the test,
	// is not theirs to read.
	icb := entities(a.as(people.Admin))
	if icb["org:Z00001"] || icb["org:QYY"] {
		t.Error("an ICB's administrator reads another ICB's entries")
	}
	if len(icb) == 0 {
		t.Error("an ICB's administrator reads nothing")
	}
	// A practice's administrator reads nothing about another practice.
	hash, err := people.HashPassword("kettle orbit meadow 41")
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.store.AddUser(t.Context(), "test", people.User{Email: "admin.y3@example.org", Name: "Admin Y3"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(t.Context(), "test", u.ID, people.Admin, "Y00003"); err != nil {
		t.Fatal(err)
	}
	c := a.anon()
	if got := c.post("/login", url.Values{"email": {"admin.y3@example.org"}, "password": {"kettle orbit meadow 41"}}); got.status != 303 {
		t.Fatalf("sign in: %d", got.status)
	}
	for key := range entities(c) {
		if key == "org:Y00001" || key == "org:Z00001" || key == "org:QZZ" {
			t.Errorf("a practice's administrator reads %s", key)
		}
	}
}

// TestRolelessUsersScoped: a person who holds no role yet is seen and given
// roles only by the administrator who added them, not by every
// administrator anywhere (issue 15).
func TestRolelessUsersScoped(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	icbAdmin := a.as(people.Admin)
	got := icbAdmin.post("/admin/users", url.Values{"email": {"new.starter@example.org"}, "name": {"New Starter"}, "password": {"kettle orbit meadow 42"}})
	if got.status != 303 {
		t.Fatalf("add user: %d %s", got.status, got.body)
	}
	path := got.header.Get("Location")
	if icbAdmin.get(path).status != 200 {
		t.Errorf("the administrator who added them cannot see them")
	}
	hash, _ := people.HashPassword("kettle orbit meadow 41")
	u, err := a.store.AddUser(t.Context(), "test", people.User{Email: "admin.y3@example.org", Name: "Admin Y3"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(t.Context(), "test", u.ID, people.Admin, "Y00003"); err != nil {
		t.Fatal(err)
	}
	other := a.anon()
	if got := other.post("/login", url.Values{"email": {"admin.y3@example.org"}, "password": {"kettle orbit meadow 41"}}); got.status != 303 {
		t.Fatalf("sign in: %d", got.status)
	}
	// Answered as for an id no one has, so that the answer does not say
	// which ids are people.
	if got, none := other.get(path), other.get("/admin/users/999999"); got.status != 404 || got.status != none.status ||
		!strings.Contains(got.body, "There is no such user among the people you administer") || !strings.Contains(none.body, "There is no such user among the people you administer") {
		t.Errorf("another practice's administrator and a roleless user they did not add: %d, where no one: %d", got.status, none.status)
	}
	if got := other.get("/admin/users?q=starter"); strings.Contains(got.body, "new.starter@example.org") {
		t.Error("another practice's administrator lists a roleless user they did not add")
	}
}

// TestSignOutEverywhere: signing out everywhere ends the person's other
// sessions too, not only this one (issue 15).
func TestSignOutEverywhere(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	laptop, shared := a.as(people.PracticeManager), a.as(people.PracticeManager)
	if got := shared.get("/orgs/Y00001"); got.status != 200 {
		t.Fatalf("second session: %d", got.status)
	}
	if got := laptop.post("/logout", url.Values{"everywhere": {"1"}}); got.status != 303 {
		t.Fatalf("sign out everywhere: %d", got.status)
	}
	if got := shared.get("/orgs/Y00001"); got.status != 401 {
		t.Errorf("the other session still works after signing out everywhere: %d", got.status)
	}
	if got := laptop.get("/orgs/Y00001"); got.status != 401 {
		t.Errorf("this session still works: %d", got.status)
	}
}

// TestAuditInWords: the log shows each entry as a sentence with what
// changed, the raw record folded away, and filters by organisation, person
// and kind of action, keeping the filters on the older page.
func TestAuditInWords(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	adm := a.as(people.Admin)
	got := adm.post("/admin/users", url.Values{"email": {"words@example.org"}, "name": {"Wren Words"}, "password": {"Temporary-Pass-7731"}})
	if got.status != 303 {
		t.Fatalf("add user: %d", got.status)
	}
	page := adm.get("/admin/audit?action=user")
	page.has(t, "added user words@example.org", "email: words@example.org", "As recorded", `<option value="user" selected>`)
	if strings.Contains(page.body, "session.start") && !strings.Contains(page.body, "As recorded") {
		t.Error("sessions listed under the user filter")
	}
	var d struct {
		Entries []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(adm.get("/api/admin/audit?by=admin@onepc.example&action=user.add").body), &d); err != nil || len(d.Entries) != 1 || d.Entries[0].Action != "user.add" {
		t.Errorf("filtered by person and action: %+v %v", d, err)
	}
	if err := json.Unmarshal([]byte(adm.get("/api/admin/audit?org=Z99999").body), &d); err != nil || len(d.Entries) != 0 {
		t.Errorf("an organisation with no entries: %+v %v", d, err)
	}
}

// TestOrphans: a practice a registered-patients file added with no Place is
// listed to the top administrator, who places it (under a Place, never a
// PCN); then the Place's commissioner reaches it. Others cannot.
func TestOrphans(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	if _, err := a.store.ImportPopulation(t.Context(), "test", "no-subicb.csv", &population.Extract{Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Practices: []population.Practice{{Code: "Y09999", Total: 4321}}}); err != nil {
		t.Fatal(err)
	}
	adm, comm := a.as(people.Admin), a.as(people.Commissioner)
	if got := comm.get("/orgs/Y09999"); got.status != 403 {
		t.Errorf("the commissioner reaches the orphan before it is placed: %d", got.status)
	}
	adm.get("/admin/orphans").has(t, "Y09999", "Put it under")
	if got := adm.post("/admin/orphans/Y09999", url.Values{"parent": {"U00001"}}); got.status != 422 || !strings.Contains(got.body, "put it under a Place") {
		t.Errorf("under a PCN: %d %s", got.status, pageText(got.body))
	}
	if got := adm.post("/admin/orphans/Y09999", url.Values{"parent": {"98Y"}}); got.status != 422 || !strings.Contains(got.body, "not an organisation you administer") {
		t.Errorf("under another ICB's Place: %d %s", got.status, pageText(got.body))
	}
	if got := adm.post("/admin/orphans/99X", url.Values{"parent": {"QZZ"}}); got.status != 404 {
		t.Errorf("moving a Place that is not an orphan: %d", got.status)
	}
	if got := adm.post("/admin/orphans/Y09999", url.Values{"parent": {"99X"}}); got.status != 303 {
		t.Fatalf("place: %d %s", got.status, pageText(got.body))
	}
	if got := comm.get("/orgs/Y09999"); got.status != 200 {
		t.Errorf("the commissioner after placing: %d", got.status)
	}
	if strings.Contains(adm.get("/admin/orphans").body, "Y09999") {
		t.Error("the placed practice is still listed")
	}
	if got := a.as(people.PracticeManager).get("/admin/orphans"); got.status != 403 {
		t.Errorf("a practice manager: %d", got.status)
	}
}
