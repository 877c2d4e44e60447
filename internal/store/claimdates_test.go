package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestClaimDates: what a return holds, and what can be saved on it, is
// bounded by the service's dates, the sign-up's and the practice's.
func TestClaimDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-11-29").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, _, block := catalogue(t, s)
		has := func(org, month string, sv claims.Service) bool {
			t.Helper()
			lines, err := s.Return(ctx, org, day(month))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if l.Service.ID == sv.ID {
					return true
				}
			}
			return false
		}

		// The PCN signs up today: its block runs from today, not April.
		if _, err := s.OfferService(ctx, "comm", block.ID, []string{"U00001"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.RespondToOffer(ctx, "pcn", block.ID, "U00001", true, day("2026-11-29")); err != nil {
			t.Fatal(err)
		}
		if has("U00001", "2026-10-01", block) || !has("U00001", "2026-11-01", block) {
			t.Error("a sign-up today: October should be closed to it, November open")
		}
		err := s.SaveReturn(ctx, "pcn", "U00001", day("2026-10-01"), []claims.ReturnEntry{{ServiceID: block.ID}}, false, false)
		if problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.Message(err), "is not on North PCN's return for October 2026") {
			t.Errorf("saving October for a sign-up made in November: %v", err)
		}

		// An offer whose start the commissioner set counts from that day,
		// whenever it is accepted.
		flu, err := s.CreateService(ctx, "test", claims.Service{Code: "LES-FLU", Name: "Flu", Commissioner: "P1", Year: 2026,
			Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.AllPractices, SignUp: true,
			Fields: []claims.Field{{Label: "Vaccinations"}}, Rule: payrules.Rule{Kind: payrules.FeePerItem, Field: "vaccinations", RatePence: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.OfferService(ctx, "comm", flu.ID, []string{"A1"}, day("2026-03-01")); problem.KindOf(err) != problem.Invalid {
			t.Errorf("an offer starting before its year: %v", err)
		}
		if _, err := s.OfferService(ctx, "comm", flu.ID, []string{"A1"}, day("2026-06-01")); err != nil {
			t.Fatal(err)
		}
		if err := s.RespondToOffer(ctx, "pm", flu.ID, "A1", true, day("2026-11-29")); err != nil {
			t.Fatal(err)
		}
		if offers, _ := s.Offers(ctx, flu.ID, "A1"); len(offers) != 1 || !offers[0].Start.Equal(day("2026-06-01")) {
			t.Errorf("the offer's own start: %+v", offers)
		}
		if has("A1", "2026-05-01", flu) || !has("A1", "2026-06-01", flu) {
			t.Error("an offer from 1 June: May should be closed, June open")
		}

		// A practice that closed in September claims nothing after it.
		a3, _ := s.Org(ctx, "A3")
		a3.Status, a3.CloseDate = orgs.StatusClosed, day("2026-09-15")
		if err := s.SaveOrgs(ctx, "test", a3); err != nil {
			t.Fatal(err)
		}
		if !has("A3", "2026-09-01", ecg) || has("A3", "2026-10-01", ecg) {
			t.Error("a practice closed on 15 September: September open, October closed")
		}

		// Ending a service: not before today; the months after it close, and
		// the people who claim it are told by email.
		link := a1Manager(t, s)
		if _, err := s.EndService(ctx, "comm", ecg.ID, day("2026-11-28"), link); problem.KindOf(err) != problem.Invalid {
			t.Errorf("ending yesterday: %v", err)
		}
		told, err := s.EndService(ctx, "comm", ecg.ID, day("2026-12-31"), link)
		if err != nil || told != 1 {
			t.Fatalf("ending the ECG service: told %d, %v", told, err)
		}
		if !has("A1", "2026-12-01", ecg) || has("A1", "2027-01-01", ecg) {
			t.Error("a service ended on 31 December: December open, January closed")
		}
		mail, _, err := s.Outbox(ctx, nil, 10)
		if err != nil || len(mail) != 1 || mail[0].To != "pm@a1.example" || mail[0].Subject != "ECGs ends on 31 December 2026" ||
			!strings.Contains(mail[0].Body, "https://onepc.example/orgs/A1/services") {
			t.Errorf("notice of the end: %+v %v", mail, err)
		}
		if again, err := s.EndService(ctx, "comm", ecg.ID, day("2026-12-31"), link); err != nil || again != 0 {
			t.Errorf("ending it again on the same day told %d more, %v", again, err)
		}
	})
}

// TestRuleChanges: a payment rule changed from a period is read back with
// the service (from the catalogue kept in memory, and alone), prices the
// periods from then, and a copy into the next year is a draft at the latest
// rule.
func TestRuleChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-11-29").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, _, _ := catalogue(t, s)
		higher := ecg.Rule
		higher.RatePence = 3000
		if err := s.ChangeRule(ctx, "comm", ecg.ID, higher, day("2026-10-01")); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a change from an ended period: %v", err)
		}
		if err := s.ChangeRule(ctx, "comm", ecg.ID, higher, day("2027-01-01")); err != nil {
			t.Fatal(err)
		}
		all, _ := s.Services(ctx, []string{"P1"}, 2026)
		one, _ := s.Service(ctx, []string{"P1"}, ecg.ID)
		for _, sv := range all {
			if sv.ID != ecg.ID {
				continue
			}
			for _, got := range []claims.Service{sv, one} {
				if got.RuleFor(claims.Period{Start: day("2026-12-01")}).RatePence != 2500 || got.RuleFor(claims.Period{Start: day("2027-01-01")}).RatePence != 3000 {
					t.Errorf("rules read back: %+v", got.RuleChanges)
				}
			}
		}
		next, err := s.CopyService(ctx, "comm", one, 2027)
		if err != nil || !next.Draft || next.Rule.RatePence != 3000 || len(next.RuleChanges) != 0 {
			t.Fatalf("the copy: %+v %v", next, err)
		}
		if err := s.PublishService(ctx, "comm", next.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.PublishService(ctx, "comm", next.ID); problem.KindOf(err) != problem.Conflict {
			t.Errorf("publishing twice: %v", err)
		}
	})
}

// TestPCNCapitationFollowsMembers: a PCN's capitation is paid on the lists
// of the practices that were its members on the period's first day, so a
// practice that moves PCN on 1 October counts for its old PCN in September
// and for its new one from October; saved claims keep what they were priced
// on.
func TestPCNCapitationFollowsMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-11-29").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		e := &population.Extract{Date: day("2026-09-01"), Practices: []population.Practice{{Code: "A1", Total: 5000}, {Code: "A2", Total: 7000}}}
		if _, err := s.ImportPopulation(ctx, "test", "list.csv", e); err != nil {
			t.Fatal(err)
		}
		cap, err := s.CreateService(ctx, "test", claims.Service{Code: "PCN-CAP", Name: "PCN care homes", Commissioner: "P1", Year: 2026,
			Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.PCNs, Chosen: []string{"U00001", "U00002"},
			Fields: []claims.Field{{Label: "Patients"}},
			Rule:   payrules.Rule{Kind: payrules.Capitation, RateCentipence: 10000}}) // £1 a patient
		if err != nil {
			t.Fatal(err)
		}
		price := func(pcn, month string) payrules.Result {
			t.Helper()
			lines, err := s.Return(ctx, pcn, day(month))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if l.Service.ID == cap.ID {
					return l.Preview
				}
			}
			t.Fatalf("%s's return for %s has no capitation line", pcn, month)
			return payrules.Result{}
		}
		// September, before the move, priced and saved: both practices in North.
		if got := price("U00001", "2026-09-01"); got.Pence != 1200000 ||
			!strings.Contains(got.Explanation, "registered with the 2 practices that were members on 1 September 2026") {
			t.Errorf("North in September: %+v", got)
		}
		if err := s.SaveReturn(ctx, "pcn", "U00001", day("2026-09-01"), []claims.ReturnEntry{{ServiceID: cap.ID, Activity: map[string]string{"patients": "1"}}}, true, false); err != nil {
			t.Fatal(err)
		}
		// Beta Surgery moves to South PCN from 1 October.
		if err := s.SaveMemberships(ctx, "test",
			orgs.Membership{PracticeCode: "A2", PCNCode: "U00001", Start: day("2024-04-01"), End: day("2026-09-30")},
			orgs.Membership{PracticeCode: "A2", PCNCode: "U00002", Start: day("2026-10-01")}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			pcn, month string
			pence      int64
		}{
			{"U00001", "2026-09-01", 1200000},
			{"U00001", "2026-10-01", 500000},
			{"U00002", "2026-09-01", 0}, // no members then: it declares its list
			{"U00002", "2026-10-01", 700000},
		} {
			got := price(c.pcn, c.month)
			if c.pence == 0 {
				if got.Pence != 0 || strings.Contains(got.Explanation, "members") {
					t.Errorf("%s in %s, with no members: %+v", c.pcn, c.month, got)
				}
				continue
			}
			if got.Pence != c.pence {
				t.Errorf("%s in %s: %+v, want %d pence", c.pcn, c.month, got, c.pence)
			}
		}
		cl, _, err := s.Claims(ctx, store.ClaimQuery{Commissioners: []string{"P1"}, Org: "U00001"})
		if err != nil || len(cl) != 1 || cl[0].Pence != 1200000 {
			t.Errorf("September's saved claim keeps its price: %+v %v", cl, err)
		}
	})
}

// TestWithdrawService: a service nothing has been approved for can be
// withdrawn with a reason: it is claimed for no period, its claims waiting
// for review are rejected with the reason, and its claimants are told; with
// an approved claim it is refused and nothing changes.
func TestWithdrawService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-11-29").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, dm, _ := catalogue(t, s)
		link := a1Manager(t, s)
		claimOf := func(org string, month time.Time, sv claims.Service) *claims.Claim {
			t.Helper()
			lines, err := s.Return(ctx, org, month)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if l.Service.ID == sv.ID {
					return l.Claim
				}
			}
			return nil
		}

		// ECGs: one claim approved, another submitted. Refused; nothing changes.
		readyECG(t, s, ecg, "A3", day("2026-09-01"), "2")
		if err := s.SaveReturn(ctx, "pm", "A1", day("2026-10-01"), []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": "3"}}}, true, true); err != nil {
			t.Fatal(err)
		}
		_, err := s.WithdrawService(ctx, "comm", ecg.ID, "Funding withdrawn by the ICB", link)
		if problem.KindOf(err) != problem.Conflict || !strings.Contains(problem.Message(err), "A claim for ECGs has been approved or paid, so it cannot be withdrawn: end it instead") {
			t.Errorf("withdrawing with an approved claim: %v", err)
		}
		if cl := claimOf("A1", day("2026-10-01"), ecg); cl == nil || cl.Status != claims.Submitted {
			t.Errorf("a refused withdrawal changed A1's claim: %+v", cl)
		}

		// Diabetes control: A1's quarter submitted, nothing approved; A1's
		// return for December read (with the service on it) before the
		// withdrawal, and sent after it.
		q2 := day("2026-07-01")
		stale, err := s.Return(ctx, "A1", day("2026-12-01"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveReturn(ctx, "pm", "A1", day("2026-09-01"), []claims.ReturnEntry{{ServiceID: dm.ID, Activity: map[string]string{"numerator": "30", "denominator": "40"}}}, true, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WithdrawService(ctx, "comm", dm.ID, "error", link); problem.KindOf(err) != problem.Invalid || problem.FieldsOf(err)[0].Name != "reason" {
			t.Errorf("a reason too short: %v", err)
		}
		told, err := s.WithdrawService(ctx, "comm", dm.ID, "Set up in error: the ICB commissions it", link)
		if err != nil || told != 1 {
			t.Fatalf("withdrawing: told %d, %v", told, err)
		}
		if cl := claimOf("A1", day("2026-09-01"), dm); cl == nil || cl.Status != claims.Rejected {
			t.Errorf("September's return shows the rejected claim, read-only: %+v", cl)
		}
		list, _, err := s.Claims(ctx, store.ClaimQuery{Commissioners: []string{"P1"}, ServiceID: dm.ID, PeriodStart: q2})
		if err != nil || len(list) != 1 || list[0].Status != claims.Rejected ||
			list[0].Message != "The service was withdrawn on 29 November 2026: Set up in error: the ICB commissions it" {
			t.Fatalf("the submitted claim: %+v %v", list, err)
		}
		if err := s.Amend(ctx, "pm", "A1", list[0].ID, map[string]string{"numerator": "31", "denominator": "40"}, true, "", ""); err == nil {
			t.Error("a claim of a withdrawn service was amended")
		}
		if err := s.SaveReturn(ctx, "pm", "A1", day("2026-12-01"), []claims.ReturnEntry{{ServiceID: dm.ID, Activity: map[string]string{"numerator": "1", "denominator": "2"}}}, false, false); problem.KindOf(err) != problem.Invalid {
			t.Errorf("saving a claim for a withdrawn service: %v", err)
		}
		_, err = s.SaveReturnLines(ctx, "pm", "A1", day("2026-12-01"), stale, []claims.ReturnEntry{{ServiceID: dm.ID, Activity: map[string]string{"numerator": "1", "denominator": "2"}}}, false, false)
		if problem.KindOf(err) != problem.Conflict || !strings.Contains(problem.Message(err), "has been withdrawn") {
			t.Errorf("a return read before the withdrawal and saved after it: %v", err)
		}
		if _, err := s.EndService(ctx, "comm", dm.ID, day("2026-12-31"), link); problem.KindOf(err) != problem.Conflict {
			t.Errorf("ending a withdrawn service: %v", err)
		}
		if _, err := s.WithdrawService(ctx, "comm", dm.ID, "Set up in error: the ICB commissions it", link); problem.KindOf(err) != problem.Conflict {
			t.Errorf("withdrawing twice: %v", err)
		}
		mail, _, err := s.Outbox(ctx, nil, 10)
		if err != nil || len(mail) != 1 || mail[0].To != "pm@a1.example" || mail[0].Subject != "Diabetes control is withdrawn" ||
			!strings.Contains(mail[0].Body, "Set up in error") || !strings.Contains(mail[0].Body, "https://onepc.example/orgs/A1/services") {
			t.Errorf("notice of the withdrawal: %+v %v", mail, err)
		}
		sv, err := s.Service(ctx, []string{"P1"}, dm.ID)
		if err != nil || !sv.Withdrawn.Equal(day("2026-11-29")) || sv.WithdrawnReason != "Set up in error: the ICB commissions it" {
			t.Errorf("read back: %v %q %v", sv.Withdrawn, sv.WithdrawnReason, err)
		}
	})
}

// a1Manager adds a practice manager at A1 (pm@a1.example), to be told of
// changes to services, and returns the link a notice gives.
func a1Manager(t *testing.T, s *store.Store) func(org string) string {
	t.Helper()
	pm, err := s.AddUser(context.Background(), "admin", people.User{Email: "pm@a1.example", Name: "PM"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.GrantRole(context.Background(), "admin", pm.ID, people.PracticeManager, "A1"); err != nil {
		t.Fatal(err)
	}
	return func(org string) string { return "https://onepc.example/orgs/" + org + "/services" }
}
