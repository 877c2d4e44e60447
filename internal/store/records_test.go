package store_test

import (
	"context"
	"testing"

	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/records"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestRecordsRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		today := day("2026-11-29")
		sc, err := s.RetentionSchedule(ctx)
		if err != nil || sc.Version != 1 || len(sc.Classes) != len(records.Shipped()) {
			t.Fatalf("schedule: v%d %d classes, %v", sc.Version, len(sc.Classes), err)
		}
		if again, _ := s.RetentionSchedule(ctx); again.Version != 1 {
			t.Errorf("seeded twice: v%d", again.Version)
		}
		classes := sc.ByCode()
		add := func(in records.CollectionInput) records.Collection {
			t.Helper()
			c, _, err := records.NewCollection(in, classes, today)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := s.AddCollections(ctx, "pm@a1", "A1", c)
			if err != nil {
				t.Fatal(err)
			}
			return cs[0]
		}
		complaints := add(records.CollectionInput{Name: "Complaints files 2014", Class: "COMPLAINTS", Location: "Cabinet 2", Owner: "Practice manager", Volume: "1 box", Event: "2015-06-30"})
		audio := add(records.CollectionInput{Name: "Call recordings 2024", Class: "TELEPHONY", Location: "Phone system", Owner: "Practice manager", Event: "2024-12-31"})
		add(records.CollectionInput{Name: "Audits 2025", Class: "CLINICAL-AUDIT", Location: "Shared drive", Owner: "GP lead", Event: "2025-03-31"})

		reg, err := s.Register(ctx, "A1")
		if err != nil || len(reg.Collections) != 3 {
			t.Fatalf("register: %+v %v", reg, err)
		}
		if sum := reg.Summarise(classes, today); sum.Collections != 3 || sum.Due != 2 {
			t.Errorf("summary: %+v", sum)
		}
		if other, _ := s.Register(ctx, "B1"); len(other.Collections) != 0 {
			t.Errorf("B1 sees A1's register: %+v", other)
		}
		if _, err := s.Collection(ctx, "B1", complaints.ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("another organisation's collection: %v", err)
		}

		// A hold on the call recordings stops their disposal.
		h, err := records.NewHold("Complaint 2025/14 refers to a call", false, []int64{audio.ID})
		if err != nil {
			t.Fatal(err)
		}
		hold, err := s.PlaceHold(ctx, "pm@a1", "A1", h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProposeDisposal(ctx, "pm@a1", "A1", audio.ID, records.ProposalInput{Decision: "destroy", Justification: "Past its year"}, today); problem.KindOf(err) != problem.Conflict {
			t.Errorf("destroy under hold: %v", err)
		}
		if _, err := s.PlaceHold(ctx, "pm@a1", "B1", h); problem.KindOf(err) != problem.Invalid {
			t.Errorf("hold on another organisation's collection: %v", err)
		}

		// Destroy the complaints files: proposed by one, approved by another.
		p, err := s.ProposeDisposal(ctx, "pm@a1", "A1", complaints.ID, records.ProposalInput{Decision: "destroy", Justification: "Ten years passed; no open matters"}, today)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProposeDisposal(ctx, "deputy@a1", "A1", complaints.ID, records.ProposalInput{Decision: "destroy", Justification: "x"}, today); problem.KindOf(err) != problem.Conflict {
			t.Errorf("second proposal: %v", err)
		}
		if _, _, err := s.DecideProposal(ctx, "PM@A1", "A1", complaints.ID, p.ID, true, "", today); problem.KindOf(err) != problem.Forbidden {
			t.Errorf("approved by the proposer: %v", err)
		}
		p, cert, err := s.DecideProposal(ctx, "deputy@a1", "A1", complaints.ID, p.ID, true, "Checked", today)
		if err != nil || p.Status != "approved" || cert == nil {
			t.Fatalf("approve: %+v %+v %v", p, cert, err)
		}
		if cert.Basis != "10 years after closure on 30 June 2015" || cert.ProposedBy != "pm@a1" || cert.ApprovedBy != "deputy@a1" || cert.RecordType != "Complaint case file" {
			t.Errorf("certificate: %+v", cert)
		}
		if got, err := s.Certificate(ctx, "A1", cert.ID); err != nil || got.Collection != "Complaints files 2014" {
			t.Errorf("read back: %+v %v", got, err)
		}
		if _, err := s.Certificate(ctx, "B1", cert.ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("another organisation's certificate: %v", err)
		}
		if _, _, err := s.DecideProposal(ctx, "third@a1", "A1", complaints.ID, p.ID, true, "", today); problem.KindOf(err) != problem.Conflict {
			t.Errorf("approved twice: %v", err)
		}
		if _, err := s.UpdateCollection(ctx, "pm@a1", "A1", complaints.ID, 2, complaints); problem.KindOf(err) != problem.Conflict {
			t.Errorf("changing a disposed collection: %v", err)
		}

		// Keep longer: the new date counts from today, the collection was overdue.
		keep, err := s.ProposeDisposal(ctx, "pm@a1", "A1", audio.ID, records.ProposalInput{Decision: "keep", Years: "2", Justification: "Evidence for a complaint"}, today)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DecideProposal(ctx, "deputy@a1", "A1", audio.ID, keep.ID, true, "", today); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Collection(ctx, "A1", audio.ID)
		if got.Keep.Until != day("2028-11-29") || got.Version != 2 {
			t.Errorf("kept until %v, version %d", got.Keep.Until, got.Version)
		}
		// Lift the hold; lifting twice is refused; the hold stays on record.
		if err := s.LiftHold(ctx, "pm@a1", "A1", hold.ID, "Complaint closed"); err != nil {
			t.Fatal(err)
		}
		if err := s.LiftHold(ctx, "pm@a1", "A1", hold.ID, "again"); problem.KindOf(err) != problem.Conflict {
			t.Errorf("lift twice: %v", err)
		}
		reg, _ = s.Register(ctx, "A1")
		if len(reg.Holds) != 1 || reg.Holds[0].InForce() || reg.Holds[0].LiftReason != "Complaint closed" || len(reg.Certificates) != 1 {
			t.Errorf("after lifting: holds %+v certificates %d", reg.Holds, len(reg.Certificates))
		}

		// Concurrent edits: the second is refused.
		if _, err := s.UpdateCollection(ctx, "pm@a1", "A1", audio.ID, 1, audio); problem.KindOf(err) != problem.Conflict {
			t.Errorf("stale edit: %v", err)
		}
		audio.Facts.Reused = day("2026-01-05")
		if _, err := s.UpdateCollection(ctx, "pm@a1", "A1", audio.ID, 2, audio); err != nil {
			t.Errorf("edit: %v", err)
		}

		// A new schedule version may not drop a class in use.
		var without []records.Class
		for _, c := range sc.Classes {
			if c.Code != "TELEPHONY" {
				without = append(without, c)
			}
		}
		if _, err := s.ApplySchedule(ctx, "admin", "test", without); problem.KindOf(err) != problem.Conflict {
			t.Errorf("dropping a class in use: %v", err)
		}
		changed := append([]records.Class(nil), sc.Classes...)
		for i := range changed {
			if changed[i].Code == "TELEPHONY" {
				changed[i].Years = 3
			}
		}
		v, err := s.ApplySchedule(ctx, "admin", "test", changed)
		if err != nil || v != 2 {
			t.Fatalf("apply: %d %v", v, err)
		}
		if now, _ := s.RetentionSchedule(ctx); now.Version != 2 || now.ByCode()["TELEPHONY"].Years != 3 {
			t.Errorf("in force: v%d", now.Version)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit: %d %v", n, err)
		}
	})
}

// TestDisposalRecheckedAtApproval: a collection that stops being due while
// a destruction waits (a new schedule lengthens its period) cannot be
// destroyed; its entry cannot change while a decision waits; records kept
// while a patient lives cannot be kept "longer" into a date.
func TestDisposalRecheckedAtApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		today := day("2026-11-29")
		sc, _ := s.RetentionSchedule(ctx)
		c, _, err := records.NewCollection(records.CollectionInput{Name: "Audits 2015", Class: "CLINICAL-AUDIT", Location: "Drive", Owner: "Lead", Event: "2015-03-31"}, sc.ByCode(), today)
		if err != nil {
			t.Fatal(err)
		}
		living, _, err := records.NewCollection(records.CollectionInput{Name: "Living patients' records", Class: "GP-LIVING", Location: "EMIS", Owner: "PM"}, sc.ByCode(), today)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s.AddCollections(ctx, "pm@a1", "A1", c, living)
		if err != nil {
			t.Fatal(err)
		}
		c, living = cs[0], cs[1]
		p, err := s.ProposeDisposal(ctx, "pm@a1", "A1", c.ID, records.ProposalInput{Decision: "destroy", Justification: "Done"}, today)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCollection(ctx, "pm@a1", "A1", c.ID, c.Version, c); problem.KindOf(err) != problem.Conflict {
			t.Errorf("changing an entry while a decision waits: %v", err)
		}
		longer := append([]records.Class(nil), sc.Classes...)
		for i := range longer {
			if longer[i].Code == "CLINICAL-AUDIT" {
				longer[i].Years = 50
			}
		}
		if _, err := s.ApplySchedule(ctx, "admin", "test", longer); err != nil {
			t.Fatal(err)
		}
		if _, cert, err := s.DecideProposal(ctx, "deputy@a1", "A1", c.ID, p.ID, true, "", today); err == nil || cert != nil {
			t.Errorf("destroyed records no longer due: %v %+v", err, cert)
		}
		if _, _, err := s.DecideProposal(ctx, "deputy@a1", "A1", c.ID, p.ID, false, "No longer due", today); err != nil {
			t.Errorf("reject: %v", err)
		}
		if _, err := s.ProposeDisposal(ctx, "pm@a1", "A1", living.ID, records.ProposalInput{Decision: "keep", Years: "1", Justification: "x"}, today); problem.KindOf(err) != problem.Invalid {
			t.Errorf("keeping longer what has no date: %v", err)
		}
	})
}
