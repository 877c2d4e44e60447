package claims

import (
	"slices"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

func TestLatestEndedAndExpected(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	sv := Service{Year: 2026, Frequency: Quarterly, Commissioner: "P1", Eligibility: AllPractices}
	for today, want := range map[string]string{"2026-05-01": "2026-04-01", "2026-07-01": "2026-04-01", "2026-11-29": "2026-07-01", "2027-06-01": "2027-01-01"} {
		if got := sv.LatestEnded(day(today)); !got.Start.Equal(day(want)) {
			t.Errorf("on %s: period from %s, want %s", today, got.Start.Format(time.DateOnly), want)
		}
	}
	q2 := Period{Start: day("2026-07-01"), End: day("2026-09-30")}
	area := []orgs.Org{
		{Code: "A", Kind: orgs.Practice, Status: orgs.StatusActive},
		{Code: "B", Kind: orgs.Practice, Status: orgs.StatusClosed, CloseDate: day("2026-08-15")}, // open for part of it
		{Code: "C", Kind: orgs.Practice, Status: orgs.StatusClosed, CloseDate: day("2026-03-31")}, // closed before
		{Code: "D", Kind: orgs.Practice, Status: orgs.StatusActive, OpenDate: day("2026-10-01")},  // opens after
	}
	if got := sv.Expected(q2, nil, area); !slices.Equal(got, []string{"A", "B"}) || !sv.NeedsArea() {
		t.Errorf("every practice: %v", got)
	}
	signUp := sv
	signUp.SignUp = true
	offers := []Offer{{Org: "A", Status: Active}, {Org: "B", Status: Pending}, {Org: "C", Status: Declined}}
	if got := signUp.Expected(q2, offers, nil); !slices.Equal(got, []string{"A"}) || signUp.NeedsArea() {
		t.Errorf("signed up: %v", got)
	}
	// A sign-up made after the period does not make it look missing then.
	later := []Offer{{Org: "A", Status: Active, Start: q2.End.AddDate(0, 0, 1)}, {Org: "B", Status: Active, Start: q2.End}}
	if got := signUp.Expected(q2, later, nil); !slices.Equal(got, []string{"B"}) {
		t.Errorf("signed up after the period: %v", got)
	}
	ended := sv
	ended.Ends = q2.Start.AddDate(0, 0, -1)
	if got := ended.Expected(q2, nil, area); len(got) != 0 {
		t.Errorf("a service that ended before the period: %v", got)
	}
	chosen := Service{Year: sv.Year, Eligibility: ChosenPractices, Chosen: []string{"X", "Y"}}
	if got := chosen.Expected(q2, nil, nil); !slices.Equal(got, []string{"X", "Y"}) {
		t.Errorf("chosen: %v", got)
	}
}

func TestStanding(t *testing.T) {
	deadline := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	onTheDay, after := time.Date(2026, 10, 20, 16, 0, 0, 0, time.UTC), time.Date(2026, 10, 21, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		cl     *Claim
		today  time.Time
		status string
		late   bool
	}{
		{"nothing on the deadline day", nil, onTheDay, "Not submitted", false},
		{"nothing after it", nil, after, "Not submitted", true},
		{"a draft after it", &Claim{Status: Draft}, after, "Draft saved", true},
		{"submitted on time", &Claim{Status: Submitted}, after, "Submitted", false},
		{"submitted late", &Claim{Status: Approved, Late: true}, after, "Approved", true},
	} {
		if status, late := Standing(tc.cl, deadline, tc.today); status != tc.status || late != tc.late {
			t.Errorf("%s: %q %v, want %q %v", tc.name, status, late, tc.status, tc.late)
		}
	}
}
