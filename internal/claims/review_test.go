package claims

import (
	"fmt"
	"github.com/onepc/onepc/internal/orgs"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

func TestNext(t *testing.T) {
	withFinance := Service{NeedsApproval: true, NeedsFinance: true, Frequency: Monthly}
	noFinance := Service{NeedsApproval: true, Frequency: Monthly}
	tests := []struct {
		action Action
		from   Status
		s      Service
		want   Status // "" for a conflict
	}{
		{ActApprove, Submitted, withFinance, Approved},
		{ActApprove, Submitted, noFinance, Finance},
		{ActQuery, Submitted, withFinance, Queried},
		{ActReject, Submitted, withFinance, Rejected},
		{ActReject, Queried, withFinance, Rejected},
		{ActFinance, Approved, withFinance, Finance},
		{ActFinance, Approved, noFinance, ""},
		{ActApprove, Queried, withFinance, ""},
		{ActApprove, Approved, withFinance, ""},
		{ActQuery, Rejected, withFinance, ""},
		{ActApprove, Draft, withFinance, ""},
	}
	for _, tc := range tests {
		got, err := Next(tc.action, Claim{Status: tc.from}, tc.s)
		if got != tc.want || (tc.want == "") != (problem.KindOf(err) == problem.Conflict) {
			t.Errorf("%s a %s claim: %q, %v; want %q", tc.action, tc.from, got, err, tc.want)
		}
	}
}

func TestCheckReview(t *testing.T) {
	for _, tc := range []struct {
		action  Action
		ids     []int64
		message string
		field   string
	}{
		{"bless", []int64{1}, "", "action"},
		{ActQuery, []int64{1}, "  ", "message"},
		{ActApprove, nil, "", "claims"},
		{ActApprove, []int64{1}, "", ""},
	} {
		err := CheckReview(tc.action, tc.ids, tc.message)
		got := ""
		if f := problem.FieldsOf(err); len(f) > 0 {
			got = f[0].Name
		}
		if got != tc.field {
			t.Errorf("%s %v %q: field %q, want %q", tc.action, tc.ids, tc.message, got, tc.field)
		}
	}
}

func TestPrepareReturn(t *testing.T) {
	sv := Service{ID: 1, Code: "LES-ECG", Name: "ECGs", Year: 2026, Frequency: Monthly, NeedsDeclaration: true,
		Fields: []Field{{Key: "ecgs", Label: "ECGs performed"}},
		Rule:   payrules.Rule{Kind: payrules.FeePerItem, Field: "ecgs", RatePence: 2500}}
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	period := Period{Start: oct, End: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)}
	line := func(cl *Claim) []ReturnLine { return []ReturnLine{{Service: sv, Period: period, Claim: cl}} }
	entry := []ReturnEntry{{ServiceID: 1, Activity: map[string]string{"ecgs": "4"}}}
	during, after := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		lines            []ReturnLine
		entries          []ReturnEntry
		now              time.Time
		submit, declared bool
		field            string // the first problem's field; "" for none
		pence            int64
	}{
		{"draft during the month", line(nil), entry, during, false, false, "", 10000},
		{"submit during the month", line(nil), entry, during, true, true, "LES-ECG.ecgs", 0},
		{"submit without the declaration", line(nil), entry, after, true, false, "declaration", 0},
		{"submit", line(nil), entry, after, true, true, "", 10000},
		{"already submitted", line(&Claim{Status: Submitted}), entry, after, true, true, "LES-ECG.ecgs", 0},
		{"not a number", line(nil), []ReturnEntry{{ServiceID: 1, Activity: map[string]string{"ecgs": "four"}}}, after, true, true, "LES-ECG.ecgs", 0},
		{"nothing to submit", line(nil), nil, after, true, true, "return", 0},
	}
	for _, tc := range tests {
		work, err := PrepareReturn(tc.lines, tc.entries, "Y00001", oct, tc.now, tc.submit, tc.declared)
		got := ""
		if f := problem.FieldsOf(err); len(f) > 0 {
			got = f[0].Name
		} else if err != nil {
			got = err.Error()
		}
		if got != tc.field {
			t.Errorf("%s: problem at %q (%v), want %q", tc.name, got, err, tc.field)
			continue
		}
		if tc.field == "" && (len(work) != 1 || work[0].Result.Pence != tc.pence) {
			t.Errorf("%s: work %+v, want one line of %d pence", tc.name, work, tc.pence)
		}
	}
	if _, err := PrepareReturn(line(nil), []ReturnEntry{{ServiceID: 9}}, "Y00001", oct, after, false, false); problem.KindOf(err) != problem.Invalid {
		t.Errorf("a service not on the return: %v, want Invalid", err)
	}
}

func TestReturnLines(t *testing.T) {
	chain := []string{"Y1", "P1"}
	monthly := Service{ID: 1, Commissioner: "P1", Year: 2026, Frequency: Monthly, Eligibility: AllPractices}
	quarterly := Service{ID: 2, Commissioner: "P1", Year: 2026, Frequency: Quarterly, Eligibility: AllPractices}
	signUp := Service{ID: 3, Commissioner: "P1", Year: 2026, Frequency: Monthly, Eligibility: AllPractices, SignUp: true}
	lastYear := Service{ID: 4, Commissioner: "P1", Year: 2025, Frequency: Monthly, Eligibility: AllPractices}
	other := Service{ID: 5, Commissioner: "P2", Year: 2026, Frequency: Monthly, Eligibility: AllPractices}
	services := []Service{monthly, quarterly, signUp, lastYear, other}
	saved := []Claim{{ServiceID: 1, Status: Draft}}
	ids := func(lines []ReturnLine) []int64 {
		var out []int64
		for _, l := range lines {
			out = append(out, l.Service.ID)
		}
		return out
	}
	aug, sept := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	y1, u1 := orgs.Org{Code: "Y1", Kind: orgs.Practice, Name: "Y1 SURGERY"}, orgs.Org{Code: "U1", Kind: orgs.PCN}
	if got := ReturnLines(aug, y1, chain, services, nil, saved); fmt.Sprint(ids(got)) != "[1]" || got[0].Claim == nil {
		t.Errorf("August: %v", ids(got))
	}
	offers := []Offer{{ServiceID: 3, Org: "Y1", Status: Active}}
	if got := ReturnLines(sept, y1, chain, services, offers, nil); fmt.Sprint(ids(got)) != "[1 2 3]" || got[2].Offer == nil {
		t.Errorf("September, signed up to 3: %v", ids(got))
	}
	// Signed up on 15 November: October is not claimable, November is.
	late := []Offer{{ServiceID: 3, Org: "Y1", Status: Active, Start: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)}}
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if got := ReturnLines(oct, y1, chain, services, late, nil); fmt.Sprint(ids(got)) != "[1]" {
		t.Errorf("October, signed up in November: %v", ids(got))
	}
	if got := ReturnLines(nov, y1, chain, services, late, nil); fmt.Sprint(ids(got)) != "[1 3]" {
		t.Errorf("November, signed up in November: %v", ids(got))
	}
	if got := ReturnLines(sept, u1, []string{"U1", "P1"}, services, nil, nil); len(got) != 0 {
		t.Errorf("a PCN claims none of the practices' services: %v", ids(got))
	}
}
