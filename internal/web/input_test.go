package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestBodyLimits: a body over its route's limit is refused whole with a
// clear message, never cut short and saved; and a user without the right
// is refused before the body is read.
func TestBodyLimits(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, staff := a.as(people.PracticeManager), a.as(people.PracticeStaff)
	month := "2026-10"
	big := "practice_code,service_code,service_name,period_start,field,field_label,value\n" + strings.Repeat("x", 6<<20)

	got := pm.upload("/orgs/Y00001/returns/"+month+"/upload", "big.csv", big)
	if got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("6 MB return upload: %d, want 413", got.status)
	}
	got.has(t, "larger than the 5 MB this page accepts")

	// Practice staff may not submit claims: refused as forbidden, not as
	// too large, because the right is checked before the body is read.
	if got := staff.upload("/orgs/Y00001/returns/"+month+"/upload", "big.csv", big); got.status != http.StatusForbidden {
		t.Errorf("upload by a user without the right: %d, want 403", got.status)
	}

	// A form over 1 MB.
	if got := pm.post("/orgs/Y00001/returns/"+month, map[string][]string{"note": {strings.Repeat("y", 2<<20)}}); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB form: %d, want 413", got.status)
	}
}

// TestJSONNumbers: a JSON number arrives as the number typed, not in
// exponent form (1000000 once arrived as "1e+06" and failed validation).
func TestJSONNumbers(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	// 1,000,000 is over the largest target allowed (100,000): refused for
	// its size, with the number as typed in the message.
	got := comm.postJSON("/api/orgs/99X/targets", `{"measure": "gp-per-1000", "target": 1000000}`)
	if got.status != 422 || !strings.Contains(got.body, `1000000`) || strings.Contains(got.body, "e+06") {
		t.Errorf("target 1000000: %d %s", got.status, got.body)
	}
}

// TestLongEmailAtSignIn: an email longer than any address is refused before
// it is counted or recorded, so that no one can grow the database by
// signing in (a probe added 55 MB in under a second with 900,000-character
// emails).
func TestLongEmailAtSignIn(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	before, _, err := a.store.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := a.anon()
	got := c.post("/login", url.Values{"email": {strings.Repeat("a", 300) + "@example.org"}, "password": {"x"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "254 characters or fewer") {
		t.Errorf("a 312-character email: %d", got.status)
	}
	after, _, _ := a.store.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 1})
	if len(after) != len(before) || (len(after) > 0 && after[0].Seq != before[0].Seq) {
		t.Error("a refused sign-in with a giant email was recorded")
	}
}
