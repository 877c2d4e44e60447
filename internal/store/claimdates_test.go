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
		pm, err := s.AddUser(ctx, "admin", people.User{Email: "pm@a1.example", Name: "PM"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.GrantRole(ctx, "admin", pm.ID, people.PracticeManager, "A1"); err != nil {
			t.Fatal(err)
		}
		link := func(org string) string { return "https://onepc.example/orgs/" + org + "/services" }
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
		mail, _, err := s.Outbox(ctx, 10)
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
