package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestNeverPaidOutsideDates is a property test: whatever the dates of
// services, offers and practices (drawn at random), and whatever is tried
// (every service for every practice for every month of the year, claimed
// and approved where allowed, and practices' open and close dates corrected
// after claims were made, as an ODS file may), no claim is paid for a
// period outside its service's dates, before its sign-up, or outside the
// days its practice was open.
func TestNeverPaidOutsideDates(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) { neverPaidOutsideDates(t, s, seed) })
		})
	}
}

func neverPaidOutsideDates(t *testing.T, s *store.Store, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 9))
	hierarchy(t, s)
	first, last := claims.YearRange(2026)
	someDay := func() time.Time { return first.AddDate(0, 0, rng.IntN(365)) }
	practices := []string{"A1", "A2", "A3"}
	setDates := func() {
		for _, code := range practices {
			o, err := s.Org(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			o.Status, o.OpenDate, o.CloseDate = orgs.StatusActive, time.Time{}, time.Time{}
			if rng.IntN(3) == 0 {
				o.OpenDate = someDay()
			}
			if rng.IntN(3) == 0 {
				o.Status, o.CloseDate = orgs.StatusClosed, someDay()
				if !o.OpenDate.IsZero() && o.CloseDate.Before(o.OpenDate) {
					o.OpenDate, o.CloseDate = o.CloseDate, o.OpenDate
				}
			}
			if err := s.SaveOrgs(ctx, "ods", o); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := first.AddDate(0, 0, -20).Add(10 * time.Hour) // offers are answered before and during the year
	s.SetClock(func() time.Time { return now })
	setDates()

	var services []claims.Service
	for i := range 5 {
		sv := claims.Service{Code: fmt.Sprintf("P%d-S%d", seed, i), Name: fmt.Sprintf("Service %d", i), Commissioner: "P1", Year: 2026,
			Frequency: []claims.Frequency{claims.Monthly, claims.Quarterly}[rng.IntN(2)], DeadlineDays: 10,
			Eligibility: claims.AllPractices, SignUp: rng.IntN(2) == 0, NeedsApproval: true,
			Fields: []claims.Field{{Label: "Items"}}, Rule: payrules.Rule{Kind: payrules.FeePerItem, Field: "items", RatePence: 100}}
		if rng.IntN(2) == 0 {
			sv.Starts = someDay()
		}
		if rng.IntN(2) == 0 {
			if sv.Ends = someDay(); !sv.Starts.IsZero() && sv.Ends.Before(sv.Starts) {
				sv.Starts, sv.Ends = sv.Ends, sv.Starts
			}
		}
		sv, err := s.CreateService(ctx, "comm", sv)
		if err != nil {
			t.Fatal(err)
		}
		services = append(services, sv)
	}
	// Offers, some with a start the commissioner set; answered on days
	// through the year.
	for _, sv := range services {
		if !sv.SignUp {
			continue
		}
		var from time.Time
		if rng.IntN(2) == 0 {
			from = sv.Runs().From.AddDate(0, 0, rng.IntN(60))
			if from.After(sv.Runs().To) {
				from = sv.Runs().To
			}
		}
		if _, err := s.OfferService(ctx, "comm", sv.ID, practices, from); err != nil && problem.KindOf(err) != problem.Invalid {
			t.Fatal(err)
		}
		for _, p := range practices {
			if err := s.RespondToOffer(ctx, "pm", sv.ID, p, rng.IntN(4) > 0, someDay()); err != nil && problem.KindOf(err) == problem.Internal {
				t.Fatal(err)
			}
		}
	}

	// Every service, every practice, every month: claimed where allowed.
	now = last.AddDate(0, 0, 25).Add(10 * time.Hour)
	for _, p := range practices {
		for m := first; m.Before(last); m = m.AddDate(0, 1, 0) {
			for _, sv := range services {
				err := s.SaveReturn(ctx, "pm", p, m, []claims.ReturnEntry{{ServiceID: sv.ID, Activity: map[string]string{"items": "3"}}}, true, false)
				if err != nil && problem.KindOf(err) != problem.Invalid {
					t.Fatalf("%s %s %s: %v", p, m.Format("Jan 2006"), sv.Code, err)
				}
			}
		}
	}
	// The practices' dates corrected after the claims were made.
	setDates()
	submitted, _, err := s.Claims(ctx, store.ClaimQuery{Commissioners: []string{"P1"}, Status: claims.Submitted, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, cl := range submitted {
		ids = append(ids, cl.ID)
	}
	if len(ids) == 0 {
		t.Fatal("nothing could be claimed: the draw tests nothing")
	}
	if err := s.Review(ctx, "comm", "P1", ids, nil, claims.ActApprove, ""); err != nil {
		t.Fatal(err)
	}
	march, _ := claims.MonthOf(last)
	run, err := s.DraftPayments(ctx, "fin", "P1", march, "")
	if err != nil {
		t.Fatal(err)
	}
	if run.Lines > 0 {
		if run, err = s.ConfirmPayments(ctx, "fin", "P1", run.ID); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := s.PaymentLines(ctx, run, "P1")
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]claims.Service{}
	for _, sv := range services {
		byCode[sv.Code] = sv
	}
	paid := 0
	for _, l := range lines {
		sv, ok := byCode[l.ServiceCode]
		if !ok || l.Pence <= 0 {
			continue
		}
		paid++
		var period claims.Period
		for _, p := range sv.Periods() {
			if p.Start.Equal(l.Period) {
				period = p
			}
		}
		o, err := s.Org(ctx, l.Org)
		if err != nil {
			t.Fatal(err)
		}
		var offer *claims.Offer
		if sv.SignUp {
			offers, err := s.Offers(ctx, sv.ID, l.Org)
			if err != nil || len(offers) != 1 || offers[0].Status != claims.Active {
				t.Errorf("%s paid %s for %s without a sign-up: %+v %v", l.Org, sv.Code, l.Period.Format(time.DateOnly), offers, err)
				continue
			}
			offer = &offers[0]
		}
		if ok, why := sv.Claimable(period, o, offer); !ok {
			t.Errorf("%s paid %s for %s–%s, which it may not claim: %s", l.Org, sv.Code, period.Start.Format(time.DateOnly), period.End.Format(time.DateOnly), why)
		}
	}
	t.Logf("seed %d: %d claims approved, %d paid", seed, len(ids), paid)
}
