package claims

import (
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestClaimable(t *testing.T) {
	sv := Service{Name: "ECGs", Year: 2026, Frequency: Monthly, SignUp: true}
	open := orgs.Org{Code: "Y1", Name: "Y1 SURGERY", Kind: orgs.Practice, Status: "A"}
	april, sept, nov, march := Period{day("2026-04-01"), day("2026-04-30")}, Period{day("2026-09-01"), day("2026-09-30")},
		Period{day("2026-11-01"), day("2026-11-30")}, Period{day("2027-03-01"), day("2027-03-31")}
	signed := func(start string) *Offer { return &Offer{Status: Active, Start: day(start)} }
	withDates := func(starts, ends string) Service {
		s := sv
		if starts != "" {
			s.Starts = day(starts)
		}
		if ends != "" {
			s.Ends = day(ends)
		}
		return s
	}
	closed := open
	closed.CloseDate, closed.Status = day("2026-09-15"), orgs.StatusClosed
	opened := open
	opened.OpenDate = day("2026-10-02")
	gone := open
	gone.Status = orgs.StatusClosed
	for _, tc := range []struct {
		name  string
		sv    Service
		o     orgs.Org
		offer *Offer
		p     Period
		ok    bool
		why   string
	}{
		{"signed up in April, April", sv, open, signed("2026-04-01"), april, true, ""},
		{"signed up in November, April", sv, open, signed("2026-11-15"), april, false, "signed up to ECGs from 15 November 2026"},
		{"signed up in November, November", sv, open, signed("2026-11-15"), nov, true, ""},
		{"service started in November, September", withDates("2026-11-29", ""), open, signed("2026-04-01"), sept, false, "ECGs starts on 29 November 2026"},
		{"service started in November, November", withDates("2026-11-29", ""), open, signed("2026-04-01"), nov, true, ""},
		{"service ended in September, November", withDates("", "2026-09-30"), open, signed("2026-04-01"), nov, false, "ECGs ended on 30 September 2026"},
		{"service ended in September, September", withDates("", "2026-09-30"), open, signed("2026-04-01"), sept, true, ""},
		{"closed mid-September, September", sv, closed, signed("2026-04-01"), sept, true, ""},
		{"closed mid-September, November", sv, closed, signed("2026-04-01"), nov, false, "Y1 SURGERY closed on 15 September 2026"},
		{"closed mid-September, March", sv, closed, signed("2026-04-01"), march, false, "closed on 15 September 2026"},
		{"opened in October, September", sv, opened, signed("2026-04-01"), sept, false, "Y1 SURGERY opened on 2 October 2026"},
		{"closed, date unknown", sv, gone, signed("2026-04-01"), nov, false, "Y1 SURGERY is closed"},
	} {
		ok, why := tc.sv.Claimable(tc.p, tc.o, tc.offer)
		if ok != tc.ok || !strings.Contains(why, tc.why) || (tc.ok && why != "") {
			t.Errorf("%s: %v %q, want %v %q", tc.name, ok, why, tc.ok, tc.why)
		}
	}
}

func TestServiceDatesValidate(t *testing.T) {
	base := Service{Code: "LES-ECG", Name: "ECGs", Commissioner: "P1", Year: 2026, Frequency: Monthly, DeadlineDays: 10, Eligibility: AllPractices,
		Fields: []Field{{Label: "ECGs"}}}
	base.Rule.Kind = "fee_per_item"
	for _, tc := range []struct {
		starts, ends, field string
	}{
		{"2026-11-29", "", ""},
		{"2026-03-31", "", "starts_on"},
		{"", "2027-04-01", "ends_on"},
		{"2026-11-29", "2026-11-28", "ends_on"},
	} {
		sv := base
		if tc.starts != "" {
			sv.Starts = day(tc.starts)
		}
		if tc.ends != "" {
			sv.Ends = day(tc.ends)
		}
		err := sv.Validate()
		if tc.field == "" && (fieldIn(err, "starts_on") || fieldIn(err, "ends_on")) || tc.field != "" && !fieldIn(err, tc.field) {
			t.Errorf("%s to %s: %v", tc.starts, tc.ends, err)
		}
	}
}

func fieldIn(err error, name string) bool {
	for _, f := range problem.FieldsOf(err) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// TestPriceWithinServiceDates: a block service that starts or ends part-way
// through a month pays for its days only (a probe found a full month paid).
func TestPriceWithinServiceDates(t *testing.T) {
	block := Service{Name: "Block", Year: 2026, Frequency: Monthly, Rule: payrules.Rule{Kind: payrules.Block, BlockPence: 300000}}
	nov := Period{day("2026-11-01"), day("2026-11-30")}
	for _, tc := range []struct {
		starts, ends string
		want         int64
		note         string
	}{
		{"", "", 300000, ""},
		{"2026-11-29", "", 20000, "service started 29 November 2026"},
		{"", "2026-11-15", 150000, "service ended 15 November 2026"},
	} {
		sv := block
		if tc.starts != "" {
			sv.Starts = day(tc.starts)
		}
		if tc.ends != "" {
			sv.Ends = day(tc.ends)
		}
		res, err := Price(sv, nov, nil, Facts{})
		if err != nil || res.Pence != tc.want || !strings.Contains(res.Explanation, tc.note) {
			t.Errorf("%s–%s: %d %q %v, want %d", tc.starts, tc.ends, res.Pence, res.Explanation, err, tc.want)
		}
	}
}

func TestUnusual(t *testing.T) {
	sv := Service{Fields: []Field{{Key: "n", Label: "Tests"}}}
	for _, tc := range []struct {
		v    int64
		u    Usual
		want string
	}{
		{50, Usual{ListSize: 1000}, ""},
		{1001, Usual{ListSize: 1000}, "more than the practice's 1000 registered patients"},
		{301, Usual{History: map[string][]int64{"n": {100, 90, 110}}}, "more than three times the practice's usual 100"},
		{300, Usual{History: map[string][]int64{"n": {100, 90, 110}}}, ""},
		{301, Usual{History: map[string][]int64{"n": {100, 90}}}, ""}, // too little to go on
		{9, Usual{History: map[string][]int64{"n": {1, 2, 1}}}, ""},   // small numbers vary
		{50, Usual{History: map[string][]int64{"n": {10, 12, 8, 14}}}, "usual 11"},
	} {
		got := strings.Join(Unusual(sv, map[string]int64{"n": tc.v}, tc.u), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%d against %+v: %q, want %q", tc.v, tc.u, got, tc.want)
		}
	}
	// The service's own expectation comes first.
	sv.Fields[0].Expected = 200
	if got := Unusual(sv, map[string]int64{"n": 201}, Usual{ListSize: 1000}); len(got) != 1 || got[0] != "Tests (201) is more than the 200 a period the service expects" {
		t.Errorf("above the expected 200: %q", got)
	}
	if got := Unusual(sv, map[string]int64{"n": 200}, Usual{ListSize: 1000}); len(got) != 0 {
		t.Errorf("at the expected 200: %q", got)
	}
}

// TestDeadlineFor: a period's deadline is its end plus the service's days,
// but never sooner than those days after the service was made or the
// sign-up answered: backdating does not make claims late before anyone
// could make them.
func TestDeadlineFor(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	april := Period{Start: day("2026-04-01"), End: day("2026-04-30")}
	for _, tc := range []struct {
		name    string
		created time.Time
		offer   *Offer
		want    string
	}{
		{"made before the period", day("2026-03-01"), nil, "2026-05-10"},
		{"made in November, backdated to April", day("2026-11-30").Add(15 * time.Hour), nil, "2026-12-10"},
		{"signed up in June, from April", day("2026-03-01"), &Offer{Start: day("2026-04-01"), Answered: day("2026-06-15")}, "2026-06-25"},
		{"signed up before", day("2026-03-01"), &Offer{Answered: day("2026-03-20")}, "2026-05-10"},
	} {
		sv := Service{DeadlineDays: 10, Created: tc.created}
		if got := sv.DeadlineFor(april, tc.offer).Format(time.DateOnly); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
