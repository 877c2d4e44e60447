package store_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// catalogue adds three services commissioned by Place P1 for 2026/27.
func catalogue(t *testing.T, s *store.Store) (ecg, diabetes, block claims.Service) {
	t.Helper()
	ctx := context.Background()
	var err error
	ecg, err = s.CreateService(ctx, "test", claims.Service{Code: "LES-ECG", Name: "ECGs", Commissioner: "P1", Year: 2026,
		Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.AllPractices, NeedsDeclaration: true, NeedsApproval: true,
		Fields: []claims.Field{{Label: "ECGs performed"}},
		Rule:   payrules.Rule{Kind: payrules.FeePerItem, Field: "ecgs_performed", RatePence: 2500, CapPence: 100000}})
	if err != nil {
		t.Fatal(err)
	}
	diabetes, err = s.CreateService(ctx, "test", claims.Service{Code: "LIS-DM", Name: "Diabetes control", Commissioner: "P1", Year: 2026,
		Frequency: claims.Quarterly, DeadlineDays: 20, Eligibility: claims.ChosenPractices, Chosen: []string{"A1"}, NeedsApproval: true, NeedsFinance: true,
		Fields: []claims.Field{{Label: "Numerator"}, {Label: "Denominator"}},
		Rule:   payrules.Rule{Kind: payrules.Achievement, Numerator: "numerator", Denominator: "denominator", LowerPM: 600, UpperPM: 900, MaxPence: 500000}})
	if err != nil {
		t.Fatal(err)
	}
	block, err = s.CreateService(ctx, "test", claims.Service{Code: "PCN-BLOCK", Name: "PCN block", Commissioner: "P1", Year: 2026,
		Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.PCNs, Chosen: []string{"U00001"}, SignUp: true,
		Rule: payrules.Rule{Kind: payrules.Block, BlockPence: 300000}})
	if err != nil {
		t.Fatal(err)
	}
	return ecg, diabetes, block
}

func TestClaimsWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-07-05").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, dm, block := catalogue(t, s)

		if _, err := s.CreateService(ctx, "test", ecg); problem.KindOf(err) != problem.Conflict {
			t.Errorf("duplicate code: %v", err)
		}
		june := day("2026-06-01")
		lines, err := s.Return(ctx, "A1", june)
		if err != nil || len(lines) != 2 || lines[0].Service.Code != "LES-ECG" || lines[1].Service.Code != "LIS-DM" {
			t.Fatalf("A1's June return = %d lines, %v", len(lines), err)
		}
		if l, _ := s.Return(ctx, "A2", june); len(l) != 1 {
			t.Errorf("A2 (not chosen for diabetes) has %d lines", len(l))
		}
		if l, _ := s.Return(ctx, "B1", june); len(l) != 0 {
			t.Errorf("B1 in another Place has %d lines", len(l))
		}
		if l, _ := s.Return(ctx, "U00001", june); len(l) != 0 {
			t.Errorf("the PCN has the block before signing up: %d lines", len(l))
		}

		entries := func(ecgs, num, den string) []claims.ReturnEntry {
			return []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": ecgs}},
				{ServiceID: dm.ID, Activity: map[string]string{"numerator": num, "denominator": den}}}
		}
		bad := []struct {
			ecgs, num, den string
			decl           bool
			want           string
		}{
			{"-3", "300", "400", true, "ECGs performed cannot be negative"},
			{"4.5", "300", "400", true, "must be a whole number"},
			{"42", "500", "400", true, "Numerator (500) cannot be more than Denominator (400)"},
			{"42", "", "400", true, "enter numerator"},
			{"42", "300", "400", false, "Confirm the declaration"},
		}
		for _, b := range bad {
			err := s.SaveReturn(ctx, "pm", "A1", june, entries(b.ecgs, b.num, b.den), true, b.decl)
			if problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.FieldsOf(err).Error(), b.want) {
				t.Errorf("%+v: %v", b, err)
			}
		}
		if l, _ := s.Return(ctx, "A1", june); l[0].Claim != nil {
			t.Fatal("a rejected return saved something")
		}
		// A draft may be partial; the preview prices what is there.
		if err := s.SaveReturn(ctx, "pm", "A1", june, entries("42", "", ""), false, false); err != nil {
			t.Fatal(err)
		}
		l, _ := s.Return(ctx, "A1", june)
		if l[0].Claim == nil || l[0].Claim.Status != claims.Draft || l[0].Preview.Pence != 100000 || l[1].Claim != nil {
			t.Errorf("after draft: %+v / %+v", l[0].Claim, l[0].Preview)
		}
		if err := s.SaveReturn(ctx, "pm", "A1", june, entries("42", "312", "400"), true, true); err != nil {
			t.Fatal(err)
		}
		l, _ = s.Return(ctx, "A1", june)
		if l[0].Claim.Status != claims.Submitted || l[0].Claim.Version != 1 || l[0].Claim.Pence != 100000 ||
			l[1].Claim.Pence != 300000 || l[0].Claim.Late {
			t.Errorf("after submit: %+v %+v", l[0].Claim, l[1].Claim)
		}
		if err := s.SaveReturn(ctx, "pm", "A1", june, entries("40", "", ""), true, true); problem.KindOf(err) != problem.Invalid ||
			!strings.Contains(problem.FieldsOf(err).Error(), "already submitted") {
			t.Errorf("second submission: %v", err)
		}
		// Amend keeps the old version.
		if err := s.Amend(ctx, "pm", "A1", l[0].Claim.ID, map[string]string{"ecgs_performed": "30"}, true, "", ""); err != nil {
			t.Fatal(err)
		}
		versions, _ := s.ClaimVersions(ctx, l[0].Claim.ID)
		if len(versions) != 2 || versions[0].Pence != 75000 || versions[1].Pence != 100000 {
			t.Errorf("versions = %+v", versions)
		}

		// Review: a query needs a message; the lot is all or nothing.
		ids := []int64{l[0].Claim.ID, l[1].Claim.ID}
		if err := s.Review(ctx, "comm", "P1", ids, nil, claims.ActQuery, ""); problem.KindOf(err) != problem.Invalid {
			t.Errorf("query without message: %v", err)
		}
		if err := s.Review(ctx, "comm", "P1", ids, nil, claims.ActFinance, ""); problem.KindOf(err) != problem.Conflict {
			t.Errorf("finance before approval: %v", err)
		}
		if err := s.Review(ctx, "comm", "P2", ids, nil, claims.ActApprove, ""); problem.KindOf(err) != problem.NotFound {
			t.Errorf("another Place approving P1's claims: %v, want NotFound", err)
		}
		if _, err := s.ClaimBy(ctx, "A2", ids[0]); problem.KindOf(err) != problem.NotFound {
			t.Errorf("A2 reading A1's claim: %v, want NotFound", err)
		}
		if err := s.Amend(ctx, "pm", "A2", ids[0], map[string]string{"ecgs_performed": "2"}, true, "", ""); problem.KindOf(err) != problem.NotFound {
			t.Errorf("A2 amending A1's claim: %v, want NotFound", err)
		}
		if _, err := s.Service(ctx, []string{"B1", "P2"}, dm.ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("B1 in another Place reading P1's service: %v, want NotFound", err)
		}
		if sv, err := s.Service(ctx, []string{"A1", "P1"}, dm.ID); err != nil || sv.ID != dm.ID {
			t.Errorf("A1 reading the service chosen for it: %v", err)
		}
		if err := s.Review(ctx, "comm", "P1", ids, nil, claims.ActApprove, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Review(ctx, "comm", "P1", ids, nil, claims.ActApprove, ""); problem.KindOf(err) != problem.Conflict {
			t.Errorf("approving twice: %v", err)
		}
		if err := s.Amend(ctx, "pm", "A1", ids[0], map[string]string{"ecgs_performed": "1"}, true, "", ""); problem.KindOf(err) != problem.Conflict {
			t.Errorf("amending an approved claim: %v", err)
		}

		// The June run pays the ECG claim only: diabetes still awaits finance.
		if r, err := s.RunPayments(ctx, "comm", "P2", june); problem.KindOf(err) != problem.Invalid || r.Lines != 0 {
			t.Errorf("another Place's run, paying nothing: %d lines, %v", r.Lines, err)
		}
		run, err := s.RunPayments(ctx, "comm", "P1", june)
		if err != nil || run.Lines != 1 || run.Pence != 75000 {
			t.Fatalf("June run: %+v %v", run, err)
		}
		if _, err := s.RunPayments(ctx, "comm", "P1", june); problem.KindOf(err) != problem.Conflict {
			t.Errorf("second June run: %v", err)
		}

		// The PCN signs up to the block part-way through July.
		if _, err := s.OfferService(ctx, "comm", block.ID, []string{"U00001"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.RespondToOffer(ctx, "pcn", block.ID, "U00001", true, day("2026-07-11")); err != nil {
			t.Fatal(err)
		}
		if err := s.RespondToOffer(ctx, "pcn", block.ID, "U00001", false, time.Time{}); problem.KindOf(err) != problem.Conflict {
			t.Errorf("second response: %v", err)
		}
		july := day("2026-07-01")
		now = day("2026-07-20") // July has not ended: a draft only
		if err := s.SaveReturn(ctx, "pcn", "U00001", july, []claims.ReturnEntry{{ServiceID: block.ID}}, true, false); problem.KindOf(err) != problem.Invalid ||
			!strings.Contains(problem.FieldsOf(err).Error(), "can be submitted once it has ended, from 1 August 2026") {
			t.Errorf("submitting before the period ends: %v", err)
		}
		now = day("2026-08-20") // after July's deadline: late
		if err := s.SaveReturn(ctx, "pcn", "U00001", july, []claims.ReturnEntry{{ServiceID: block.ID}}, true, false); err != nil {
			t.Fatal(err)
		}
		pl, _ := s.Return(ctx, "U00001", july)
		if len(pl) != 1 || pl[0].Claim.Pence != 203226 || !pl[0].Claim.Late || pl[0].Claim.Status != claims.Finance ||
			!strings.Contains(pl[0].Claim.Explanation, "21/31 days") {
			t.Errorf("PCN block: %+v", pl[0].Claim)
		}
		if err := s.Review(ctx, "fin", "P1", []int64{ids[1]}, nil, claims.ActFinance, ""); err != nil {
			t.Fatal(err)
		}
		run2, err := s.RunPayments(ctx, "comm", "P1", july)
		if err != nil || run2.Lines != 2 || run2.Pence != 300000+203226 {
			t.Fatalf("July run: %+v %v", run2, err)
		}
		// A schedule's total is the sum of its statements.
		if _, err := s.PaymentRun(ctx, "A2", run2.ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("A2, paid nothing, reading the July run: %v, want NotFound", err)
		}
		if _, err := s.PaymentRun(ctx, "A1", run2.ID); err != nil {
			t.Errorf("A1 reading the run that paid it: %v", err)
		}
		sched, _ := s.PaymentLines(ctx, run2, "P1")
		var total, statements int64
		for _, l := range sched {
			total += l.Pence
		}
		for _, org := range []string{"A1", "U00001"} {
			st, _ := s.PaymentLines(ctx, run2, org)
			for _, l := range st {
				statements += l.Pence
				if l.Reference != "OPC2607-"+org {
					t.Errorf("reference %q", l.Reference)
				}
			}
		}
		if total != run2.Pence || statements != total {
			t.Errorf("schedule %d, statements %d, run %d", total, statements, run2.Pence)
		}
		if runs, _ := s.PaymentRuns(ctx, "", "U00001"); len(runs) != 1 || runs[0].Pence != 203226 {
			t.Errorf("PCN's runs = %+v", runs)
		}
		cl, _ := s.ClaimBy(ctx, "A1", ids[0])
		if cl.Status != claims.Paid || cl.PaymentRunID != run.ID {
			t.Errorf("paid claim = %+v", cl)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n < 20 {
			t.Errorf("audit %d %v", n, err)
		}
		copy, err := s.CopyService(ctx, "comm", dm, 2027)
		if err != nil || copy.Year != 2027 || len(copy.Chosen) != 1 || copy.Rule != dm.Rule {
			t.Errorf("copy: %+v %v", copy, err)
		}
	})
}

// TestScheduleEqualsStatements: over generated claims approved at random and
// paid in several runs, every run's schedule adds up to its stated total and
// to the sum of its practices' statements, and no claim is paid twice.
func TestScheduleEqualsStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		codes, err := benchkit.SeedNational(ctx, s, 12, 4, 6, 0, 2026)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		paid := map[int64]int64{}
		for month := 0; month < 6; month++ {
			list, _, err := s.Claims(ctx, store.ClaimQuery{Status: claims.Submitted, Limit: 100000})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range list {
				if rng.IntN(3) > 0 {
					ids = append(ids, c.ID)
				}
			}
			if len(ids) == 0 {
				continue // a run that pays nothing is not made
			}
			if err := s.Review(ctx, "comm", "QNN", ids, nil, claims.ActApprove, ""); err != nil {
				t.Fatal(err)
			}
			run, err := s.RunPayments(ctx, "comm", "QNN", day("2026-04-01").AddDate(0, month, 0))
			if err != nil {
				t.Fatal(err)
			}
			lines, _ := s.PaymentLines(ctx, run, "QNN")
			var sched, statements int64
			for _, l := range lines {
				sched += l.Pence
				if prev, dup := paid[l.ClaimID]; dup {
					t.Fatalf("claim %d paid in run %d and again in run %d", l.ClaimID, prev, run.ID)
				}
				paid[l.ClaimID] = run.ID
			}
			for _, code := range codes {
				st, _ := s.PaymentLines(ctx, run, code)
				for _, l := range st {
					statements += l.Pence
				}
			}
			if sched != run.Pence || statements != sched || len(lines) != run.Lines || len(lines) != len(ids) {
				t.Errorf("run %d: schedule %d, statements %d, stated %d; %d lines of %d approved", run.ID, sched, statements, run.Pence, len(lines), len(ids))
			}
		}
		if _, total, _ := s.Claims(ctx, store.ClaimQuery{Status: claims.Paid, Limit: 1}); total != len(paid) {
			t.Errorf("%d claims show as paid, %d were in schedules", total, len(paid))
		}
	})
}

// A year of returns read at once is each month's return as read alone.
func TestReturnsForMonthsAsEachAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		if _, err := demo.LoadAll(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		first, _ := claims.MonthOf(now)
		months := make([]time.Time, 13)
		for i := range months {
			months[i] = first.AddDate(0, -i, 0)
		}
		for _, org := range []string{"Y00001", "Y00002", "U00001"} {
			all, err := s.Returns(ctx, org, months)
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for i, m := range months {
				alone, err := s.Return(ctx, org, m)
				if err != nil {
					t.Fatal(err)
				}
				lines += len(alone)
				if !reflect.DeepEqual(alone, all[i]) {
					t.Errorf("%s, %s: the year's return differs from the month's alone", org, m.Format("2006-01"))
				}
			}
			if org == "Y00001" && lines == 0 {
				t.Errorf("%s: no lines in a year: the demo's services are missing", org)
			}
		}
	})
}

// Two people save the same month's first draft at once: the second, whose
// page was read before the first's draft existed, is told the claim changed
// while they worked (not "That already exists"), and nothing of theirs is
// kept over the first's figures.
func TestFirstDraftsRacing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, ecg := ecgOn(t, s, "2026-07-05")
		june := day("2026-06-01")
		stale, err := s.Return(ctx, "A1", june) // both pages, read before either saves
		if err != nil {
			t.Fatal(err)
		}
		save := func(n string) error {
			_, err := s.SaveReturnLines(ctx, "pm", "A1", june, stale, []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": n}}}, false, false)
			return err
		}
		if err := save("12"); err != nil {
			t.Fatal(err)
		}
		err = save("99")
		if problem.KindOf(err) != problem.Conflict || !strings.Contains(problem.Message(err), "changed while you were working on it") {
			t.Errorf("the second first draft: %v", err)
		}
		lines, err := s.Return(ctx, "A1", june)
		if err != nil || lines[0].Claim == nil || lines[0].Claim.Activity["ecgs_performed"] != 12 {
			t.Errorf("the draft kept: %+v %v", lines[0].Claim, err)
		}
	})
}

// TestCatchUpJudgedByLaterClaims: a return caught up after the months that
// follow it is judged against them when too few came before (a walk
// claimed 9,000 tests, thirty times the usual, on the month before its
// first claim, and nothing asked why).
func TestCatchUpJudgedByLaterClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, ecg := ecgOn(t, s, "2026-10-05")
		submit := func(month, n, reason string) error {
			return s.SaveReturn(ctx, "pm", "A1", day(month), []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": n}, Unusual: reason}}, true, true)
		}
		for _, m := range []string{"2026-06-01", "2026-07-01", "2026-08-01"} {
			if err := submit(m, "30", ""); err != nil {
				t.Fatal(err)
			}
		}
		err := submit("2026-05-01", "900", "")
		if problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.Message(err)+problem.FieldsOf(err).Error(), "more than three times the practice's usual 30") {
			t.Errorf("May caught up with thirty times the later months: %v", err)
		}
		if err := submit("2026-05-01", "900", "A catch-up clinic for the whole waiting list"); err != nil {
			t.Errorf("with a reason: %v", err)
		}
		if err := submit("2026-04-01", "31", ""); err != nil {
			t.Errorf("April, usual: %v", err)
		}
	})
}

// ecgOn is the test hierarchy and catalogue with the clock at 10:00 on
// today, and its ECG service.
func ecgOn(t *testing.T, s *store.Store, today string) (context.Context, claims.Service) {
	t.Helper()
	hierarchy(t, s)
	s.SetClock(func() time.Time { return day(today).Add(10 * time.Hour) })
	ecg, _, _ := catalogue(t, s)
	return context.Background(), ecg
}

// TestReviewRacingAmendment: a review of two claims and an amendment of
// one of them, at once, on both engines: one gives way with a conflict,
// never an error of the database's (on PostgreSQL they deadlocked, and the
// amendment answered 500, 24 times in 40).
func TestReviewRacingAmendment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, ecg := ecgOn(t, s, "2027-03-15")
		for m := day("2026-04-01"); m.Before(day("2027-03-01")); m = m.AddDate(0, 1, 0) {
			var ids []int64
			for _, org := range []string{"A1", "A2"} {
				if err := s.SaveReturn(ctx, "pm", org, m, []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": "3"}}}, true, true); err != nil {
					t.Fatal(err)
				}
				lines, err := s.Return(ctx, org, m)
				if err != nil || len(lines) == 0 || lines[0].Claim == nil {
					t.Fatalf("%s %s: %v", org, m.Format("2006-01"), err)
				}
				ids = append(ids, lines[0].Claim.ID)
			}
			var wg sync.WaitGroup
			var reviewErr, amendErr error
			wg.Go(func() { reviewErr = s.Review(ctx, "comm", "P1", ids, nil, claims.ActQuery, "Please check these") })
			wg.Go(func() {
				amendErr = s.Amend(ctx, "pm", "A2", ids[1], map[string]string{"ecgs_performed": "4"}, true, "", "")
			})
			wg.Wait()
			for what, err := range map[string]error{"review": reviewErr, "amendment": amendErr} {
				if err != nil && problem.KindOf(err) != problem.Conflict {
					t.Errorf("%s, %s: %v (want done, or a conflict)", m.Format("2006-01"), what, err)
				} else if err != nil && strings.Contains(problem.Message(err), "at the same moment") {
					// The store's net for a deadlock caught it: the claims
					// were not locked in one order.
					t.Errorf("%s, %s: a deadlock, given way: %v", m.Format("2006-01"), what, err)
				}
			}
		}
	})
}
