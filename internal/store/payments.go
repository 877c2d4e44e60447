package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// A payment run pays its commissioner's claims whose ready number (given
// when a claim becomes ready to pay) lies above the last committed run's
// watermark and at or below its own, leaving out any claim for a period
// after its practice closed or its service ended. It is made in two steps:
// a draft previews it, and a second, explicit confirmation commits it,
// writing one payment_lines row a claim. A committed run is reversed by a
// run of minus its lines; its claims get new ready numbers, so the next run
// pays them again.

const runColumns = `r.id, r.commissioner_org, r.run_month, r.kind, r.status, COALESCE(r.reverses, 0), r.reason, r.created_at, r.created_by,
	r.committed_at, r.committed_by, r.lines, r.pence, r.prev_watermark, r.watermark,
	COALESCE((SELECT x.id FROM payment_runs x WHERE x.reverses = r.id AND x.kind = 'reversal'), 0)`

func scanRun(sc interface{ Scan(...any) error }) (claims.PaymentRun, error) {
	var r claims.PaymentRun
	err := sc.Scan(&r.ID, &r.Commissioner, nullTime{&r.Month}, &r.Kind, &r.Status, &r.Reverses, &r.Reason, nullTime{&r.CreatedAt}, &r.CreatedBy,
		nullTime{&r.CommittedAt}, &r.CommittedBy, &r.Lines, &r.Pence, &r.PrevWatermark, &r.Watermark, &r.ReversedBy)
	return r, err
}

// payable is the FROM and WHERE of the claims a payment run of a
// commissioner over (prev, watermark] pays; its arguments are those three.
const payable = ` FROM claims c JOIN services sv ON sv.id = c.service_id JOIN orgs o ON o.code = c.org_code
	WHERE sv.commissioner_org = ? AND c.ready_seq > ? AND c.ready_seq <= ?
	AND NOT (o.status = 'C' AND o.close_date IS NULL) AND (o.close_date IS NULL OR o.close_date >= c.period_start)
	AND (o.open_date IS NULL OR o.open_date <= c.period_end)
	AND (sv.ends_on IS NULL OR sv.ends_on >= c.period_start)`

// DraftPayments previews the commissioner's run for month: what it would
// pay, totalled, paying nothing. A month that has not begun is refused; one
// whose claims deadline has not passed needs a stated reason.
func (s *Store) DraftPayments(ctx context.Context, actor, commissioner string, month time.Time, reason string) (claims.PaymentRun, error) {
	svcs, err := s.Services(ctx, []string{commissioner}, 0)
	if err != nil {
		return claims.PaymentRun{}, err
	}
	first, _ := claims.MonthOf(month)
	var last time.Time
	if err := s.reader().queryRow(ctx, "SELECT MAX(run_month) FROM payment_runs WHERE commissioner_org = ? AND kind = 'payment' AND status = 'committed'",
		commissioner).Scan(nullTime{&last}); err != nil {
		return claims.PaymentRun{}, err
	}
	if err := claims.CheckRunMonth(first, claims.RunDeadline(svcs, first), orgs.Today(s.now()), last, reason); err != nil {
		return claims.PaymentRun{}, err
	}
	return s.draftRun(ctx, actor, commissioner, first, reason)
}

func (s *Store) draftRun(ctx context.Context, actor, commissioner string, month time.Time, reason string) (claims.PaymentRun, error) {
	run := claims.PaymentRun{Commissioner: commissioner, Month: month, Kind: claims.PaymentKind, Status: claims.RunDraft, Reason: reason, CreatedBy: actor}
	err := s.tx(ctx, func(c conn) error {
		// On PostgreSQL the commissioner's row is locked, so that two
		// previews started at once take turns and the second sees the
		// first (four of thirty at once were made).
		var kind orgs.Kind
		if err := c.queryRow(ctx, "SELECT kind FROM orgs WHERE code = ?"+c.rowLock("FOR UPDATE"), commissioner).Scan(&kind); err != nil {
			return notFound(err, "There is no organisation with the code %s", commissioner)
		}
		if !kind.Commissions() {
			return problem.New(problem.Invalid, "Payment runs are made by a Place or an ICB; %s is %s", commissioner, kind.ALabel())
		}
		if err := c.monthFree(ctx, commissioner, month); err != nil {
			return err
		}
		// One preview at a time: two would offer to pay the same claims.
		var open int64
		if err := c.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM payment_runs WHERE commissioner_org = ? AND status = 'draft'", commissioner).Scan(&open); err != nil {
			return err
		}
		if open != 0 {
			return problem.New(problem.Conflict, "There is a preview waiting (run %d): confirm or discard it first, since both would pay the same claims", open)
		}
		run.CreatedAt = c.now.UTC().Truncate(time.Microsecond)
		if err := c.queryRow(ctx, "SELECT seq FROM ready_counter WHERE id = 1").Scan(&run.Watermark); err != nil {
			return err
		}
		var err error
		if run.PrevWatermark, err = c.lastWatermark(ctx, commissioner); err != nil {
			return err
		}
		var total sql.NullInt64
		if err := c.queryRow(ctx, "SELECT COUNT(*), SUM(c.pence)"+payable, commissioner, run.PrevWatermark, run.Watermark).Scan(&run.Lines, &total); err != nil {
			return err
		}
		run.Pence = total.Int64
		if err := c.queryRow(ctx, `INSERT INTO payment_runs (commissioner_org, run_month, kind, status, reason, prev_watermark, watermark, created_at, created_by, lines, pence)
			VALUES (?, ?, 'payment', 'draft', ?, ?, ?, ?, ?, ?, ?) RETURNING id`, commissioner, dateArg(month), reason, run.PrevWatermark, run.Watermark,
			c.tsArg(run.CreatedAt), actor, run.Lines, run.Pence).Scan(&run.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "payments.draft", "payment_run", fmt.Sprint(run.ID), nil, run)
	})
	return run, err
}

// monthFree refuses a month that has a committed payment run already.
func (c conn) monthFree(ctx context.Context, commissioner string, month time.Time) error {
	var n int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM payment_runs WHERE commissioner_org = ? AND run_month = ? AND kind = 'payment' AND status = 'committed'",
		commissioner, dateArg(month)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return problem.New(problem.Conflict, "The payment run for %s has already been made. Claims approved since then go in the next month's run.", month.Format("January 2006"))
	}
	return nil
}

// lastWatermark is the watermark of the commissioner's last committed payment run.
func (c conn) lastWatermark(ctx context.Context, commissioner string) (int64, error) {
	var w int64
	err := c.queryRow(ctx, "SELECT COALESCE(MAX(watermark), 0) FROM payment_runs WHERE commissioner_org = ? AND kind = 'payment' AND status = 'committed'",
		commissioner).Scan(&w)
	return w, err
}

// ConfirmPayments commits a draft: it pays exactly what the draft showed,
// or, if anything it would pay has changed since (another run committed,
// a claim changed), nothing, with a Conflict saying to preview again.
func (s *Store) ConfirmPayments(ctx context.Context, actor, commissioner string, id int64) (claims.PaymentRun, error) {
	var run claims.PaymentRun
	err := s.tx(ctx, func(c conn) error {
		var err error
		if run, err = scanRun(c.queryRow(ctx, "SELECT "+runColumns+" FROM payment_runs r WHERE r.id = ? AND r.commissioner_org = ?", id, commissioner)); err != nil {
			return notFound(err, "There is no such payment run")
		}
		if run.Kind != claims.PaymentKind || run.Status != claims.RunDraft {
			return problem.New(problem.Conflict, "This run is %s: only a draft can be confirmed", run.Status)
		}
		if run.Lines == 0 {
			return problem.New(problem.Invalid, "This run pays nothing: discard it, rather than use up %s", run.Month.Format("January 2006"))
		}
		// Lock the counter: claims becoming ready, and other runs, wait.
		if _, err := c.exec(ctx, "UPDATE ready_counter SET seq = seq WHERE id = 1"); err != nil {
			return err
		}
		if err := c.monthFree(ctx, commissioner, run.Month); err != nil {
			return err
		}
		last, err := c.lastWatermark(ctx, commissioner)
		if err != nil {
			return err
		}
		if last != run.PrevWatermark {
			return problem.New(problem.Conflict, "Another payment run was committed after this preview was made: make a new preview and check it")
		}
		if _, err := c.exec(ctx, "INSERT INTO payment_lines (run_id, claim_id, pence) SELECT ?, c.id, c.pence"+payable,
			run.ID, commissioner, run.PrevWatermark, run.Watermark); err != nil {
			return err
		}
		var lines int
		var total sql.NullInt64
		if err := c.queryRow(ctx, "SELECT COUNT(*), SUM(pence) FROM payment_lines WHERE run_id = ?", run.ID).Scan(&lines, &total); err != nil {
			return err
		}
		if lines != run.Lines || total.Int64 != run.Pence {
			return problem.New(problem.Conflict, "What this run would pay has changed since the preview (%d lines, %s; now %d lines): make a new preview and check it",
				run.Lines, payrules.Pounds(run.Pence), lines)
		}
		res, err := c.exec(ctx, "UPDATE payment_runs SET status = 'committed', committed_at = ?, committed_by = ? WHERE id = ? AND status = 'draft'",
			c.tsArg(c.now), actor, run.ID)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "This run was confirmed or discarded by someone else while you were looking at it")
		}
		before := run
		run.Status, run.CommittedAt, run.CommittedBy = claims.RunCommitted, c.now.UTC().Truncate(time.Microsecond), actor
		return c.appendAudit(ctx, actor, "payments.commit", "payment_run", fmt.Sprint(run.ID), before, run)
	})
	return run, err
}

// DiscardPayments throws a draft away.
func (s *Store) DiscardPayments(ctx context.Context, actor, commissioner string, id int64) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE payment_runs SET status = 'discarded' WHERE id = ? AND commissioner_org = ? AND status = 'draft'", id, commissioner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "Only a draft can be discarded, and this run is not one (or not yours)")
		}
		return c.appendAudit(ctx, actor, "payments.discard", "payment_run", fmt.Sprint(id), nil,
			claims.PaymentRun{ID: id, Commissioner: commissioner, Status: claims.RunDiscarded})
	})
}

// ReversePayments takes back a committed run, for a stated reason, by a
// run of minus its lines (nothing is deleted). Its claims can then be paid
// again: they are given new ready numbers, so the next run pays them.
func (s *Store) ReversePayments(ctx context.Context, actor, commissioner string, id int64, reason string) (claims.PaymentRun, error) {
	var rev claims.PaymentRun
	err := s.tx(ctx, func(c conn) error {
		orig, err := scanRun(c.queryRow(ctx, "SELECT "+runColumns+" FROM payment_runs r WHERE r.id = ? AND r.commissioner_org = ?", id, commissioner))
		if err != nil {
			return notFound(err, "There is no such payment run")
		}
		if err := claims.CheckReversal(orig, reason); err != nil {
			return err
		}
		var seq int64
		if err := c.queryRow(ctx, "UPDATE ready_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq").Scan(&seq); err != nil {
			return err
		}
		rev = claims.PaymentRun{Commissioner: commissioner, Month: orig.Month, Kind: claims.ReversalKind, Status: claims.RunCommitted,
			Reverses: orig.ID, Reason: reason, CreatedAt: c.now.UTC().Truncate(time.Microsecond), CreatedBy: actor, Lines: orig.Lines, Pence: -orig.Pence}
		rev.CommittedAt, rev.CommittedBy = rev.CreatedAt, actor
		err = c.queryRow(ctx, `INSERT INTO payment_runs (commissioner_org, run_month, kind, status, reverses, reason, prev_watermark, watermark,
			created_at, created_by, committed_at, committed_by, lines, pence) VALUES (?, ?, 'reversal', 'committed', ?, ?, 0, 0, ?, ?, ?, ?, ?, ?) RETURNING id`,
			commissioner, dateArg(orig.Month), orig.ID, reason, c.tsArg(rev.CreatedAt), actor, c.tsArg(rev.CreatedAt), actor, rev.Lines, rev.Pence).Scan(&rev.ID)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.New(problem.Conflict, "This run has been reversed already")
		}
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "INSERT INTO payment_lines (run_id, claim_id, pence) SELECT ?, claim_id, -pence FROM payment_lines WHERE run_id = ?", rev.ID, orig.ID); err != nil {
			return err
		}
		// The original is reversed: its month may be paid again.
		res, err := c.exec(ctx, "UPDATE payment_runs SET status = 'reversed' WHERE id = ? AND status = 'committed'", orig.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "This run has been reversed already")
		}
		if _, err := c.exec(ctx, "UPDATE claims SET ready_seq = ? WHERE id IN (SELECT claim_id FROM payment_lines WHERE run_id = ?)", seq, orig.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "payments.reverse", "payment_run", fmt.Sprint(orig.ID), orig, rev)
	})
	return rev, err
}

// RunPayments drafts and at once commits the commissioner's run for month,
// with no check of its deadline: for loading data and benchmarks. People
// use DraftPayments and ConfirmPayments.
func (s *Store) RunPayments(ctx context.Context, actor, commissioner string, month time.Time) (claims.PaymentRun, error) {
	first, _ := claims.MonthOf(month)
	draft, err := s.draftRun(ctx, actor, commissioner, first, "")
	if err != nil {
		return draft, err
	}
	run, err := s.ConfirmPayments(ctx, actor, commissioner, draft.ID)
	if err != nil {
		if derr := s.DiscardPayments(ctx, actor, commissioner, draft.ID); derr != nil {
			return draft, errors.Join(err, derr)
		}
		return draft, err
	}
	return run, nil
}

// PaymentRuns lists runs newest first with their totals: a commissioner's
// runs (commissioner ≠ "", drafts and reversals too, not discarded ones),
// or, for org ≠ "", only the committed runs that paid (or took back from)
// that organisation, with only its lines counted.
func (s *Store) PaymentRuns(ctx context.Context, commissioner, org string) ([]claims.PaymentRun, error) {
	c := s.reader()
	query, args := "SELECT "+runColumns+" FROM payment_runs r WHERE r.commissioner_org = ? AND r.status <> 'discarded'", []any{commissioner}
	if commissioner == "" {
		query = `SELECT ` + runColumns + `, COUNT(*), SUM(l.pence) FROM payment_runs r JOIN payment_lines l ON l.run_id = r.id JOIN claims c ON c.id = l.claim_id
			WHERE c.org_code = ? GROUP BY r.id, r.commissioner_org, r.run_month, r.kind, r.status, r.reverses, r.reason, r.created_at, r.created_by,
			r.committed_at, r.committed_by, r.lines, r.pence, r.prev_watermark, r.watermark`
		args = []any{org}
	}
	rows, err := c.query(ctx, query+" ORDER BY r.run_month DESC, r.id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claims.PaymentRun
	for rows.Next() {
		if commissioner != "" {
			r, err := scanRun(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
			continue
		}
		var r claims.PaymentRun
		var n int
		var p int64
		if err := rows.Scan(&r.ID, &r.Commissioner, nullTime{&r.Month}, &r.Kind, &r.Status, &r.Reverses, &r.Reason, nullTime{&r.CreatedAt}, &r.CreatedBy,
			nullTime{&r.CommittedAt}, &r.CommittedBy, &r.Lines, &r.Pence, &r.PrevWatermark, &r.Watermark, &r.ReversedBy, &n, &p); err != nil {
			return nil, err
		}
		r.Lines, r.Pence = n, p // its own share, never the whole run's
		out = append(out, r)
	}
	return out, rows.Err()
}

// PaymentRun returns one run with its totals, if org made it or was paid
// (or taken back from) by it; any other id is NotFound. A draft is seen only
// by the commissioner that made it.
func (s *Store) PaymentRun(ctx context.Context, org string, id int64) (claims.PaymentRun, error) {
	r, err := scanRun(s.reader().queryRow(ctx, "SELECT "+runColumns+` FROM payment_runs r WHERE r.id = ? AND r.status <> 'discarded' AND (r.commissioner_org = ? OR EXISTS (
		SELECT 1 FROM payment_lines l JOIN claims c ON c.id = l.claim_id WHERE l.run_id = r.id AND c.org_code = ?))`, id, org, org))
	return r, notFound(err, "There is no such payment run")
}

// PaymentLines returns the lines of a run that org may see, by practice then
// service and period: the whole schedule for the commissioner that made it,
// a practice's own lines otherwise. A draft's lines are what it would pay.
func (s *Store) PaymentLines(ctx context.Context, run claims.PaymentRun, org string) ([]claims.PaymentLine, error) {
	const cols = "SELECT c.id, c.org_code, o.name, sv.code, sv.name, sv.frequency, c.period_start, "
	var query string
	var args []any
	if run.Status == claims.RunDraft {
		query, args = cols+"c.pence, c.explanation"+payable, []any{run.Commissioner, run.PrevWatermark, run.Watermark}
	} else {
		query = cols + `l.pence, c.explanation FROM payment_lines l JOIN claims c ON c.id = l.claim_id JOIN services sv ON sv.id = c.service_id
			JOIN orgs o ON o.code = c.org_code WHERE l.run_id = ?`
		args = []any{run.ID}
	}
	if org != run.Commissioner {
		query += " AND c.org_code = ?"
		args = append(args, org)
	}
	rows, err := s.reader().query(ctx, query+" ORDER BY c.org_code, sv.code, c.period_start", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claims.PaymentLine
	for rows.Next() {
		l := claims.PaymentLine{RunID: run.ID}
		if err := rows.Scan(&l.ClaimID, &l.Org, &l.OrgName, &l.ServiceCode, &l.ServiceName, &l.Frequency,
			nullTime{&l.Period}, &l.Pence, &l.Explanation); err != nil {
			return nil, err
		}
		l.Reference = claims.PaymentReference(run.Month, l.Org)
		out = append(out, l)
	}
	return out, rows.Err()
}

// PaymentExclusions lists, for a draft, the claims of its commissioner for
// periods ending by its month that it leaves out, and why: not ready yet
// (awaiting approval, queried, awaiting finance), or ready but for a period
// after the practice closed or the service ended.
func (s *Store) PaymentExclusions(ctx context.Context, run claims.PaymentRun) ([]claims.Excluded, error) {
	_, last := claims.MonthOf(run.Month)
	c := s.reader()
	notReady, err := c.claimList(ctx, ` WHERE sv.commissioner_org = ? AND c.period_end <= ? AND c.ready_seq IS NULL AND c.status NOT IN ('rejected', 'draft')
		ORDER BY c.org_code, sv.code, c.period_start`, run.Commissioner, dateArg(last))
	if err != nil {
		return nil, err
	}
	var out []claims.Excluded
	for _, cl := range notReady {
		out = append(out, claims.Excluded{Claim: cl, Why: claims.ExcludedWhy(cl)})
	}
	stranded, err := c.claimList(ctx, ` WHERE sv.commissioner_org = ? AND c.ready_seq > ? AND c.ready_seq <= ?
		AND ((o.status = 'C' AND o.close_date IS NULL) OR o.close_date < c.period_start OR o.open_date > c.period_end OR sv.ends_on < c.period_start)
		ORDER BY c.org_code, sv.code, c.period_start`, run.Commissioner, run.PrevWatermark, run.Watermark)
	if err != nil {
		return nil, err
	}
	for _, cl := range stranded {
		out = append(out, claims.Excluded{Claim: cl, Why: "For a period after the practice closed or the service ended, or before the practice opened: not payable"})
	}
	return out, nil
}
