package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/audit"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestDataVersion: reference data (organisations, memberships, imports)
// moves the version that the servers' caches are keyed by; sign-ins and
// other everyday writes do not, so they never empty those caches.
func TestDataVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			v, err := s.DataVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		steps := []struct {
			name  string
			do    func() error
			moves bool
		}{
			{"an organisation saved", func() error {
				return s.SaveOrgs(ctx, "test", orgs.Org{Code: "Q1", Kind: orgs.ICB, Name: "ICB", Status: orgs.StatusActive},
					orgs.Org{Code: "P1", Kind: orgs.Place, Name: "Place", ParentCode: "Q1", Status: orgs.StatusActive},
					orgs.Org{Code: "U1", Kind: orgs.PCN, Name: "PCN", ParentCode: "P1", Status: orgs.StatusActive},
					orgs.Org{Code: "A1", Kind: orgs.Practice, Name: "Practice", ParentCode: "P1", Status: orgs.StatusActive})
			}, true},
			{"the same organisations again", func() error {
				return s.SaveOrgs(ctx, "test", orgs.Org{Code: "Q1", Kind: orgs.ICB, Name: "ICB", Status: orgs.StatusActive})
			}, false},
			{"a membership", func() error {
				return s.SaveMemberships(ctx, "test", orgs.Membership{PracticeCode: "A1", PCNCode: "U1", Start: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)})
			}, true},
			{"a user and a sign-in", func() error {
				u, err := s.AddUser(ctx, "test", people.User{Email: "x@example.org", Name: "X"}, "hash")
				if err != nil {
					return err
				}
				_, err = s.CreateSession(ctx, u.ID, "x@example.org")
				return err
			}, false},
			{"an appointments import", func() error { importSample(t, s); return nil }, true},
		}
		for _, st := range steps {
			before := version()
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if moved := version() != before; moved != st.moves {
				t.Errorf("%s: version moved %v, want %v", st.name, moved, st.moves)
			}
		}
	})
}

// TestPracticeTotalsAsAt: a Place's count of open practices, as at a day,
// follows orgs.Org.Open: a practice closed since counts before its closing,
// and one not yet open does not count.
func TestPracticeTotalsAsAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		day := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
		err := s.SaveOrgs(ctx, "test",
			orgs.Org{Code: "Q1", Kind: orgs.ICB, Name: "ICB", Status: orgs.StatusActive},
			orgs.Org{Code: "P1", Kind: orgs.Place, Name: "Place", ParentCode: "Q1", Status: orgs.StatusActive},
			orgs.Org{Code: "A1", Kind: orgs.Practice, Name: "Open", ParentCode: "P1", Status: orgs.StatusActive, ListSize: 1000},
			orgs.Org{Code: "A2", Kind: orgs.Practice, Name: "Closed in September", ParentCode: "P1", Status: orgs.StatusClosed,
				CloseDate: day("2026-09-30"), ListSize: 500},
			orgs.Org{Code: "A3", Kind: orgs.Practice, Name: "Opens next year", ParentCode: "P1", Status: orgs.StatusActive,
				OpenDate: day("2027-04-01"), ListSize: 200})
		if err != nil {
			t.Fatal(err)
		}
		icb, err := s.Org(ctx, "Q1")
		if err != nil {
			t.Fatal(err)
		}
		for on, want := range map[string][2]int{"2026-06-01": {2, 1500}, "2026-11-01": {1, 1000}, "2027-05-01": {2, 1200}} {
			kids, err := s.Children(ctx, icb, day(on))
			if err != nil || len(kids) != 1 || kids[0].Practices != want[0] || kids[0].ListTotal != want[1] {
				t.Errorf("as at %s: %+v (%v), want %d practices, %d patients", on, kids, err, want[0], want[1])
			}
		}
	})
}

// TestAuditCheckpoints: a checkpoint kept outside the database shows what
// the chain alone cannot: entries deleted from the end, and a chain rebuilt
// after them (issue 15).
func TestAuditCheckpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		key := []byte("kept-elsewhere")
		for _, code := range []string{"Q1", "Q2", "Q3"} {
			if err := s.SaveOrgs(ctx, "test", orgs.Org{Code: code, Kind: orgs.ICB, Name: code, Status: orgs.StatusActive}); err != nil {
				t.Fatal(err)
			}
		}
		cp, err := s.AuditCheckpoint(ctx, key)
		if err != nil || cp.Seq != 3 || !cp.Authentic(key) || cp.Authentic([]byte("another")) {
			t.Fatalf("checkpoint %v (%v)", cp, err)
		}
		if n, err := s.VerifyAudit(ctx, cp); err != nil || n != 3 {
			t.Errorf("intact log against its checkpoint: %d %v", n, err)
		}
		// An intruder deletes the last entry: the chain alone still verifies.
		if err := store.ExecForTest(ctx, s, "DELETE FROM audit_log WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Fatalf("the chain alone: %v", err)
		}
		if _, err := s.VerifyAudit(ctx, cp); err == nil || !strings.Contains(err.Error(), "deleted from its end") {
			t.Errorf("deleted from the end: %v", err)
		}
		// ...and writes a new, valid entry 3 in its place.
		if err := s.SaveOrgs(ctx, "intruder", orgs.Org{Code: "Q9", Kind: orgs.ICB, Name: "Q9", Status: orgs.StatusActive}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyAudit(ctx, cp); err == nil || !strings.Contains(err.Error(), "rewritten") {
			t.Errorf("rewritten: %v", err)
		}
		back, err := audit.ParseCheckpoint(cp.String())
		if err != nil || back != cp {
			t.Errorf("checkpoint round trip: %v %v", back, err)
		}
	})
}

// TestLoginNotChecked: attempts the server was too busy to check are taken
// back, so a person asked to wait and try again is never locked out by it.
func TestLoginNotChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := 0; i < 3*store.MaxLoginFailures; i++ {
			if ok, _, err := s.TakeLoginAttempt(ctx, "busy@example.org", "10.1.1.1"); !ok || err != nil {
				t.Fatalf("try %d refused (%v)", i+1, err)
			}
			if err := s.LoginNotChecked(ctx, "busy@example.org", "10.1.1.1"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
