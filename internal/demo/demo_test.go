package demo

import (
	"context"
	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/mustdo"
	"slices"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestDemoPlace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		if _, err := Load(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		n, _ := s.VerifyAudit(ctx)
		if _, err := Load(ctx, s, now); err != nil {
			t.Fatalf("second load: %v", err)
		}
		if n2, _ := s.VerifyAudit(ctx); n2 != n {
			t.Errorf("second load wrote %d audit entries; want none", n2-n)
		}
		today := orgs.Today(now)
		place, _ := s.Org(ctx, PlaceCode)
		ch, err := s.Children(ctx, place, today)
		// Four PCNs, then the closed practice, which is in no PCN today.
		if err != nil || len(ch) != 5 || ch[4].Code != ClosedPractice {
			t.Fatalf("Place children = %d, %v; want 4 PCNs and the closed practice", len(ch), err)
		}
		ch = ch[:4]
		total := 0
		for _, c := range ch {
			total += c.Practices
		}
		if total != 23 {
			t.Errorf("%d open practices in PCNs today; want 23 (24 less the closed one)", total)
		}
		chain, _ := s.Ancestry(ctx, MovedPractice, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		if !slices.Contains(chain, "U00002") {
			t.Errorf("moved practice before its move: %v", chain)
		}
		chain, _ = s.Ancestry(ctx, MovedPractice, today)
		if !slices.Contains(chain, "U00001") {
			t.Errorf("moved practice now: %v", chain)
		}
		closed, _ := s.Org(ctx, ClosedPractice)
		if closed.Status != orgs.StatusClosed || closed.CloseDate.IsZero() {
			t.Errorf("closed practice = %+v", closed)
		}
		for _, o := range mustOrgs(t) {
			if o.Kind == orgs.Practice && o.Code != ClosedPractice && (o.ListSize < 2000 || o.ListSize > 30000) {
				t.Errorf("%s list size %d outside 2,000–30,000", o.Code, o.ListSize)
			}
		}
		for _, l := range Logins {
			u, hash, err := s.UserForLogin(ctx, l.Email)
			if err != nil || !people.CheckPasswordHash(hash, Password) {
				t.Errorf("demo login %s: %v", l.Email, err)
			}
			full, _ := s.User(ctx, u.ID)
			if len(full.Grants) != 1 || full.Grants[0].Role != l.Role {
				t.Errorf("%s grants = %+v", l.Email, full.Grants)
			}
		}
	})
}

func mustOrgs(t *testing.T) []orgs.Org {
	a, _ := Orgs(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b, _ := Orgs(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range a {
		if a[i].ListSize != b[i].ListSize || a[i].Phone != b[i].Phone {
			t.Fatalf("demo is not deterministic at %s", a[i].Code)
		}
	}
	return a
}

func TestDemoPopulations(t *testing.T) {
	today := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	ex := Populations(today)
	if len(ex) != 13 || ex[12].Date != time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) || ex[0].Date != time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("extracts from %v to %v", ex[0].Date, ex[len(ex)-1].Date)
	}
	list, _ := Orgs(today)
	sizes := map[string]int{}
	for _, o := range list {
		sizes[o.Code] = o.ListSize
	}
	var students, careHomes population.Practice
	for _, p := range ex[12].Practices {
		if p.Bands.Total() != p.Total || p.Total != sizes[p.Code] {
			t.Errorf("%s: bands add to %d, total %d, list size %d", p.Code, p.Bands.Total(), p.Total, sizes[p.Code])
		}
		switch p.Code {
		case "Y00013":
			students = p
		case "Y00010":
			careHomes = p
		case ClosedPractice:
			t.Errorf("the closed practice is in the newest extract")
		}
	}
	if population.PerMille(students.Bands.Between(3, 4), students.Total) < 250 {
		t.Errorf("the university practice has only %d‰ aged 15–24", population.PerMille(students.Bands.Between(3, 4), students.Total))
	}
	if population.PerMille(careHomes.Bands.Over85(), careHomes.Total) < 60 {
		t.Errorf("the care-home practice has only %d‰ aged 85+", population.PerMille(careHomes.Bands.Over85(), careHomes.Total))
	} // Men and women differ band by band, as in England's published totals:
	// never (or hardly ever) the same count, and women the more from 80 on.
	for _, p := range ex[12].Practices {
		same, olderWomen := 0, 0
		for b := range population.NBands {
			if p.Bands[population.Male][b] == p.Bands[population.Female][b] {
				same++
			}
		}
		for b := 16; b < population.NBands; b++ {
			if p.Bands[population.Female][b] >= p.Bands[population.Male][b] {
				olderWomen++
			}
		}
		if same > 2 || olderWomen < 3 {
			t.Errorf("%s: %d bands with as many men as women, women at least as many in %d of the bands from 80", p.Code, same, olderWomen)
		}
	}
}

func TestDemoClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		if _, err := LoadAll(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		kinds := map[payrules.Kind]bool{}
		services, _ := s.Services(ctx, []string{PlaceCode}, 2026)
		for _, sv := range services {
			kinds[sv.Rule.Kind] = true
		}
		if len(services) < 6 || len(kinds) != 5 {
			t.Errorf("%d services covering %d rules", len(services), len(kinds))
		}
		for _, st := range []claims.Status{claims.Draft, claims.Submitted, claims.Queried, claims.Finance, claims.Rejected, claims.Paid} {
			if _, n, _ := s.Claims(ctx, store.ClaimQuery{Status: st, Limit: 1}); n == 0 {
				t.Errorf("no %s claims in the demo", st)
			}
		}
		late := 0
		all, _, _ := s.Claims(ctx, store.ClaimQuery{Limit: 100000})
		for _, c := range all {
			if c.Late {
				late++
			}
		}
		if late == 0 {
			t.Error("no late claims in the demo")
		}
		runs, _ := s.PaymentRuns(ctx, PlaceCode, "")
		if len(runs) != 2 || runs[0].Lines == 0 || runs[1].Lines == 0 {
			t.Errorf("payment runs: %+v", runs)
		}
		if n, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit after %d: %v", n, err)
		}
		if err := LoadClaims(ctx, s, now); err != nil {
			t.Errorf("second load: %v", err)
		}
	})
}

// TestDemoRecords: every open practice has a register of about ten
// collections, some due, one on hold, two certified last year; loading again
// adds nothing.
func TestDemoRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if _, err := Load(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if err := LoadRecords(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		sc, _ := s.RetentionSchedule(ctx)
		practices := 0
		list, _ := Orgs(now)
		for _, o := range list {
			if o.Kind != orgs.Practice || o.Status == orgs.StatusClosed {
				continue
			}
			practices++
			reg, err := s.Register(ctx, o.Code)
			if err != nil {
				t.Fatal(err)
			}
			sum := reg.Summarise(sc.ByCode(), now)
			if sum.Collections != 10 || sum.Due < 3 || sum.Held != 1 || sum.HoldsInForce != 1 || sum.Certificates != 2 || sum.LastYear != 2 {
				t.Errorf("%s: %+v", o.Code, sum)
			}
			for _, c := range reg.Certificates {
				if c.IssuedAt.Year() != 2025 || c.ProposedBy == c.ApprovedBy {
					t.Errorf("%s certificate %+v", o.Code, c)
				}
			}
		}
		if practices < 20 {
			t.Errorf("%d practices", practices)
		}
		if err := LoadRecords(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if reg, _ := s.Register(ctx, "Y00001"); len(reg.Collections) != 12 {
			t.Errorf("loading again changed the register: %d collections", len(reg.Collections))
		}
		if n, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit after %d: %v", n, err)
		}
	})
}

// TestDemoCapability: two years of the Place's WCC reviews showing
// improvement, six practice surveys (four shared), a PCN session with
// spread scores, and actions from low scores; loading again adds nothing.
func TestDemoCapability(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if _, err := Load(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if err := LoadCapability(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		place, _ := s.CapabilityReviews(ctx, PlaceCode)
		if len(place) != 2 || !place[0].Closed || place[0].Year != 2026 {
			t.Fatalf("Place reviews %+v", place)
		}
		fws, _ := capability.Shipped(nil)
		agreed, _ := s.Agreed(ctx, place[0].ID, place[1].ID)
		var imp capability.Improvement
		for _, f := range fws {
			if f.ID == "wcc" {
				imp = capability.Compare(f, agreed[place[1].ID], agreed[place[0].ID])
			}
		}
		if imp.MovedUp < 6 {
			t.Errorf("the Place improved on %d competencies", imp.MovedUp)
		}
		shared, private := 0, 0
		practices, _ := s.CapabilityReviews(ctx, "Y00001", "Y00002", "Y00004", "Y00005", "Y00007", "Y00008")
		for _, r := range practices {
			if r.Shared == capability.Private {
				private++
			} else {
				shared++
			}
			if as, _ := s.Actions(ctx, r.ID); len(as) == 0 {
				t.Errorf("%s has no actions from low scores", r.Org)
			}
		}
		if shared != 4 || private != 2 {
			t.Errorf("%d shared, %d private", shared, private)
		}
		pcn, _ := s.CapabilityReviews(ctx, "U00001")
		if scores, _ := s.Scores(ctx, pcn[0].ID); len(pcn) != 1 || pcn[0].Mode != capability.Facilitated || len(scores) != 21 {
			t.Errorf("PCN session: %+v, %d scores", pcn, len(scores))
		}
		if err := LoadCapability(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.CapabilityReviews(ctx, PlaceCode); len(again) != 2 {
			t.Errorf("loading again: %d", len(again))
		}
	})
}

// TestDemoMustDos: a year of must-dos: the past done but for two overdue
// items, upcoming items assigned with a deputy, two GPs' pension items, sent
// digests; loading again changes nothing.
func TestDemoMustDos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if _, err := Load(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if err := LoadMustDos(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		cat, _ := s.MustDoCatalogue(ctx)
		os, _ := s.AllMustDoOrgs(ctx)
		dates, _ := s.MustDoDates(ctx)
		states, _ := s.AllMustDoStates(ctx)
		items, err := mustdo.Owed(cat, os, now.AddDate(-1, 0, 0), now.AddDate(0, 2, 0), mustdo.England(), dates, states)
		if err != nil {
			t.Fatal(err)
		}
		overdue, assigned, pensions := 0, 0, map[string]bool{}
		for _, it := range items {
			if it.StatusOn(now.Truncate(24*time.Hour)) == mustdo.Overdue {
				overdue++
			}
			if it.Assignee != "" && it.Deputy != "" {
				assigned++
			}
			if it.Code == "PENSION-CERTS" {
				pensions[it.Person] = true
			}
		}
		if overdue != 2 || assigned == 0 || len(pensions) != 2 {
			t.Errorf("%d overdue, %d assigned, pensions for %v", overdue, assigned, pensions)
		}
		if _, total, _ := s.Outbox(ctx, nil, 10); total != 7 {
			t.Errorf("outbox: %d", total)
		}
		if err := LoadMustDos(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.AllMustDoStates(ctx); len(again) != len(states) {
			t.Errorf("loading again: %d states, was %d", len(again), len(states))
		}
	})
}
