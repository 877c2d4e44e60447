package store_test

import (
	"context"
	"testing"

	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestCapabilityReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		today := day("2026-11-29")
		fws, err := capability.Shipped(nil)
		if err != nil {
			t.Fatal(err)
		}
		var qi capability.Framework
		for _, f := range fws {
			if f.ID == "pcn-development" {
				qi = f
			}
		}
		r, err := capability.NewReview(qi, orgs.PCN, 2026, capability.Facilitated, today)
		if err != nil {
			t.Fatal(err)
		}
		r, err = s.StartReview(ctx, "cd@u1", "U00001", r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartReview(ctx, "cd@u1", "U00001", r); problem.KindOf(err) != problem.Conflict {
			t.Errorf("second review for the year: %v", err)
		}
		for person, level := range map[string]int{"a@u1": 1, "b@u1": 3, "c@u1": 3} {
			if err := s.SetScore(ctx, person, "U00001", r.ID, qi, "pcn.leadership", level); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetScore(ctx, "a@u1", "U00001", r.ID, qi, "pcn.leadership", 2); err != nil { // a changes their mind
			t.Fatal(err)
		}
		if err := s.SetScore(ctx, "a@u1", "U00001", r.ID, qi, "pcn.leadership", 9); problem.KindOf(err) != problem.Invalid {
			t.Errorf("level off the scale: %v", err)
		}
		if err := s.SetScore(ctx, "a@u1", "U00002", r.ID, qi, "pcn.leadership", 2); problem.KindOf(err) != problem.NotFound {
			t.Errorf("scoring through another PCN: %v", err)
		}
		scores, _ := s.Scores(ctx, r.ID)
		if sp := capability.SpreadOf(scores); sp.N != 3 || sp.Min != 2 || sp.Median != 3 {
			t.Errorf("spread %+v", sp)
		}
		if err := s.CloseReview(ctx, "cd@u1", "U00001", r.ID, qi, nil); problem.KindOf(err) != problem.Invalid {
			t.Errorf("closing with items open: %v", err)
		}
		for _, it := range qi.Items() {
			a := capability.Agreed{Item: it.Code, Level: 2, Rationale: "Team view", Confidence: "medium"}
			if it.Code == "pcn.access" {
				a.Measure = "dna-rate"
			}
			if _, err := s.Agree(ctx, "cd@u1", "U00001", r.ID, qi, a, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CloseReview(ctx, "cd@u1", "U00001", r.ID, qi, map[string]string{"pcn.access": "4.1% (Sep–Nov 2026)"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetScore(ctx, "a@u1", "U00001", r.ID, qi, "pcn.leadership", 3); problem.KindOf(err) != problem.Conflict {
			t.Errorf("scoring a closed review: %v", err)
		}
		if _, err := s.Agree(ctx, "cd@u1", "U00001", r.ID, qi, capability.Agreed{Item: "pcn.money", Level: 4, Rationale: "x", Confidence: "low"}, nil); problem.KindOf(err) != problem.Conflict {
			t.Errorf("agreeing on a closed review: %v", err)
		}
		agreed, _ := s.Agreed(ctx, r.ID)
		if agreed[r.ID]["pcn.access"].Snapshot != "4.1% (Sep–Nov 2026)" || len(agreed[r.ID]) != len(qi.Items()) {
			t.Errorf("agreed %+v", agreed[r.ID]["pcn.access"])
		}
		if err := s.Moderate(ctx, "icb@q1", "U00001", r.ID, qi, "pcn.money", 1, "No accounts seen"); err != nil {
			t.Fatal(err)
		}
		if err := s.ShareReview(ctx, "cd@u1", "U00001", r.ID, capability.WithPlace); err != nil {
			t.Fatal(err)
		}
		got, _ := s.CapabilityReview(ctx, "U00001", r.ID)
		if !got.Closed || got.Shared != capability.WithPlace {
			t.Errorf("review %+v", got)
		}
		next, _ := capability.NewReview(qi, orgs.PCN, 2027, capability.Solo, day("2027-06-01"))
		next, err = s.StartReview(ctx, "cd@u1", "U00001", next)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok, err := s.Previous(ctx, next); err != nil || !ok || prev.ID != r.ID {
			t.Errorf("previous: %+v %v %v", prev, ok, err)
		}
		if _, ok, _ := s.Previous(ctx, r); ok {
			t.Error("the first review has a previous one")
		}
		a, err := s.AddAction(ctx, "cd@u1", "U00001", r.ID, capability.Action{Item: "pcn.money", Title: "Publish the network's accounts", Owner: "PCN manager", Due: day("2027-03-31")})
		if err != nil || a.ID == 0 {
			t.Fatal(err)
		}
		if as, _ := s.Actions(ctx, r.ID); len(as) != 1 || as[0].Due != day("2027-03-31") {
			t.Errorf("actions %+v", as)
		}
		if list, _ := s.CapabilityReviews(ctx, "U00001", "U00002"); len(list) != 2 {
			t.Errorf("reviews %d", len(list))
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit %d %v", n, err)
		}
	})
}
