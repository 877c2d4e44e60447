package store_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// readyECG submits org's ECG claim for month (n ECGs at £25) and approves
// it: ready to pay. It returns the claim's id.
func readyECG(t *testing.T, s *store.Store, ecg claims.Service, org string, month time.Time, n string) int64 {
	t.Helper()
	ctx := context.Background()
	if err := s.SaveReturn(ctx, "pm", org, month, []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": n}}}, true, true); err != nil {
		t.Fatal(err)
	}
	lines, err := s.Return(ctx, org, month)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.Service.ID == ecg.ID {
			if err := s.Review(ctx, "comm", "P1", []int64{l.Claim.ID}, nil, claims.ActApprove, ""); err != nil {
				t.Fatal(err)
			}
			return l.Claim.ID
		}
	}
	t.Fatalf("no ECG line on %s's return for %s", org, month.Format("January 2006"))
	return 0
}

func paidNet(t *testing.T, s *store.Store, claim int64) int64 {
	t.Helper()
	n, err := store.QueryInt64ForTest(context.Background(), s, "SELECT COALESCE(SUM(pence), 0) FROM payment_lines WHERE claim_id = "+itoa(claim))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPaymentDraftConfirmReverse: a run is previewed, committed only by a
// second confirmation, paid exactly as previewed, and reversed by a run of
// minus its lines, after which its claims are paid again, once.
func TestPaymentDraftConfirmReverse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-07-05").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, _, _ := catalogue(t, s)
		june, july, aug := day("2026-06-01"), day("2026-07-01"), day("2026-08-01")
		a1 := readyECG(t, s, ecg, "A1", june, "30") // £750

		// June's claims are due until 10 July: an early run needs a reason.
		if _, err := s.DraftPayments(ctx, "fin", "P1", june, ""); problem.KindOf(err) != problem.Invalid || !strings.Contains(problem.FieldsOf(err).Error(), "due until 20 July 2026") {
			t.Errorf("an early run without a reason: %v", err)
		}
		if _, err := s.DraftPayments(ctx, "fin", "P1", aug, "Year-end accruals need it"); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a month not begun: %v", err)
		}
		draft, err := s.DraftPayments(ctx, "fin", "P1", june, "Practices asked for it before the holiday")
		if err != nil || draft.Status != claims.RunDraft || draft.Lines != 1 || draft.Pence != 75000 {
			t.Fatalf("June draft: %+v %v", draft, err)
		}
		if lines, _ := s.PaymentLines(ctx, draft, "P1"); len(lines) != 1 || lines[0].ClaimID != a1 {
			t.Errorf("the draft's preview: %+v", lines)
		}
		if cl, _ := s.ClaimBy(ctx, "A1", a1); cl.Status == claims.Paid {
			t.Error("a draft paid a claim")
		}
		if _, err := s.PaymentRun(ctx, "A1", draft.ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("a practice reading a draft: %v", err)
		}
		run, err := s.ConfirmPayments(ctx, "fin", "P1", draft.ID)
		if err != nil || run.Status != claims.RunCommitted || run.CommittedBy != "fin" {
			t.Fatalf("confirm: %+v %v", run, err)
		}
		if _, err := s.ConfirmPayments(ctx, "fin", "P1", draft.ID); problem.KindOf(err) != problem.Conflict {
			t.Errorf("confirming twice: %v", err)
		}
		if cl, _ := s.ClaimBy(ctx, "A1", a1); cl.Status != claims.Paid || cl.PaymentRunID != run.ID {
			t.Errorf("after the run: %+v", cl)
		}
		if _, err := s.DraftPayments(ctx, "fin", "P1", june, "Once more for good measure"); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a second June run: %v", err)
		}

		// One preview at a time; a discarded one frees the way.
		now = day("2026-09-20").Add(10 * time.Hour)
		readyECG(t, s, ecg, "A2", july, "4")
		stale, err := s.DraftPayments(ctx, "fin", "P1", july, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DraftPayments(ctx, "fin", "P1", aug, ""); problem.KindOf(err) != problem.Conflict {
			t.Errorf("a second preview while one waits: %v", err)
		}
		if err := s.DiscardPayments(ctx, "fin", "P1", stale.ID); err != nil {
			t.Errorf("discarding: %v", err)
		}
		if _, err := s.ConfirmPayments(ctx, "fin", "P1", stale.ID); problem.KindOf(err) != problem.Conflict {
			t.Errorf("confirming a discarded preview: %v", err)
		}
		fresh, err := s.DraftPayments(ctx, "fin", "P1", aug, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmPayments(ctx, "fin", "P1", fresh.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DraftPayments(ctx, "fin", "P1", july, ""); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a run for a month before the last run's: %v", err)
		}

		// Reversing June: a reason; minus its lines; the claim payable again.
		if _, err := s.ReversePayments(ctx, "fin", "P1", run.ID, "oops"); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a reversal without a reason: %v", err)
		}
		if _, err := s.ReversePayments(ctx, "fin", "P2", run.ID, "Paid the wrong bank account"); problem.KindOf(err) != problem.NotFound {
			t.Errorf("another Place reversing P1's run: %v", err)
		}
		rev, err := s.ReversePayments(ctx, "fin", "P1", run.ID, "Paid the wrong bank account")
		if err != nil || rev.Kind != claims.ReversalKind || rev.Pence != -75000 || rev.Reverses != run.ID {
			t.Fatalf("reverse: %+v %v", rev, err)
		}
		if _, err := s.ReversePayments(ctx, "fin", "P1", run.ID, "Paid the wrong bank account"); problem.KindOf(err) != problem.Conflict {
			t.Errorf("reversing twice: %v", err)
		}
		if got := paidNet(t, s, a1); got != 0 {
			t.Errorf("after the reversal, paid %d net", got)
		}
		if cl, _ := s.ClaimBy(ctx, "A1", a1); cl.Status == claims.Paid {
			t.Error("a reversed claim still shows paid")
		}
		if lines, _ := s.PaymentLines(ctx, rev, "A1"); len(lines) != 1 || lines[0].Pence != -75000 {
			t.Errorf("the practice's reversal line: %+v", lines)
		}
		if runs, _ := s.PaymentRuns(ctx, "", "A1"); len(runs) != 2 {
			t.Errorf("A1's statements: %+v", runs)
		}
		sept, err := s.DraftPayments(ctx, "fin", "P1", day("2026-09-01"), "Repaying the reversed June run")
		if err != nil || sept.Lines != 1 || sept.Pence != 75000 {
			t.Fatalf("the run after the reversal: %+v %v", sept, err)
		}
		if _, err := s.ConfirmPayments(ctx, "fin", "P1", sept.ID); err != nil {
			t.Fatal(err)
		}
		// Reversing the last run frees its month to be paid again.
		if _, err := s.ReversePayments(ctx, "fin", "P1", sept.ID, "Wrong remittance advice sent"); err != nil {
			t.Fatal(err)
		}
		again, err := s.DraftPayments(ctx, "fin", "P1", day("2026-09-01"), "Repaying September after its reversal")
		if err != nil || again.Lines != 1 {
			t.Fatalf("September again after its reversal: %+v %v", again, err)
		}
		if _, err := s.ConfirmPayments(ctx, "fin", "P1", again.ID); err != nil {
			t.Fatal(err)
		}
		if got := paidNet(t, s, a1); got != 75000 {
			t.Errorf("paid %d net, want 75000: once", got)
		}
	})
}

// TestRunLeavesOutClosedPractices: a claim approved for a period after its
// practice closed (the closure loaded later from ODS) is never paid, and
// the preview says why.
func TestRunLeavesOutClosedPractices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-10-21").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, _, _ := catalogue(t, s)
		readyECG(t, s, ecg, "A3", day("2026-09-01"), "2")
		a3, _ := s.Org(ctx, "A3")
		a3.Status, a3.CloseDate = orgs.StatusClosed, day("2026-08-31")
		if err := s.SaveOrgs(ctx, "test", a3); err != nil {
			t.Fatal(err)
		}
		draft, err := s.DraftPayments(ctx, "fin", "P1", day("2026-09-01"), "")
		if err != nil || draft.Lines != 0 {
			t.Fatalf("draft: %+v %v", draft, err)
		}
		out, err := s.PaymentExclusions(ctx, draft)
		if err != nil || len(out) != 1 || out[0].Claim.Org != "A3" || !strings.Contains(out[0].Why, "after the practice closed") {
			t.Errorf("exclusions: %+v %v", out, err)
		}
	})
}

// TestPaymentRunsCarriedOver: runs made before migration 016 keep what they
// paid, as rows of payment_lines.
func TestPaymentRunsCarriedOver(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "old.db")
			if engine == "postgres" {
				dsn = storetest.NewPostgresDB(t)
			}
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := store.MigrateUpToForTest(ctx, s, 15); err != nil {
				t.Fatal(err)
			}
			hierarchy(t, s)
			now := day("2026-07-20").Add(10 * time.Hour)
			s.SetClock(func() time.Time { return now })
			// A service, a claim paid and one ready, the way the tables before
			// 016 held them.
			if err := store.ExecForTest(ctx, s, `INSERT INTO services (code, year, name, commissioner_org, frequency, deadline_days, eligibility,
				sign_up, needs_declaration, needs_approval, needs_finance, fields_json, rule_json, created_at) VALUES ('LES-ECG', 2026, 'ECGs', 'P1',
				'monthly', 10, 'place', 0, 0, 1, 0, '[{"key":"ecgs_performed","label":"ECGs performed"}]',
				'{"kind":"fee_per_item","field":"ecgs_performed","rate_pence":2500}', '2026-07-01 10:00:00')`); err != nil {
				t.Fatal(err)
			}
			var ecg claims.Service
			if ecg.ID, err = store.QueryInt64ForTest(ctx, s, "SELECT id FROM services WHERE code = 'LES-ECG'"); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{
				`INSERT INTO claims (service_id, org_code, period_start, period_end, status, version, activity_json, pence, explanation, ready_seq)
					VALUES (` + itoa(ecg.ID) + `, 'A1', '2026-06-01', '2026-06-30', 'approved', 1, '{"ecgs_performed":30}', 75000, '30 × £25.00', 1)`,
				`INSERT INTO claims (service_id, org_code, period_start, period_end, status, version, activity_json, pence, explanation, ready_seq)
					VALUES (` + itoa(ecg.ID) + `, 'A2', '2026-06-01', '2026-06-30', 'approved', 1, '{"ecgs_performed":2}', 5000, '2 × £25.00', 2)`,
				`INSERT INTO payment_runs (commissioner_org, run_month, prev_watermark, watermark, created_at, created_by, lines, pence)
					VALUES ('P1', '2026-06-01', 0, 1, '2026-07-15 10:00:00', 'comm', 1, 75000)`,
				`UPDATE ready_counter SET seq = 2 WHERE id = 1`,
			} {
				if err := store.ExecForTest(ctx, s, stmt); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			a1, err := store.QueryInt64ForTest(ctx, s, "SELECT id FROM claims WHERE org_code = 'A1'")
			if err != nil {
				t.Fatal(err)
			}
			if got := paidNet(t, s, a1); got != 75000 {
				t.Errorf("the old run's line: %d", got)
			}
			if cl, _ := s.ClaimBy(ctx, "A1", a1); cl.Status != claims.Paid {
				t.Errorf("the old run's claim: %+v", cl)
			}
			// The next run pays the other claim, numbered after the old run.
			run, err := s.RunPayments(ctx, "fin", "P1", day("2026-07-01"))
			if err != nil || run.ID < 2 || run.Lines != 1 || run.Pence != 5000 {
				t.Errorf("a new run after the old: %+v %v", run, err)
			}
		})
	}
}

// TestFinanceByAnother: the person who approved a claim does not approve it
// for finance, unless its service allows it.
func TestFinanceByAnother(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-07-25").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		_, dm, _ := catalogue(t, s)
		q1 := day("2026-06-01")
		entries := []claims.ReturnEntry{{ServiceID: dm.ID, Activity: map[string]string{"numerator": "300", "denominator": "400"}}}
		if err := s.SaveReturn(ctx, "pm", "A1", q1, entries, true, true); err != nil {
			t.Fatal(err)
		}
		lines, _ := s.Return(ctx, "A1", q1)
		var id int64
		for _, l := range lines {
			if l.Service.ID == dm.ID {
				id = l.Claim.ID
			}
		}
		if err := s.Review(ctx, "sam@place.example", "P1", []int64{id}, nil, claims.ActApprove, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Review(ctx, "SAM@place.example", "P1", []int64{id}, nil, claims.ActFinance, ""); problem.KindOf(err) != problem.Forbidden ||
			!strings.Contains(problem.Message(err), "someone else must approve it for finance") {
			t.Errorf("the approver approving for finance: %v", err)
		}
		if err := s.Review(ctx, "fin@place.example", "P1", []int64{id}, nil, claims.ActFinance, ""); err != nil {
			t.Errorf("another person approving for finance: %v", err)
		}
		if cl, _ := s.ClaimBy(ctx, "A1", id); cl.ApprovedBy != "sam@place.example" || cl.Status != claims.Finance {
			t.Errorf("after both: %+v", cl)
		}
	})
}

// TestApproverIsNotSubmitter: nobody approves a claim they submitted.
func TestApproverIsNotSubmitter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		now := day("2026-07-05").Add(10 * time.Hour)
		s.SetClock(func() time.Time { return now })
		ecg, _, _ := catalogue(t, s)
		june := day("2026-06-01")
		if err := s.SaveReturn(ctx, "both@place.example", "A1", june, []claims.ReturnEntry{{ServiceID: ecg.ID, Activity: map[string]string{"ecgs_performed": "3"}}}, true, true); err != nil {
			t.Fatal(err)
		}
		lines, _ := s.Return(ctx, "A1", june)
		id := lines[0].Claim.ID
		if err := s.Review(ctx, "Both@place.example", "P1", []int64{id}, nil, claims.ActApprove, ""); problem.KindOf(err) != problem.Forbidden {
			t.Errorf("the submitter approving: %v", err)
		}
		// A colleague's amendment does not make it someone else's claim.
		if err := s.Amend(ctx, "colleague@a1.example", "A1", id, map[string]string{"ecgs_performed": "4"}, true, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Review(ctx, "BOTH@place.example", "P1", []int64{id}, nil, claims.ActApprove, ""); problem.KindOf(err) != problem.Forbidden {
			t.Errorf("the first version's submitter approving the amended claim: %v", err)
		}
		if err := s.Review(ctx, "comm@place.example", "P1", []int64{id}, nil, claims.ActApprove, strings.Repeat("x", 2001)); problem.KindOf(err) != problem.Invalid {
			t.Errorf("a message of 2,001 characters: %v", err)
		}
		if err := s.Review(ctx, "comm@place.example", "P1", []int64{id}, nil, claims.ActApprove, ""); err != nil {
			t.Errorf("another approving: %v", err)
		}
	})
}

// TestOnePreviewAtOnce: thirty previews asked for at once make one; the
// others are told one is open (on PostgreSQL four were once made).
func TestOnePreviewAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, ecg := ecgOn(t, s, "2026-07-25")
		june := day("2026-06-01")
		readyECG(t, s, ecg, "A1", june, "30")
		var wg sync.WaitGroup
		var made atomic.Int64
		for range 30 {
			wg.Go(func() {
				if _, err := s.DraftPayments(ctx, "fin", "P1", june, ""); err == nil {
					made.Add(1)
				} else if problem.KindOf(err) != problem.Invalid && problem.KindOf(err) != problem.Conflict {
					t.Errorf("a preview refused: %v", err)
				}
			})
		}
		wg.Wait()
		n, err := store.QueryInt64ForTest(ctx, s, "SELECT COUNT(*) FROM payment_runs WHERE commissioner_org = 'P1' AND status = 'draft'")
		if made.Load() != 1 || n != 1 || err != nil {
			t.Errorf("%d previews made, %d drafts kept (%v): want one", made.Load(), n, err)
		}
	})
}
