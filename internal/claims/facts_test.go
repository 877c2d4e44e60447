package claims

import (
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

func TestFactsFor(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	f := FactsFor(&List{Extract: day("2026-04-01"), Patients: 9000, Weighted: 9500, HasWeighted: true},
		&Offer{Start: day("2026-04-11")}, day("2026-09-30"))
	if !f.PatientsKnown || f.Patients != 9000 || f.Weighted != 9500 || f.PatientsNote != "registered on 1 April 2026" ||
		!f.ActiveFrom.Equal(day("2026-04-11")) || !f.ActiveTo.Equal(day("2026-09-30")) {
		t.Errorf("facts %+v", f)
	}
	if f := FactsFor(nil, nil, time.Time{}); f.PatientsKnown || !f.ActiveFrom.IsZero() || !f.ActiveTo.IsZero() {
		t.Errorf("no list, offer or closure: %+v", f)
	}
	if f := FactsFor(&List{Patients: 21000, Members: 3, On: day("2026-10-01")}, nil, time.Time{}); f.Patients != 21000 ||
		f.PatientsNote != "registered with the 3 practices that were members on 1 October 2026" {
		t.Errorf("a PCN's list: %+v", f)
	}
	capitation := Service{Rule: payrules.Rule{Kind: payrules.Capitation}}
	if !capitation.NeedsList() || (Service{Rule: payrules.Rule{Kind: payrules.Block}}).NeedsList() {
		t.Error("only capitation needs the list")
	}
}

func TestPrepareAmend(t *testing.T) {
	sv := Service{Code: "LES-ECG", Name: "ECGs", NeedsDeclaration: true, Frequency: Monthly,
		Fields: []Field{{Key: "ecgs", Label: "ECGs"}}, Rule: payrules.Rule{Kind: payrules.FeePerItem, Field: "ecgs", RatePence: 2500}}
	p := PeriodFrom(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Monthly)
	raw := map[string]string{"ecgs": "3"}
	for _, tc := range []struct {
		name     string
		status   Status
		raw      map[string]string
		declared bool
		kind     problem.Kind // Internal for none
		pence    int64
	}{
		{"submitted, declared", Submitted, raw, true, problem.Internal, 7500},
		{"queried", Queried, raw, true, problem.Internal, 7500},
		{"approved", Approved, raw, true, problem.Conflict, 0},
		{"without the declaration", Submitted, raw, false, problem.Invalid, 0},
		{"a field left blank", Submitted, map[string]string{}, true, problem.Invalid, 0},
	} {
		_, res, _, err := PrepareAmend(Claim{Status: tc.status, Period: p}, sv, tc.raw, tc.declared, Facts{}, Usual{}, "")
		if tc.kind == problem.Internal {
			if err != nil || res.Pence != tc.pence {
				t.Errorf("%s: %d pence, %v; want %d", tc.name, res.Pence, err, tc.pence)
			}
		} else if problem.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %d", tc.name, err, tc.kind)
		}
	}
}

func TestOpenTo(t *testing.T) {
	chain := []string{"Y1", "P1", "Q1"}
	place := Service{Commissioner: "P1", Eligibility: AllPractices}
	signUp := Service{Commissioner: "P1", Eligibility: AllPractices, SignUp: true}
	elsewhere := Service{Commissioner: "P2", Eligibility: AllPractices}
	for _, tc := range []struct {
		name         string
		s            Service
		offer        *Offer
		open, active bool
	}{
		{"every practice in the Place", place, nil, true, true},
		{"sign-up, not yet signed", signUp, nil, true, false},
		{"sign-up, offer pending", signUp, &Offer{Status: Pending}, true, false},
		{"sign-up, accepted", signUp, &Offer{Status: Active}, true, true},
		{"another Place's", elsewhere, nil, false, false},
		{"another Place's, offered", elsewhere, &Offer{Status: Pending}, true, false},
	} {
		if got := tc.s.OpenTo("Y1", false, chain, tc.offer); got.Open != tc.open || got.Active != tc.active {
			t.Errorf("%s: %+v, want open %v active %v", tc.name, got, tc.open, tc.active)
		}
	}
}

func TestRespondAndSignUpStart(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	sv := Service{Year: 2027, Frequency: Monthly}
	if got := sv.SignUpStart(day("2027-01-15")); !got.Equal(day("2027-04-01")) {
		t.Errorf("signing up before the year begins: from %s, want 2027-04-01", got.Format(time.DateOnly))
	}
	if got := sv.SignUpStart(day("2027-06-10")); !got.Equal(day("2027-06-10")) {
		t.Errorf("signing up in June: from %s", got.Format(time.DateOnly))
	}
	pending := Offer{Status: Pending}
	if o, err := pending.Respond(true, day("2027-06-10")); err != nil || o.Status != Active || !o.Start.Equal(day("2027-06-10")) {
		t.Errorf("accepting: %+v %v", o, err)
	}
	if o, err := pending.Respond(false, day("2027-06-10")); err != nil || o.Status != Declined || !o.Start.IsZero() {
		t.Errorf("declining: %+v %v", o, err)
	}
	if _, err := (Offer{Status: Active}).Respond(false, time.Time{}); problem.KindOf(err) != problem.Conflict || problem.Message(err) != "This offer has already been accepted" {
		t.Errorf("answering twice: %v", err)
	}
}

func TestOfferable(t *testing.T) {
	today := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	sv := Service{Name: "Backfill", Commissioner: "P1", Eligibility: ChosenPractices, Chosen: []string{"A1"}, SignUp: true}
	open := orgs.Org{Code: "A1", Name: "A", Kind: orgs.Practice, Status: orgs.StatusActive}
	for _, tc := range []struct {
		name string
		o    orgs.Org
		ok   bool
	}{
		{"a chosen practice", open, true},
		{"a practice not chosen", orgs.Org{Code: "A2", Name: "B", Kind: orgs.Practice, Status: orgs.StatusActive}, false},
		{"a PCN, for a practice service", orgs.Org{Code: "A1", Name: "PCN", Kind: orgs.PCN, Status: orgs.StatusActive}, false},
		{"a closed practice", orgs.Org{Code: "A1", Name: "A", Kind: orgs.Practice, Status: orgs.StatusClosed, CloseDate: today.AddDate(0, -1, 0)}, false},
	} {
		if err := sv.Offerable(tc.o, []string{tc.o.Code, "P1"}, today); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
