package claims

import (
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/payrules"
)

func d(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

func TestPeriods(t *testing.T) {
	tests := []struct {
		f     Frequency
		n     int
		first Period
		label string
	}{
		{Monthly, 12, Period{d("2026-04-01"), d("2026-04-30")}, "April 2026"},
		{Quarterly, 4, Period{d("2026-04-01"), d("2026-06-30")}, "Q1 2026/27 (Apr–Jun)"},
		{Annual, 1, Period{d("2026-04-01"), d("2027-03-31")}, "2026/27"},
	}
	for _, tc := range tests {
		s := Service{Year: 2026, Frequency: tc.f, DeadlineDays: 10}
		ps := s.Periods()
		if len(ps) != tc.n || ps[0] != tc.first || ps[0].Label(tc.f) != tc.label {
			t.Errorf("%s: %d periods, first %+v %q", tc.f, len(ps), ps[0], ps[0].Label(tc.f))
		}
		if last := ps[len(ps)-1]; !last.End.Equal(d("2027-03-31")) {
			t.Errorf("%s: last ends %v", tc.f, last.End)
		}
	}
	q := Service{Year: 2026, Frequency: Quarterly, DeadlineDays: 20}
	if _, ok := q.PeriodEndingIn(d("2026-11-01")); ok {
		t.Error("a quarter ends in November")
	}
	p, ok := q.PeriodEndingIn(d("2026-12-15"))
	if !ok || p.Start != d("2026-10-01") || q.Deadline(p) != d("2027-01-20") || p.Label(Quarterly) != "Q3 2026/27 (Oct–Dec)" {
		t.Errorf("December quarter %+v", p)
	}
	if (Period{d("2026-02-01"), d("2026-02-28")}).Days() != 28 {
		t.Error("February days")
	}
}

func TestEligible(t *testing.T) {
	place := Service{Eligibility: AllPractices, Commissioner: "P1"}
	chosen := Service{Eligibility: ChosenPractices, Chosen: []string{"A1"}, SignUp: true}
	pcns := Service{Eligibility: PCNs, Chosen: []string{"U1"}}
	accepted := &Offer{Status: Active}
	tests := []struct {
		s     Service
		org   string
		pcn   bool
		chain []string
		offer *Offer
		want  bool
	}{
		{place, "A1", false, []string{"A1", "P1"}, nil, true},
		{place, "B1", false, []string{"B1", "P2"}, nil, false},
		{place, "U1", true, []string{"U1", "P1"}, nil, false},
		{chosen, "A1", false, nil, accepted, true},
		{chosen, "A1", false, nil, &Offer{Status: Pending}, false},
		{chosen, "A2", false, nil, accepted, false},
		{pcns, "U1", true, nil, nil, true},
		{pcns, "A1", false, nil, nil, false},
	}
	for i, tc := range tests {
		if got := tc.s.Eligible(tc.org, tc.pcn, tc.chain, tc.offer); got != tc.want {
			t.Errorf("case %d: got %v", i, got)
		}
	}
}

func TestValidateAndParse(t *testing.T) {
	s := Service{Code: " les-ecg ", Name: "ECGs", Year: 2026, Frequency: Monthly, Eligibility: AllPractices,
		Fields: []Field{{Label: "ECGs performed"}}, Rule: payrules.Rule{Kind: payrules.FeePerItem, Field: "ecgs_performed", RatePence: 2500}}
	if err := s.Validate(); err != nil || s.Code != "LES-ECG" || s.Fields[0].Key != "ecgs_performed" {
		t.Fatalf("valid service: %v %+v", err, s)
	}
	bad := Service{Code: "x", Frequency: "weekly", Eligibility: ChosenPractices, Fields: []Field{{Label: "A"}, {Label: "a"}}}
	err := bad.Validate()
	for _, want := range []string{"code:", "name:", "year:", "frequency:", "chosen:", "listed twice", "rule.kind:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	act, errs := ParseActivity(s, map[string]string{"ecgs_performed": "1,204"}, true)
	if len(errs) != 0 || act["ecgs_performed"] != 1204 {
		t.Errorf("parse: %v %v", act, errs)
	}
	// A comma out of place is refused, not dropped ("1,5" was saved as 15).
	for in, want := range map[string]string{"1,5": "commas only between thousands", "1,2,3": "whole number", "-4": "cannot be negative", "0x10": "whole number"} {
		if act, errs := ParseActivity(s, map[string]string{"ecgs_performed": in}, true); len(errs) == 0 || !strings.Contains(errs[0].Message, want) {
			t.Errorf("ParseActivity(%q) = %v %v, want %q", in, act, errs, want)
		}
	}
	if FieldKey("GP sessions backfilled (half days)") != "gp_sessions_backfilled_half_days" || FieldKey("2nd dose") != "f2nd_dose" {
		t.Error("FieldKey")
	}
	if AfterSubmit(Service{}) != Finance || AfterSubmit(Service{NeedsApproval: true}) != Submitted || AfterSubmit(Service{NeedsFinance: true}) != Approved {
		t.Error("AfterSubmit")
	}
}

func TestPriceProRata(t *testing.T) {
	s := Service{Rule: payrules.Rule{Kind: payrules.Block, BlockPence: 310000}}
	p := Period{d("2026-07-01"), d("2026-07-31")}
	r, err := Price(s, p, nil, Facts{ActiveTo: d("2026-07-10")})
	if err != nil || r.Pence != 100000 || !strings.Contains(r.Explanation, "closed 10 July 2026") {
		t.Errorf("closure pro rata: %+v %v", r, err)
	}
	r, _ = Price(s, p, nil, Facts{ActiveFrom: d("2026-06-01")})
	if r.Pence != 310000 {
		t.Errorf("signed up before the period: %d", r.Pence)
	}
}

func TestPeriodEndingInMatchesPeriods(t *testing.T) {
	for _, f := range Frequencies {
		s := Service{Year: 2026, Frequency: f}
		want := map[string]Period{}
		for _, p := range s.Periods() {
			want[p.End.Format("2006-01")] = p
		}
		for m := d("2025-01-01"); m.Before(d("2028-12-01")); m = m.AddDate(0, 1, 0) {
			got, ok := s.PeriodEndingIn(m.AddDate(0, 0, 14))
			w, wok := want[m.Format("2006-01")]
			if ok != wok || got != w {
				t.Errorf("%s %s: got %+v %v, want %+v %v", f, m.Format("2006-01"), got, ok, w, wok)
			}
		}
	}
}
