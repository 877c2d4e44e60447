package store_test

import (
	"context"
	"testing"

	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestMustDos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		cat, err := s.MustDoCatalogue(ctx)
		if err != nil || len(cat) != len(mustdo.Shipped()) {
			t.Fatalf("catalogue: %d %v", len(cat), err)
		}
		gp, err := s.AddUser(ctx, "admin", people.User{Email: "gp@a1.nhs.uk", Name: "Dr A"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.GrantRole(ctx, "admin", gp.ID, people.GP, "A1"); err != nil {
			t.Fatal(err)
		}
		os, err := s.MustDoOrgs(ctx, []string{"A1", "A2", "U00001", "Q1"})
		if err != nil || len(os) != 4 {
			t.Fatalf("orgs: %+v %v", os, err)
		}
		if err := s.SetMustDoDates(ctx, "comm", "QOF-SIGNOFF", 2027, mustdo.Dates{Opens: day("2027-04-06"), Due: day("2027-05-14")}); err != nil {
			t.Fatal(err)
		}
		dates, _ := s.MustDoDates(ctx)
		items, err := mustdo.Owed(cat, os, day("2027-01-01"), day("2027-12-31"), mustdo.England(), dates, nil)
		if err != nil {
			t.Fatal(err)
		}
		var signoff, pension *mustdo.Item
		for i := range items {
			if items[i].Org == "A1" && items[i].Code == "QOF-SIGNOFF" {
				signoff = &items[i]
			}
			if items[i].Code == "PENSION-CERTS" {
				pension = &items[i]
			}
		}
		if signoff == nil || signoff.Due != day("2027-05-14") {
			t.Fatalf("sign-off on the year's own date: %+v", signoff)
		}
		if pension == nil || pension.Person != "gp@a1.nhs.uk" || pension.Org != "A1" {
			t.Errorf("the GP's pension item: %+v", pension)
		}
		if err := s.CompleteMustDo(ctx, "pm@a1", signoff.Key(), "Declared in CQRS", "https://cqrs.example/a1", &store.EvidenceFile{Name: "cqrs.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}); err != nil {
			t.Fatal(err)
		}
		if err := s.AssignMustDo(ctx, "pm@a1", signoff.Key(), "deputy@a1", "pm@a1"); err != nil {
			t.Fatal(err)
		}
		if f, err := s.MustDoFile(ctx, signoff.Key()); err != nil || f.Name != "cqrs.pdf" {
			t.Errorf("evidence file: %+v %v", f, err)
		}
		states, _ := s.MustDoStates(ctx, []string{"A1"})
		again, _ := mustdo.Owed(cat, os, day("2027-01-01"), day("2027-12-31"), mustdo.England(), dates, states)
		for _, it := range again {
			if it.Org == "A1" && it.Code == "QOF-SIGNOFF" && (!it.Done || it.Assignee != "deputy@a1" || it.Note != "Declared in CQRS") {
				t.Errorf("after completing: %+v", it)
			}
		}
		// The year's date moves again: the state stays with the item.
		if err := s.SetMustDoDates(ctx, "comm", "QOF-SIGNOFF", 2027, mustdo.Dates{Opens: day("2027-04-06"), Due: day("2027-05-21")}); err != nil {
			t.Fatal(err)
		}
		dates, _ = s.MustDoDates(ctx)
		moved, _ := mustdo.Owed(cat, os, day("2027-01-01"), day("2027-12-31"), mustdo.England(), dates, states)
		for _, it := range moved {
			if it.Org == "A1" && it.Code == "QOF-SIGNOFF" && (!it.Done || it.Due != day("2027-05-21")) {
				t.Errorf("after the date moved: %+v", it)
			}
		}
		one := mustdo.Obligation{Code: "CONTRACT-2027", Title: "Sign the contract variation", Owner: mustdo.Practice, Recurrence: mustdo.OneOff, Date: "2027-06-01", Source: "ICB", Checked: "2026-11-29"}
		if err := s.AddOneOff(ctx, "comm", one); err != nil {
			t.Fatal(err)
		}
		if err := s.AddOneOff(ctx, "comm", one); problem.KindOf(err) != problem.Conflict {
			t.Errorf("the same code twice: %v", err)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit %d %v", n, err)
		}
	})
}

// TestMustDoVersion: every change must-dos are worked out from moves the
// version servers keep heat maps and calendar feeds by; a sign-in does not.
func TestMustDoVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		cat, err := s.MustDoCatalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gp, err := s.AddUser(ctx, "admin", people.User{Email: "gp@a1.nhs.uk", Name: "Dr A"}, "")
		if err != nil {
			t.Fatal(err)
		}
		k := mustdo.Key{Code: "DSPT", Org: "A1", Period: day("2027-06-30")}
		for _, step := range []struct {
			name string
			do   func() error
		}{
			{"grant", func() error { return s.GrantRole(ctx, "admin", gp.ID, people.GP, "A1") }},
			{"dates", func() error {
				return s.SetMustDoDates(ctx, "comm", "QOF-SIGNOFF", 2027, mustdo.Dates{Opens: day("2027-04-06"), Due: day("2027-05-14")})
			}},
			{"assign", func() error { return s.AssignMustDo(ctx, "pm", k, "deputy@a1", "") }},
			{"complete", func() error { return s.CompleteMustDo(ctx, "pm", k, "Submitted", "", nil) }},
			{"withdraw", func() error { return s.WithdrawMustDo(ctx, "comm", "FIRE-RISK") }},
			{"import", func() error { return s.ImportMustDoCatalogue(ctx, "icb", cat) }},
			{"revoke", func() error { return s.RevokeRole(ctx, "admin", gp.ID, people.GP, "A1") }},
		} {
			before, err := s.MustDoVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if after, _ := s.MustDoVersion(ctx); after <= before {
				t.Errorf("%s left the must-do version at %d", step.name, after)
			}
		}
		before, _ := s.MustDoVersion(ctx)
		if _, err := s.CreateSession(ctx, gp.ID, gp.Email); err != nil {
			t.Fatal(err)
		}
		if after, _ := s.MustDoVersion(ctx); after != before {
			t.Errorf("a sign-in moved the must-do version from %d to %d", before, after)
		}
	})
}
