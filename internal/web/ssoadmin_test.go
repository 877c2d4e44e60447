package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// asNew adds a person with a role and signs them in.
func (a *app) asNew(email string, role people.Role, org string) *client {
	a.t.Helper()
	hash, _ := people.HashPassword(demo.Password)
	u, err := a.store.AddUser(a.t.Context(), "test", people.User{Email: email, Name: email}, hash)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.store.GrantRole(a.t.Context(), "test", u.ID, role, org); err != nil {
		a.t.Fatal(err)
	}
	return a.signIn(email)
}

// TestSSOAdmin: administrators keep the mapping rules for what they
// administer, and no rule gives a role above its author's reach.
func TestSSOAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		admin := a.as(people.Admin) // at Place 99X: not the top of its hierarchy
		page := admin.get("/admin/sso")
		if page.status != 200 {
			t.Fatalf("sso page: %d", page.status)
		}
		page.has(t, "<h2 id=\"provider-test\">Test</h2>", "No rules yet")

		tests := []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"the claim's organisation, not at the top", url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"g"}, "org": {"*"}, "role": {"practice_staff"}}, 422, "Only CIS2 role rules"},
			{"outside the admin's Place", url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"g"}, "org": {"Z00001"}, "role": {"practice_manager"}}, 403, "Z00001 is not one of them"},
			{"a CIS2 claim on another provider", url.Values{"provider": {"test"}, "claim": {"nrbac_role"}, "value": {"R8000"}, "org": {"Y00001"}, "role": {"practice_manager"}}, 422, "match group or app_role"},
			{"a role that does not fit", url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"g"}, "org": {"Y00001"}, "role": {"commissioner"}}, 422, "Commissioner can only be given at"},
			{"no such provider", url.Values{"provider": {"nope"}, "claim": {"group"}, "value": {"g"}, "org": {"Y00001"}, "role": {"practice_staff"}}, 422, "Choose a sign-in service"},
			{"good", url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"riverside-staff"}, "org": {"Y00001"}, "role": {"practice_staff"}}, 303, ""},
			{"again", url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"riverside-staff"}, "org": {"Y00001"}, "role": {"practice_staff"}}, 409, "That rule is there already"},
		}
		for _, tc := range tests {
			got := admin.post("/admin/sso/rules", tc.form)
			if got.status != tc.status || !strings.Contains(got.body, tc.want) {
				t.Errorf("%s: %d, want %d saying %q\n%s", tc.name, got.status, tc.status, tc.want, pageText(got.body))
			}
		}
		page = admin.get("/admin/sso")
		page.has(t, "riverside-staff", `action="/admin/sso/rules/`)
		csv := admin.get("/admin/sso/rules.csv")
		if csv.status != 200 || !strings.HasPrefix(csv.body, "provider,claim,value,activity,org_code,role,added_by\n") ||
			!strings.Contains(csv.body, "test,group,riverside-staff,,Y00001,practice_staff,admin@onepc.example") {
			t.Errorf("rules CSV: %d\n%s", csv.status, csv.body)
		}
		api := admin.get("/api/admin/sso")
		if !strings.Contains(api.body, `"value": "riverside-staff"`) || strings.Contains(api.body, `"secret"`) {
			t.Errorf("API: %s", api.body)
		}

		// An administrator at the top may map at the claim's organisation,
		// and may remove a rule; the Place admin cannot remove the top's.
		top := a.asNew("top@onepc.example", people.Admin, demo.RegionCode)
		// (The idle test provider is OIDC: * is refused by kind, not by reach.)
		if got := top.post("/admin/sso/rules", url.Values{"provider": {"test"}, "claim": {"app_role"}, "value": {"OnePC.Admin"}, "org": {"QYY"}, "role": {"admin"}}); got.status != 303 {
			t.Fatalf("top admin's rule: %d %s", got.status, pageText(got.body))
		}
		rules, _ := s.SSORules(t.Context(), "test", nil)
		var topRule, placeRule int64
		for _, r := range rules {
			if r.Org == "QYY" {
				topRule = r.ID
			} else {
				placeRule = r.ID
			}
		}
		if got := admin.post("/admin/sso/rules/"+strconv.FormatInt(topRule, 10)+"/delete", nil); got.status != 403 {
			t.Errorf("Place admin removing the top's rule: %d", got.status)
		}
		if got := admin.post("/admin/sso/rules/"+strconv.FormatInt(placeRule, 10)+"/delete", nil); got.status != 303 {
			t.Errorf("Place admin removing their rule: %d", got.status)
		}
		if got := admin.post("/admin/sso/rules/999999/delete", nil); got.status != 404 {
			t.Errorf("no such rule: %d", got.status)
		}

		// Linking an identity by hand, on the user's page.
		staff := addUser(t, a, "staff@riverside.example", people.PracticeStaff, "Y00001")
		other := addUser(t, a, "staff2@riverside.example", people.PracticeStaff, "Y00002")
		path := "/admin/users/" + strconv.FormatInt(staff, 10)
		if got := admin.post(path+"/identities", url.Values{"provider": {"test"}, "subject": {"0b5e-77"}}); got.status != 303 {
			t.Fatalf("link: %d %s", got.status, pageText(got.body))
		}
		admin.get(path).has(t, "0b5e-77", "Unlink")
		if got := admin.post("/admin/users/"+strconv.FormatInt(other, 10)+"/identities", url.Values{"provider": {"test"}, "subject": {"0b5e-77"}}); got.status != 422 || !strings.Contains(got.body, "already linked") {
			t.Errorf("link twice: %d", got.status)
		}
		if got := admin.post(path+"/identities", url.Values{"provider": {"test"}, "subject": {""}}); got.status != 422 || !strings.Contains(got.body, "sub claim") {
			t.Errorf("empty subject: %d", got.status)
		}
		if got := admin.post(path+"/identities/unlink", url.Values{"provider": {"test"}, "subject": {"0b5e-77"}}); got.status != 303 {
			t.Errorf("unlink: %d", got.status)
		}
		if got := admin.post(path+"/identities/unlink", url.Values{"provider": {"test"}, "subject": {"0b5e-77"}}); got.status != 404 {
			t.Errorf("unlink again: %d", got.status)
		}
		// A sign-in linked to an account carries all its roles: no linking
		// for someone who approves money or holds roles elsewhere.
		fin := addUser(t, a, "fin2@icb.example", people.FinanceOfficer, "99X")
		if got := admin.post("/admin/users/"+strconv.FormatInt(fin, 10)+"/identities", url.Values{"provider": {"test"}, "subject": {"evil"}}); got.status != 403 {
			t.Errorf("linking a finance officer: %d", got.status)
		}
		wide := addUser(t, a, "wide@example.org", people.PracticeStaff, "Y00001")
		if err := s.GrantRole(t.Context(), "test", wide, people.PracticeManager, "Z00001"); err != nil {
			t.Fatal(err)
		}
		if got := admin.post("/admin/users/"+strconv.FormatInt(wide, 10)+"/identities", url.Values{"provider": {"test"}, "subject": {"evil2"}}); got.status != 403 {
			t.Errorf("linking someone with a role outside the admin's reach: %d", got.status)
		}
		// The Place admin does not see the top's rule elsewhere.
		if got := admin.get("/admin/sso/rules.csv"); strings.Contains(got.body, "QYY") {
			t.Errorf("rule outside scope exported: %s", got.body)
		}
		if got := top.get("/admin/sso/rules.csv"); !strings.Contains(got.body, "QYY") {
			t.Errorf("top admin's export lacks their rule: %s", got.body)
		}
		// Nobody else may keep rules or links.
		if got := a.as(people.PracticeManager).get("/admin/sso"); got.status != 403 {
			t.Errorf("practice manager on the SSO page: %d", got.status)
		}
	})
}
