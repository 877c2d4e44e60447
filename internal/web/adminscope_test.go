package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestAdminReachOutsideScope: an administrator in one ICB cannot reach a
// person who also works in another (a probe took over a finance officer of
// the demo Place through a reset link made by the other ICB's
// administrator, and read reset links for anyone in the outbox).
func TestAdminReachOutsideScope(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	ctx := t.Context()
	c := signedInAs(t, a, "admin.qyy@example.org", people.Admin, "QYY") // the other ICB's administrator
	// The demo Place's finance officer also works at the other ICB's practice.
	finance, err := a.store.UserByEmail(ctx, a.logins[people.FinanceOfficer].Email)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(ctx, "test", finance.ID, people.PracticeStaff, "Z00001"); err != nil {
		t.Fatal(err)
	}

	user := fmt.Sprintf("/admin/users/%d", finance.ID)
	for _, path := range []string{"/reset-link", "/disable"} {
		if got := c.postJSON("/api"+user+path, `{}`); got.status != http.StatusForbidden || !strings.Contains(got.body, "top of the hierarchy") {
			t.Errorf("%s by another ICB's administrator: %d %.200s", path, got.status, got.body)
		}
	}
	// The person's page shows the role here, and only counts the other.
	got := c.get(user)
	if got.status != 200 || strings.Contains(got.body, `href="/orgs/99X"`) || strings.Contains(got.body, "Make a link") || !strings.Contains(got.body, "also holds 1 role at organisations you do not administer") {
		t.Errorf("the person's page shows roles elsewhere: %d %s", got.status, pageText(got.body))
	}
	// Nor does the list of users, or the answer to giving a role.
	if got := a.as(people.Admin).get("/api/admin/users?q=finance"); got.status != 200 || strings.Contains(got.body, "Z00001") || !strings.Contains(got.body, "99X") {
		t.Errorf("the ICB's users list names roles elsewhere: %d %.300s", got.status, got.body)
	}
	if got := a.as(people.Admin).postJSON("/api"+user+"/grants", `{"role": "practice_staff", "org": "Y00002"}`); got.status != 200 || strings.Contains(got.body, "Z00001") {
		t.Errorf("giving a role answers with roles elsewhere: %d %.300s", got.status, got.body)
	}
	// The Place's own administrator may (the finance officer's roles there
	// are not all theirs either, so not them: the top only).
	if got := a.as(people.Admin).postJSON("/api"+user+"/reset-link", `{}`); got.status != http.StatusForbidden || !strings.Contains(got.body, "they also hold a role at an organisation you do not administer") {
		t.Errorf("reset link for someone working in two ICBs by one ICB's administrator: %d %s", got.status, got.body)
	}
	// A practice manager wholly in the ICB: its administrator may.
	pm, err := a.store.UserByEmail(ctx, a.logins[people.PracticeManager].Email)
	if err != nil {
		t.Fatal(err)
	}
	// Taking a role away and disabling ask first, in a browser with scripts.
	a.as(people.Admin).get(fmt.Sprintf("/admin/users/%d", pm.ID)).has(t, `data-confirm="Take away Practice manager at`, `data-confirm="Disable`)
	if got := a.as(people.Admin).postJSON(fmt.Sprintf("/api/admin/users/%d/reset-link", pm.ID), `{}`); got.status != http.StatusCreated {
		t.Errorf("reset link for a practice manager in scope: %d %s", got.status, got.body)
	}

	// The outbox: a reset email for the demo ICB's administrator is not the
	// other ICB's to see, and no one sees its link.
	if _, err := a.store.QueueReminders(ctx, []mustdo.Reminder{{Key: "reset/test", To: a.logins[people.Admin].Email,
		Subject: "Reset your OnePC password", Body: "https://onepc.example/login/reset?token=SECRET-TOKEN"}}); err != nil {
		t.Fatal(err)
	}
	if got := c.get("/api/admin/outbox"); got.status != 200 || strings.Contains(got.body, a.logins[people.Admin].Email) || strings.Contains(got.body, "SECRET-TOKEN") {
		t.Errorf("another ICB's administrator reads the outbox: %d %.300s", got.status, got.body)
	}
	got = a.as(people.Admin).get("/api/admin/outbox")
	if got.status != 200 || !strings.Contains(got.body, "Reset your OnePC password") || strings.Contains(got.body, "SECRET-TOKEN") {
		t.Errorf("the ICB's administrator's outbox: %d %.300s", got.status, got.body)
	}
}

// TestAuditSeesWhatReachesItsPeople: an ICB's administrator reads what was
// done to its people from above (a reset link made by the region's
// administrator) and the national changes that reach its organisations (a
// year's must-do dates); neither is about one organisation, so neither was
// shown (issue 15's probe).
func TestAuditSeesWhatReachesItsPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		ctx := t.Context()
		region := signedInAs(t, a, "admin.region@example.org", people.Admin, demo.RegionCode)
		pm, err := a.store.UserByEmail(ctx, a.logins[people.PracticeManager].Email)
		if err != nil {
			t.Fatal(err)
		}
		if got := region.postJSON(fmt.Sprintf("/api/admin/users/%d/reset-link", pm.ID), `{}`); got.status != http.StatusCreated {
			t.Fatalf("reset link from the region: %d %s", got.status, got.body)
		}
		if got := a.signIn("icb.commissioner@onepc.example").post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "due": {"2027-06-12"}}); got.status != http.StatusSeeOther {
			t.Fatalf("set dates: %d", got.status)
		}
		admin := a.as(people.Admin)
		for _, action := range []string{"user.reset-link", "mustdo.dates"} {
			if got := admin.get("/api/admin/audit?action=" + action); got.status != 200 || !strings.Contains(got.body, `"action": "`+action+`"`) {
				t.Errorf("the ICB's administrator does not read %s: %d %.300s", action, got.status, got.body)
			}
		}
		// Another ICB's administrator reads neither the reset link (not one
		// of theirs) nor, below an ICB, the national change.
		other := signedInAs(t, a, "admin.98y@example.org", people.Admin, "98Y")
		for _, action := range []string{"user.reset-link", "mustdo.dates"} {
			if got := other.get("/api/admin/audit?action=" + action); strings.Contains(got.body, `"action": "`+action+`"`) {
				t.Errorf("another Place's administrator reads %s", action)
			}
		}
		// A Place's payment draft thrown away and its service's
		// specification are the Place's: its ICB's administrator reads
		// them, another ICB's does not (they were once kept as about no
		// one organisation, and so read by every ICB).
		id, _ := strconv.ParseInt(serviceID(t, a.signIn("commissioner@onepc.example").post("/orgs/99X/services", serviceForm("LES-ECG", "ECGs", map[string]string{"fields": "ECGs performed", "rule_kind": "fee_per_item", "rule_field": "ECGs performed", "rate": "25.00", "needs_declaration": ""}))), 10, 64)
		if err := a.store.SaveSpecFile(ctx, "commissioner@onepc.example", id, "tender-pricing.pdf", "application/pdf", []byte("%PDF-1.4")); err != nil {
			t.Fatal(err)
		}
		run, err := a.store.DraftPayments(ctx, "finance@onepc.example", "99X", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.store.DiscardPayments(ctx, "finance@onepc.example", "99X", run.ID); err != nil {
			t.Fatal(err)
		}
		otherICB := signedInAs(t, a, "admin.qyy2@example.org", people.Admin, "QYY")
		for _, action := range []string{"service.specification", "payments.discard"} {
			if got := admin.get("/api/admin/audit?action=" + action); !strings.Contains(got.body, `"action": "`+action+`"`) {
				t.Errorf("the ICB's administrator does not read %s: %.300s", action, got.body)
			}
			if got := otherICB.get("/api/admin/audit?action=" + action); got.status != 200 || strings.Contains(got.body, `"action": "`+action+`"`) {
				t.Errorf("another ICB's administrator reads %s: %d", action, got.status)
			}
		}
	})
}

// signedInAs adds a person with the demo password and one role, and signs
// them in.
func signedInAs(t *testing.T, a *app, email string, role people.Role, org string) *client {
	t.Helper()
	hash, err := people.HashPassword(demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.store.AddUser(t.Context(), "test", people.User{Email: email, Name: email}, hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(t.Context(), "test", u.ID, role, org); err != nil {
		t.Fatal(err)
	}
	return a.signIn(email)
}
