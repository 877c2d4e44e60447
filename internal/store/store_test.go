package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/audit"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// hierarchy saves a small Place: ICB Q1 → Place P1 → PCNs U00001, U00002;
// practices A1, A2 (A2 moved from U00002 to U00001 on 2024-04-01), and a
// second Place P2 with practice B1.
func hierarchy(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	err := s.SaveOrgs(ctx, "test",
		orgs.Org{Code: "Y1", Kind: orgs.Region, Name: "Region"},
		orgs.Org{Code: "Q1", Kind: orgs.ICB, Name: "ICB", ParentCode: "Y1"},
		orgs.Org{Code: "P1", Kind: orgs.Place, Name: "Place one", ParentCode: "Q1"},
		orgs.Org{Code: "P2", Kind: orgs.Place, Name: "Place two", ParentCode: "Q1"},
		orgs.Org{Code: "U00001", Kind: orgs.PCN, Name: "North PCN", ParentCode: "P1"},
		orgs.Org{Code: "U00002", Kind: orgs.PCN, Name: "South PCN", ParentCode: "P1"},
		orgs.Org{Code: "A1", Kind: orgs.Practice, Name: "Alpha Surgery", ParentCode: "P1", Status: "A", ListSize: 5000, OpenDate: day("1974-04-01")},
		orgs.Org{Code: "A2", Kind: orgs.Practice, Name: "Beta Surgery", ParentCode: "P1", Status: "A", ListSize: 7000},
		orgs.Org{Code: "A3", Kind: orgs.Practice, Name: "Gamma Surgery", ParentCode: "P1", Status: "A", ListSize: 3000},
		orgs.Org{Code: "B1", Kind: orgs.Practice, Name: "Other Place Surgery", ParentCode: "P2", Status: "A"},
	)
	if err != nil {
		t.Fatal(err)
	}
	err = s.SaveMemberships(ctx, "test",
		orgs.Membership{PracticeCode: "A1", PCNCode: "U00001", Start: day("2019-07-01")},
		orgs.Membership{PracticeCode: "A2", PCNCode: "U00002", Start: day("2019-07-01"), End: day("2024-03-31")},
		orgs.Membership{PracticeCode: "A2", PCNCode: "U00001", Start: day("2024-04-01")},
	)
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
		}
	})
}

func TestAncestryFollowsMembershipOnTheDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		tests := []struct {
			code string
			on   string
			want []string
		}{
			{"A2", "2023-01-01", []string{"A2", "P1", "Q1", "Y1", "U00002"}},
			{"A2", "2025-01-01", []string{"A2", "P1", "Q1", "Y1", "U00001"}},
			{"A3", "2025-01-01", []string{"A3", "P1", "Q1", "Y1"}},
			{"U00001", "2025-01-01", []string{"U00001", "P1", "Q1", "Y1"}},
			{"Y1", "2025-01-01", []string{"Y1"}},
		}
		for _, tc := range tests {
			got, err := s.Ancestry(ctx, tc.code, day(tc.on))
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tc.code {
				t.Errorf("Ancestry(%s) starts %s, want the code itself", tc.code, got[0])
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Ancestry(%s, %s) = %v, want %v", tc.code, tc.on, got, tc.want)
			}
		}
		if _, err := s.Ancestry(ctx, "NOPE", day("2025-01-01")); problem.KindOf(err) != problem.NotFound {
			t.Errorf("unknown code: got %v, want NotFound", err)
		}
	})
}

func TestChildrenAsAtDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		codes := func(o orgs.Org, on string) []string {
			ch, err := s.Children(ctx, o, day(on))
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range ch {
				out = append(out, c.Code)
			}
			return out
		}
		north, _ := s.Org(ctx, "U00001")
		place, _ := s.Org(ctx, "P1")
		if got := codes(north, "2023-06-01"); !slices.Equal(got, []string{"A1"}) {
			t.Errorf("North PCN 2023 = %v, want [A1]", got)
		}
		if got := codes(north, "2025-06-01"); !slices.Equal(got, []string{"A1", "A2"}) {
			t.Errorf("North PCN 2025 = %v, want [A1 A2]", got)
		}
		if got := codes(place, "2025-06-01"); !slices.Equal(got, []string{"U00001", "U00002", "A3"}) {
			t.Errorf("Place = %v, want PCNs then the practice in none", got)
		}
		ch, _ := s.Children(ctx, place, day("2025-06-01"))
		if ch[0].Practices != 2 || ch[0].ListTotal != 12000 {
			t.Errorf("North PCN totals = %d practices, %d patients; want 2, 12000", ch[0].Practices, ch[0].ListTotal)
		}
		hist, err := s.Memberships(ctx, "A2")
		if err != nil || len(hist) != 2 || hist[0].PCNCode != "U00001" || hist[1].End != day("2024-03-31") {
			t.Errorf("A2 history = %+v, %v", hist, err)
		}
	})
}

func TestSearchStaysInScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		list, total, err := s.SearchOrgs(ctx, store.OrgQuery{Roots: []string{"U00001"}, On: day("2025-01-01"), Text: "surgery"})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(list) != 2 || list[0].Code != "A1" || list[1].Code != "A2" {
			t.Errorf("search in North PCN = %d %+v, want A1 and A2", total, list)
		}
		list, total, _ = s.SearchOrgs(ctx, store.OrgQuery{Roots: []string{"Q1"}, On: day("2025-01-01"), Kind: orgs.Practice, Limit: 2, Offset: 2})
		if total != 4 || len(list) != 2 {
			t.Errorf("page 2 of practices in ICB: total %d, %d rows; want 4, 2", total, len(list))
		}
	})
}

func TestImportSharedSamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		pf := parseFile(t, "testdata/epraccur_sample.csv", orgs.ParseEpraccur)
		res, err := s.ImportPractices(ctx, "test", pf, "epraccur_sample.csv")
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 1 || res.Skipped != 1 || res.Created != 3 {
			t.Errorf("first import = %+v, want 1 added, 1 skipped, 3 parents created", res)
		}
		again, err := s.ImportPractices(ctx, "test", pf, "epraccur_sample.csv")
		if err != nil || again.Added != 0 || again.Updated != 0 || again.Unchanged != 1 {
			t.Errorf("re-import = %+v, %v; want 1 unchanged", again, err)
		}
		o, err := s.Org(ctx, "A81044")
		if err != nil || o.Name != "MCKENZIE HOUSE SURGERY" || o.Postcode != "TS25 1QU" || o.ParentCode != "00K" ||
			o.OpenDate != day("1974-04-01") {
			t.Errorf("A81044 = %+v, %v", o, err)
		}
		if _, err := s.Org(ctx, "A81043"); problem.KindOf(err) != problem.NotFound {
			t.Errorf("setting 25 row entered the practice list: %v", err)
		}

		ms := parseFile(t, "testdata/epcncorepartnerdetails_sample.csv", orgs.ParsePCNMembersCSV)
		mres, err := s.ImportMemberships(ctx, "test", ms, "epcncorepartnerdetails_sample.csv")
		if err != nil || mres.Added != 4 {
			t.Fatalf("membership import = %+v, %v; want 4 spells", mres, err)
		}
		mres, err = s.ImportMemberships(ctx, "test", ms, "epcncorepartnerdetails_sample.csv")
		if err != nil || mres.Added != 0 || mres.Unchanged != 4 {
			t.Errorf("membership re-import = %+v, %v; want all unchanged", mres, err)
		}
		chain, _ := s.Ancestry(ctx, "Y00002", day("2024-01-01"))
		if !slices.Contains(chain, "U00002") {
			t.Errorf("ORCHARD SURGERY before its move: %v, want in U00002", chain)
		}
		chain, _ = s.Ancestry(ctx, "Y00002", day("2024-04-01"))
		if !slices.Contains(chain, "U00001") || slices.Contains(chain, "U00002") {
			t.Errorf("ORCHARD SURGERY after its move: %v, want in U00001 only", chain)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit after imports: %d entries, %v", n, err)
		}
	})
}

func parseFile[T any](t *testing.T, path string, parse func(r io.Reader, name string) (T, error)) T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		// A1 is a practice already; a file that calls it a PCN must leave everything as it was.
		ms := []orgs.MembershipRecord{
			{Membership: orgs.Membership{PracticeCode: "N1", PracticeName: "New", PCNCode: "U00009", PCNName: "New PCN", Start: day("2020-01-01")}, PCNSubICBCode: "P1", Line: 1},
			{Membership: orgs.Membership{PracticeCode: "A1", PCNCode: "U00001", Start: day("2020-01-01")}, PracticeSubICBCode: "A1", Line: 2},
		}
		before, _, _ := s.AuditEntries(ctx, store.AuditQuery{All: true})
		_, err := s.ImportMemberships(ctx, "test", ms, "bad.csv")
		if problem.KindOf(err) != problem.Conflict {
			t.Fatalf("got %v, want a conflict", err)
		}
		if _, err := s.Org(ctx, "N1"); problem.KindOf(err) != problem.NotFound {
			t.Errorf("N1 was kept from a failed import")
		}
		after, _, _ := s.AuditEntries(ctx, store.AuditQuery{All: true})
		if len(after) != len(before) {
			t.Errorf("audit grew from %d to %d entries on a failed import", len(before), len(after))
		}
	})
}

func TestUsersAndGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		u, err := people.NewUser("Jo@Example.NHS.uk", "Jo Bloggs", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := people.HashPassword("correct horse battery")
		u, err = s.AddUser(ctx, "test", u, hash)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, "test", u, hash); problem.KindOf(err) != problem.Conflict {
			t.Errorf("duplicate email: %v, want Conflict", err)
		}
		tests := []struct {
			role people.Role
			org  string
			want problem.Kind
		}{
			{people.PracticeManager, "A1", -1},
			{people.PracticeManager, "A1", problem.Conflict},
			{people.PracticeManager, "U00001", problem.Invalid},
			{people.Commissioner, "P1", -1},
			{people.Commissioner, "NOPE", problem.Invalid},
		}
		for _, tc := range tests {
			err := s.GrantRole(ctx, "test", u.ID, tc.role, tc.org)
			if tc.want == -1 && err != nil || tc.want != -1 && problem.KindOf(err) != tc.want {
				t.Errorf("grant %s at %s: %v, want kind %d", tc.role, tc.org, err, tc.want)
			}
		}
		got, hashGot, err := s.UserForLogin(ctx, " JO@example.nhs.uk ")
		if err != nil || got.ID != u.ID || !people.CheckPasswordHash(hashGot, "correct horse battery") {
			t.Fatalf("login lookup: %+v %v", got, err)
		}
		full, _ := s.User(ctx, u.ID)
		if len(full.Grants) != 2 {
			t.Errorf("grants = %+v, want 2", full.Grants)
		}
		scope, _ := s.Scope(ctx, []string{"P2"}, day("2025-01-01"))
		list, total, _ := s.Users(ctx, store.UserQuery{Scope: scope})
		if total != 0 || len(list) != 0 {
			t.Errorf("admin of P2 sees %v", list)
		}
		if err := s.RevokeRole(ctx, "test", u.ID, people.PracticeManager, "A1"); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeRole(ctx, "test", u.ID, people.PracticeManager, "A1"); problem.KindOf(err) != problem.NotFound {
			t.Errorf("second revoke: %v, want NotFound", err)
		}
	})
}

func TestSessionsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := day("2026-01-01").Add(9 * time.Hour)
		s.SetClock(func() time.Time { return now })
		u, _ := s.AddUser(ctx, "test", people.User{Email: "a@example.org", Name: "A"}, "x")
		sess, err := s.CreateSession(ctx, u.ID, "a@example.org")
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(90 * time.Minute)
		got, _, err := s.SessionUser(ctx, sess.Token)
		if err != nil || got.UserID != u.ID || got.CSRFToken != sess.CSRFToken {
			t.Fatalf("live session: %+v %v", got, err)
		}
		now = now.Add(SessionIdlePlus())
		if _, _, err := s.SessionUser(ctx, sess.Token); !errors.Is(err, store.ErrSessionEnded) {
			t.Errorf("idle session: %v, want ended", err)
		}
		if _, _, err := s.SessionUser(ctx, "forged"); !errors.Is(err, store.ErrSessionEnded) {
			t.Errorf("unknown token: %v, want ended", err)
		}
		sess2, _ := s.CreateSession(ctx, u.ID, "a@example.org")
		s.DeleteSession(ctx, sess2.Token, "a@example.org")
		if _, _, err := s.SessionUser(ctx, sess2.Token); !errors.Is(err, store.ErrSessionEnded) {
			t.Errorf("signed-out session: %v, want ended", err)
		}
	})
}

func SessionIdlePlus() time.Duration { return store.SessionIdle + time.Minute }

func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := day("2026-01-01")
		s.SetClock(func() time.Time { return now })
		for i := 0; i < store.MaxLoginFailures; i++ {
			if ok, _, err := s.TakeLoginAttempt(ctx, "A@example.org", "10.0.0.1"); !ok || err != nil {
				t.Fatalf("attempt %d refused (%v)", i+1, err)
			}
		}
		ok, until, _ := s.TakeLoginAttempt(ctx, "a@example.org", "10.0.0.1")
		if ok || !until.Equal(now.Add(store.LoginWindow)) {
			t.Errorf("attempt %d: allowed %v until %v", store.MaxLoginFailures+1, ok, until)
		}
		// The guesser goes on and on from their address: the owner, elsewhere,
		// still gets in (a probe locked accounts out this way).
		for i := 0; i < 60; i++ {
			s.TakeLoginAttempt(ctx, "a@example.org", "10.0.0.1")
		}
		if ok, _, _ := s.TakeLoginAttempt(ctx, "a@example.org", "10.0.0.2"); !ok {
			t.Errorf("the account's owner on another address is locked out by a guesser")
		}
		now = now.Add(store.LoginWindow + time.Second)
		if ok, _, _ := s.TakeLoginAttempt(ctx, "a@example.org", "10.0.0.1"); !ok {
			t.Errorf("still refused after the window")
		}
		// Good sign-ins through one address never count against it.
		for i := 0; i < 50; i++ {
			email := fmt.Sprintf("staff%d@example.org", i)
			if ok, _, err := s.TakeLoginAttempt(ctx, email, "10.0.0.9"); !ok || err != nil {
				t.Fatalf("good sign-in %d through one address refused (%v)", i+1, err)
			}
			if err := s.LoginSucceeded(ctx, email, "10.0.0.9"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestLoginAttemptsCountedExactly: a hundred simultaneous attempts on one
// account from one address get exactly the limit through, on each engine
// (a probe once had all hundred checked).
func TestLoginAttemptsCountedExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		got := wentAhead(t, 100, func(int) (bool, error) {
			ok, _, err := s.TakeLoginAttempt(ctx, "victim@example.org", "10.9.9.9")
			return ok, err
		})
		if got != store.MaxLoginFailures {
			t.Errorf("%d of 100 simultaneous attempts went ahead, want %d", got, store.MaxLoginFailures)
		}
		// Many accounts sprayed from one address at once: the address's limit
		// holds exactly too (a probe once had 60 of 60 checked).
		got = wentAhead(t, 60, func(i int) (bool, error) {
			ok, _, err := s.TakeLoginAttempt(ctx, fmt.Sprintf("sprayed%d@example.org", i%12), "10.7.7.7")
			return ok, err
		})
		if got != 4*store.MaxLoginFailures {
			t.Errorf("%d of 60 attempts sprayed from one address went ahead, want %d", got, 4*store.MaxLoginFailures)
		}
	})
}

// wentAhead runs take n times at once and counts those it let go ahead.
func wentAhead(t *testing.T, n int, take func(i int) (bool, error)) int {
	var wg sync.WaitGroup
	var allowed atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := take(i); err != nil {
				t.Error(err)
			} else if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(allowed.Load())
}

func TestAuditChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		n, err := s.VerifyAudit(ctx)
		if err != nil || n < 10 {
			t.Fatalf("verify: %d, %v", n, err)
		}
		entries, total, _ := s.AuditEntries(ctx, store.AuditQuery{All: true, Entity: "org", EntityID: "A1"})
		if total != 1 || entries[0].Action != "org.save" || string(entries[0].Before) != "" {
			t.Errorf("A1 audit = %+v", entries)
		}
		if err := store.TamperForTest(ctx, s, 3); err != nil {
			t.Fatal(err)
		}
		_, err = s.VerifyAudit(ctx)
		var br audit.Break
		if !errors.As(err, &br) || br.Seq != 3 {
			t.Errorf("after tampering with entry 3: %v", err)
		}
	})
}

func TestMembershipImportSupersedesOverlappingSpells(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		// The file says A1 left U00001 at the end of 2022 and joined U00002.
		ms := []orgs.MembershipRecord{
			{Membership: orgs.Membership{PracticeCode: "A1", PCNCode: "U00001", Start: day("2019-07-01"), End: day("2022-12-31")}, Line: 1},
			{Membership: orgs.Membership{PracticeCode: "A1", PCNCode: "U00002", Start: day("2023-01-01")}, Line: 2},
		}
		if _, err := s.ImportMemberships(ctx, "test", ms, "f.csv"); err != nil {
			t.Fatal(err)
		}
		hist, _ := s.Memberships(ctx, "A1")
		if len(hist) != 2 || hist[0].PCNCode != "U00002" || hist[1].End != day("2022-12-31") {
			t.Errorf("A1 history = %+v", hist)
		}
		// Another file listing only the newer spell drops the clashing one
		// but keeps older history it does not cover.
		ms = []orgs.MembershipRecord{{Membership: orgs.Membership{PracticeCode: "A2", PCNCode: "U00002", Start: day("2025-01-01")}, Line: 1}}
		if _, err := s.ImportMemberships(ctx, "test", ms, "g.csv"); err != nil {
			t.Fatal(err)
		}
		hist, _ = s.Memberships(ctx, "A2")
		if len(hist) != 2 || hist[0].Start != day("2025-01-01") || hist[1].PCNCode != "U00002" || hist[1].End != day("2024-03-31") {
			t.Errorf("A2 history = %+v", hist)
		}
	})
}

// TestJoinAttemptsCountedExactly: join codes sent at once from one address
// are counted before they are tried, so exactly MaxJoinFailures go ahead (a
// probe had 102 of 200 tried when they were counted after); a code that was
// not a wrong guess takes its count back.
func TestJoinAttemptsCountedExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		got := wentAhead(t, 100, func(int) (bool, error) {
			ok, _, err := s.TakeJoinAttempt(ctx, "10.8.8.8")
			return ok, err
		})
		if got != store.MaxJoinFailures {
			t.Errorf("%d of 100 simultaneous join codes were tried, want %d", got, store.MaxJoinFailures)
		}
		if ok, until, err := s.TakeJoinAttempt(ctx, "10.8.8.8"); ok || err != nil || until.IsZero() {
			t.Errorf("one more: %v %v %v, want refused with a time to wait", ok, until, err)
		}
		// A right code takes its attempt back: the next may be tried.
		if err := s.JoinNotWrong(ctx, "10.8.8.8"); err != nil {
			t.Fatal(err)
		}
		if ok, _, err := s.TakeJoinAttempt(ctx, "10.8.8.8"); !ok || err != nil {
			t.Errorf("after a right code: %v %v", ok, err)
		}
		// Another address is not held up.
		if ok, _, err := s.TakeJoinAttempt(ctx, "10.8.8.9"); !ok || err != nil {
			t.Errorf("another address: %v %v", ok, err)
		}
	})
}

// TestSearchesTakeTextAsTyped: a search for "_" or "%" finds those
// characters, not every user and organisation, and the audit log's action
// filter ignores case alike on both engines (SQLite's LIKE ignored it,
// PostgreSQL's did not).
func TestSearchesTakeTextAsTyped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		for _, u := range []people.User{{Email: "ann_lee@example.org", Name: "Ann_Lee"}, {Email: "annalee@example.org", Name: "Anna Lee"}, {Email: "pct@example.org", Name: "100% Jo"}} {
			if _, err := s.AddUser(ctx, "test", u, "x"); err != nil {
				t.Fatal(err)
			}
		}
		for text, want := range map[string]int{"_": 1, "n_l": 1, "%": 1, "lee": 2, `\`: 0} {
			if _, n, err := s.Users(ctx, store.UserQuery{Text: text, Limit: 10}); err != nil || n != want {
				t.Errorf("users matching %q: %d, want %d (%v)", text, n, want, err)
			}
		}
		for text, want := range map[string]bool{"_": false, "a1": true} {
			if _, n, err := s.SearchOrgs(ctx, store.OrgQuery{Roots: []string{"Y1"}, On: day("2026-07-01"), Text: text, Limit: 10}); err != nil || (n > 0) != want {
				t.Errorf("organisations matching %q: %d (%v)", text, n, err)
			}
		}
		_, lower, _ := s.AuditEntries(ctx, store.AuditQuery{All: true, Action: "user"})
		_, upper, err := s.AuditEntries(ctx, store.AuditQuery{All: true, Action: "USER"})
		if err != nil || lower == 0 || upper != lower {
			t.Errorf("audit entries for user: %d, for USER: %d (%v)", lower, upper, err)
		}
	})
}
