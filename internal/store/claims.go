package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

const claimColumns = `c.id, c.service_id, sv.code, sv.name, c.org_code, o.name, c.period_start, c.period_end, c.status, c.version,
	c.activity_json, c.pence, c.explanation, c.submitted_at, c.late, c.message,
	(SELECT MIN(r.id) FROM payment_runs r WHERE r.commissioner_org = sv.commissioner_org AND r.watermark >= c.ready_seq)`

func scanClaim(sc interface{ Scan(...any) error }) (claims.Claim, error) {
	var cl claims.Claim
	var act string
	var late int
	var run sql.NullInt64
	err := sc.Scan(&cl.ID, &cl.ServiceID, &cl.ServiceCode, &cl.ServiceName, &cl.Org, &cl.OrgName, nullTime{&cl.Period.Start},
		nullTime{&cl.Period.End}, &cl.Status, &cl.Version, &act, &cl.Pence, &cl.Explanation, nullTime{&cl.SubmittedAt}, &late,
		&cl.Message, &run)
	if err != nil {
		return cl, err
	}
	cl.Late, cl.PaymentRunID = late == 1, run.Int64
	if run.Valid {
		cl.Status = claims.Paid // paid by the first run whose watermark reaches it
	}
	err = json.Unmarshal([]byte(act), &cl.Activity)
	return cl, err
}

const claimFrom = " FROM claims c JOIN services sv ON sv.id = c.service_id JOIN orgs o ON o.code = c.org_code"

// paidCond is true for a claim some payment run has paid.
const paidCond = `c.ready_seq <= (SELECT COALESCE(MAX(r.watermark), 0) FROM payment_runs r WHERE r.commissioner_org = sv.commissioner_org)`

func (c conn) claimList(ctx context.Context, where string, args ...any) ([]claims.Claim, error) {
	rows, err := c.query(ctx, "SELECT "+claimColumns+claimFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claims.Claim
	for rows.Next() {
		cl, err := scanClaim(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, cl)
	}
	return out, rows.Err()
}

// ClaimBy returns one claim made by org; any other id is NotFound.
func (s *Store) ClaimBy(ctx context.Context, org string, id int64) (claims.Claim, error) {
	list, err := s.reader().claimList(ctx, " WHERE c.id = ? AND c.org_code = ?", id, org)
	if err != nil {
		return claims.Claim{}, err
	}
	if len(list) == 0 {
		return claims.Claim{}, problem.New(problem.NotFound, "There is no such claim")
	}
	return list[0], nil
}

// Return builds an organisation's return for a month: every service it may
// claim whose period ends in that month, with what is saved so far and a
// preview of the payment. chain is the organisation and those above it, when
// the caller has it already (nil to look it up): eligibility turns on the
// Place and ICB above, which a move between PCNs does not change.
func (s *Store) Return(ctx context.Context, org string, month time.Time, chain ...string) ([]claims.ReturnLine, error) {
	o, err := s.Org(ctx, org)
	if err != nil {
		return nil, err
	}
	first, last := claims.MonthOf(month)
	if len(chain) == 0 {
		if chain, err = s.Ancestry(ctx, org, last); err != nil {
			return nil, err
		}
	}
	services, err := s.Services(ctx, nil, claims.FinancialYear(month))
	if err != nil {
		return nil, err
	}
	offers, err := s.Offers(ctx, 0, org)
	if err != nil {
		return nil, err
	}
	saved, err := s.reader().claimList(ctx, " WHERE c.org_code = ? AND c.period_end >= ? AND c.period_end <= ?", org, dateArg(first), dateArg(last))
	if err != nil {
		return nil, err
	}
	lines := claims.ReturnLines(month, o, chain, services, offers, saved)
	for i := range lines {
		l := &lines[i]
		if l.Facts, err = s.facts(ctx, l.Service, o, l.Period, l.Offer); err != nil {
			return nil, err
		}
		if err := l.PricePreview(); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// facts gathers what pricing needs beyond the claim: the list on the
// period's first day, and the days signed up and open.
func (s *Store) facts(ctx context.Context, sv claims.Service, o orgs.Org, p claims.Period, offer *claims.Offer) (claims.Facts, error) {
	var list *claims.List
	if sv.NeedsList(o.Kind == orgs.Practice) {
		pt, err := s.PatientsOn(ctx, o.Code, p.Start)
		switch {
		case problem.KindOf(err) == problem.NotFound:
		case err != nil:
			return claims.Facts{}, err
		default:
			list = &claims.List{Extract: pt.Extract, Patients: int64(pt.Count), Weighted: int64(pt.Weighted), HasWeighted: pt.HasWeighted}
		}
	}
	return claims.FactsFor(list, offer, o.CloseDate), nil
}

// SaveReturn saves (submit false) or submits (true) an organisation's return
// for a month in one transaction: every line is checked first, and any
// problem leaves everything as it was. Lines already submitted cannot be
// submitted again; they are corrected with Amend.
func (s *Store) SaveReturn(ctx context.Context, actor, org string, month time.Time, entries []claims.ReturnEntry, submit, declared bool) error {
	_, err := s.SaveReturnLines(ctx, actor, org, month, nil, entries, submit, declared)
	return err
}

// SaveReturnLines is SaveReturn for a caller that has read the return's
// lines already (nil reads them), and says whether a line submitted was late.
func (s *Store) SaveReturnLines(ctx context.Context, actor, org string, month time.Time, lines []claims.ReturnLine, entries []claims.ReturnEntry, submit, declared bool) (late bool, err error) {
	if lines == nil {
		if lines, err = s.Return(ctx, org, month); err != nil {
			return false, err
		}
	}
	o, err := s.Org(ctx, org)
	if err != nil {
		return false, err
	}
	todo, err := claims.PrepareReturn(lines, entries, o.Name, month, s.now(), submit, declared)
	if err != nil {
		return false, err
	}
	err = s.tx(ctx, func(c conn) error {
		for _, w := range todo {
			status := claims.Draft
			if submit {
				status = claims.AfterSubmit(w.Line.Service)
			}
			lineLate := submit && claims.IsLate(w.Line.Deadline, c.now)
			late = late || lineLate
			if _, err := c.writeClaim(ctx, actor, w.Line.Claim, w.Line.Service, org, w.Line.Period, status, w.Activity, w.Result, lineLate, declared); err != nil {
				return err
			}
		}
		return nil
	})
	return late, err
}

// writeClaim inserts or updates a claim; a submission adds a version.
func (c conn) writeClaim(ctx context.Context, actor string, before *claims.Claim, sv claims.Service, org string, p claims.Period,
	status claims.Status, act map[string]int64, res payrules.Result, late, declared bool) (int64, error) {
	actJSON, _ := json.Marshal(act)
	var id int64
	version := 0
	submitted := status != claims.Draft
	var at any
	if submitted {
		at = c.tsArg(c.now)
	}
	if before == nil {
		if submitted {
			version = 1
		}
		err := c.queryRow(ctx, `INSERT INTO claims (service_id, org_code, period_start, period_end, status, version, activity_json,
			pence, explanation, submitted_at, late, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '') RETURNING id`,
			sv.ID, org, dateArg(p.Start), dateArg(p.End), string(status), version, string(actJSON), res.Pence, res.Explanation,
			at, b2i(late)).Scan(&id)
		if err != nil {
			return 0, mapError(err)
		}
	} else {
		id, version = before.ID, before.Version
		if submitted {
			version++
		}
		if err := c.moveClaim(ctx, *before, `status = ?, version = ?, activity_json = ?, pence = ?, explanation = ?,
			submitted_at = COALESCE(?, submitted_at), late = ?, message = ''`,
			string(status), version, string(actJSON), res.Pence, res.Explanation, at, b2i(late || before.Late)); err != nil {
			return 0, err
		}
	}
	if status == claims.Finance {
		if err := c.markReady(ctx, id); err != nil {
			return 0, err
		}
	}
	if submitted {
		if _, err := c.exec(ctx, `INSERT INTO claim_versions (claim_id, version, status, activity_json, pence, explanation, declared,
			created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, version, string(status), string(actJSON), res.Pence,
			res.Explanation, b2i(declared), c.tsArg(c.now), actor); err != nil {
			return 0, err
		}
	}
	after := claims.Claim{ID: id, ServiceID: sv.ID, ServiceCode: sv.Code, Org: org, Period: p, Status: status, Version: version,
		Activity: act, Pence: res.Pence, Explanation: res.Explanation, Late: late}
	action := "claim.save"
	switch {
	case submitted && before != nil && before.Status != claims.Draft:
		action = "claim.amend"
	case submitted:
		action = "claim.submit"
	}
	var b any
	if before != nil {
		b = *before
	}
	return id, c.appendAudit(ctx, actor, action, "claim", fmt.Sprint(id), b, after)
}

// Amend submits a corrected version of org's submitted or queried claim,
// keeping every earlier version.
func (s *Store) Amend(ctx context.Context, actor, org string, id int64, raw map[string]string, declared bool) error {
	cl, err := s.ClaimBy(ctx, org, id)
	if err != nil {
		return err
	}
	sv, err := s.reader().service(ctx, "", cl.ServiceID)
	if err != nil {
		return err
	}
	o, err := s.Org(ctx, cl.Org)
	if err != nil {
		return err
	}
	var offer *claims.Offer
	if ol, err := s.Offers(ctx, sv.ID, cl.Org); err != nil {
		return err
	} else if len(ol) > 0 {
		offer = &ol[0]
	}
	facts, err := s.facts(ctx, sv, o, cl.Period, offer)
	if err != nil {
		return err
	}
	act, res, err := claims.PrepareAmend(cl, sv, raw, declared, facts)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		_, err := c.writeClaim(ctx, actor, &cl, sv, cl.Org, cl.Period, claims.AfterSubmit(sv), act, res, false, declared)
		return err
	})
}

// ClaimVersions lists every submitted version of a claim, newest first.
func (s *Store) ClaimVersions(ctx context.Context, id int64) ([]claims.ClaimVersion, error) {
	rows, err := s.reader().query(ctx, `SELECT version, status, activity_json, pence, explanation, created_at, created_by
		FROM claim_versions WHERE claim_id = ? ORDER BY version DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claims.ClaimVersion
	for rows.Next() {
		var v claims.ClaimVersion
		var act string
		if err := rows.Scan(&v.Version, &v.Status, &act, &v.Pence, &v.Explanation, nullTime{&v.At}, &v.By); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(act), &v.Activity)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ClaimQuery filters claims for review.
type ClaimQuery struct {
	Commissioners []string // services commissioned by these (nil for all)
	ServiceID     int64
	Status        claims.Status
	Org           string
	PeriodStart   time.Time
	Limit, Offset int
}

// Claims returns one page of claims (newest period first) and the total.
func (s *Store) Claims(ctx context.Context, q ClaimQuery) ([]claims.Claim, int, error) {
	c := s.reader()
	where, args := " WHERE 1=1", []any{}
	if q.Commissioners != nil {
		in, a := inClause(q.Commissioners)
		where += " AND sv.commissioner_org IN " + in
		args = append(args, a...)
	}
	if q.ServiceID > 0 {
		where += " AND c.service_id = ?"
		args = append(args, q.ServiceID)
	}
	switch q.Status {
	case "":
	case claims.Paid:
		where += " AND " + paidCond
	default:
		where += " AND c.status = ? AND (c.ready_seq IS NULL OR NOT " + paidCond + ")"
		args = append(args, string(q.Status))
	}
	if q.Org != "" {
		where += " AND c.org_code = ?"
		args = append(args, q.Org)
	}
	if !q.PeriodStart.IsZero() {
		where += " AND c.period_start = ?"
		args = append(args, dateArg(q.PeriodStart))
	}
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*)"+claimFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	list, err := c.claimList(ctx, where+" ORDER BY c.period_end DESC, sv.code, o.name LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)...)
	return list, total, err
}

// Review applies one action to several claims on services commissioner
// commissions, all or none (a claim of anyone else's is NotFound): a claim
// in the wrong state for the action stops the lot with its name. Each move
// is a compare-and-set on the claim's status and version, so a claim amended
// or reviewed since it was read is not changed behind anyone's back.
//
// seen holds, for the claims the reviewer was shown, the version they saw:
// a claim amended since is not changed, and the reviewer is told so (a
// claim is approved as it was read, never as it became behind their back).
func (s *Store) Review(ctx context.Context, actor, commissioner string, ids []int64, seen map[int64]int, action claims.Action, message string) error {
	message = strings.TrimSpace(message)
	if err := claims.CheckReview(action, ids, message); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		for _, id := range ids {
			list, err := c.claimList(ctx, " WHERE c.id = ? AND sv.commissioner_org = ?", id, commissioner)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return problem.New(problem.NotFound, "Claim %d is not for a service %s commissions", id, commissioner)
			}
			cl := list[0]
			if v, ok := seen[id]; ok && v != cl.Version {
				return problem.New(problem.Conflict, "%s's claim for %s changed while you were reviewing it (it is now version %d). Reload the page to see it as it is now.",
					cl.OrgName, cl.ServiceName, cl.Version)
			}
			sv, err := scanService(c.queryRow(ctx, "SELECT "+serviceColumns+" FROM services sv WHERE sv.id = ?", cl.ServiceID))
			if err != nil {
				return err
			}
			next, err := claims.Next(action, cl, sv)
			if err != nil {
				return err
			}
			if err := c.moveClaim(ctx, cl, "status = ?, message = ?", string(next), message); err != nil {
				return err
			}
			if next == claims.Finance {
				if err := c.markReady(ctx, id); err != nil {
					return err
				}
			}
			after := cl
			after.Status, after.Message = next, message
			if err := c.appendAudit(ctx, actor, "claim."+string(action), "claim", fmt.Sprint(id), cl, after); err != nil {
				return err
			}
		}
		return nil
	})
}

// errClaimChanged is the conflict of a compare-and-set that found the claim
// no longer as it was read.
var errClaimChanged = problem.New(problem.Conflict, "This claim changed while you were working on it. Reload the page to see it as it is now, then try again.")

// moveClaim updates a claim only if its status and version are still those
// of before (as read); zero rows means someone else moved it first.
func (c conn) moveClaim(ctx context.Context, before claims.Claim, set string, args ...any) error {
	res, err := c.exec(ctx, "UPDATE claims SET "+set+" WHERE id = ? AND status = ? AND version = ?",
		append(args, before.ID, string(before.Status), before.Version)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errClaimChanged
	}
	return nil
}

// markReady gives a claim the next ready number: it will be paid by the
// next payment run of its commissioner. The counter row's lock orders this
// against runs, so a run's watermark never passes a claim not yet committed.
func (c conn) markReady(ctx context.Context, id int64) error {
	var seq int64
	if err := c.queryRow(ctx, "UPDATE ready_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq").Scan(&seq); err != nil {
		return err
	}
	_, err := c.exec(ctx, "UPDATE claims SET ready_seq = ? WHERE id = ?", seq, id)
	return err
}

// RunPayments pays every claim of the commissioner's services that is ready
// (approved, and approved by finance where the service asks) and not yet
// paid, under the label of month. Each commissioner runs each month once; a
// claim is paid once ever. The run writes one row, however many claims it
// pays: its watermark marks them all.
func (s *Store) RunPayments(ctx context.Context, actor, commissioner string, month time.Time) (claims.PaymentRun, error) {
	m := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	run := claims.PaymentRun{Commissioner: commissioner, Month: m, CreatedBy: actor}
	err := s.tx(ctx, func(c conn) error {
		var kind orgs.Kind
		if err := c.queryRow(ctx, "SELECT kind FROM orgs WHERE code = ?", commissioner).Scan(&kind); err != nil {
			return notFound(err, "There is no organisation with the code %s", commissioner)
		}
		if !kind.Commissions() {
			return problem.New(problem.Invalid, "Payment runs are made by a Place or an ICB; %s is a %s", commissioner, kind.Label())
		}
		run.CreatedAt = c.now.UTC().Truncate(time.Microsecond)
		// Lock the counter: claims becoming ready wait until the run is made.
		if err := c.queryRow(ctx, "UPDATE ready_counter SET seq = seq WHERE id = 1 RETURNING seq").Scan(&run.Watermark); err != nil {
			return err
		}
		if err := c.queryRow(ctx, "SELECT COALESCE(MAX(watermark), 0) FROM payment_runs WHERE commissioner_org = ?", commissioner).Scan(&run.PrevWatermark); err != nil {
			return err
		}
		prev, watermark := run.PrevWatermark, run.Watermark
		var total sql.NullInt64
		if err := c.queryRow(ctx, `SELECT COUNT(*), SUM(c.pence) FROM claims c JOIN services sv ON sv.id = c.service_id
			WHERE sv.commissioner_org = ? AND c.ready_seq > ? AND c.ready_seq <= ?`, commissioner, prev, watermark).Scan(&run.Lines, &total); err != nil {
			return err
		}
		run.Pence = total.Int64
		err := c.queryRow(ctx, `INSERT INTO payment_runs (commissioner_org, run_month, prev_watermark, watermark, created_at, created_by, lines, pence)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, commissioner, dateArg(m), prev, watermark, c.tsArg(run.CreatedAt), actor,
			run.Lines, run.Pence).Scan(&run.ID)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.New(problem.Conflict, "The payment run for %s has already been made. Claims approved since then go in the next month's run.", m.Format("January 2006"))
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "payments.run", "payment_run", fmt.Sprint(run.ID), nil, run)
	})
	return run, err
}

// PaymentRuns lists runs newest first with their totals: a commissioner's
// runs (commissioner ≠ ""), or, for org ≠ "", only the runs that paid that
// organisation, with only its lines counted.
func (s *Store) PaymentRuns(ctx context.Context, commissioner, org string) ([]claims.PaymentRun, error) {
	c := s.reader()
	where, args := "", []any{}
	if commissioner != "" {
		where, args = " WHERE r.commissioner_org = ?", []any{commissioner}
	}
	rows, err := c.query(ctx, `SELECT r.id, r.commissioner_org, r.run_month, r.created_at, r.created_by, r.lines, r.pence
		FROM payment_runs r`+where+" ORDER BY r.run_month DESC, r.id DESC", args...)
	if err != nil {
		return nil, err
	}
	var out []claims.PaymentRun
	for rows.Next() {
		var r claims.PaymentRun
		if err := rows.Scan(&r.ID, &r.Commissioner, nullTime{&r.Month}, nullTime{&r.CreatedAt}, &r.CreatedBy, &r.Lines, &r.Pence); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || org == "" {
		return out, err
	}
	// One organisation's share, reached through its own claims.
	rows, err = c.query(ctx, `SELECT r.id, COUNT(*), SUM(c.pence) FROM claims c JOIN services sv ON sv.id = c.service_id
		JOIN payment_runs r ON r.commissioner_org = sv.commissioner_org AND c.ready_seq > r.prev_watermark AND c.ready_seq <= r.watermark
		WHERE c.org_code = ? GROUP BY r.id`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	share := map[int64][2]int64{}
	for rows.Next() {
		var id, n, p int64
		if err := rows.Scan(&id, &n, &p); err != nil {
			return nil, err
		}
		share[id] = [2]int64{n, p}
	}
	var mine []claims.PaymentRun
	for _, r := range out {
		if sh, ok := share[r.ID]; ok {
			r.Lines, r.Pence = int(sh[0]), sh[1]
			mine = append(mine, r)
		}
	}
	return mine, rows.Err()
}

// PaymentRun returns one run with its totals, if org made it or was paid by
// it; any other id is NotFound.
func (s *Store) PaymentRun(ctx context.Context, org string, id int64) (claims.PaymentRun, error) {
	var r claims.PaymentRun
	err := s.reader().queryRow(ctx, `SELECT r.id, r.commissioner_org, r.run_month, r.created_at, r.created_by, r.lines, r.pence,
		r.prev_watermark, r.watermark FROM payment_runs r WHERE r.id = ? AND (r.commissioner_org = ? OR EXISTS (
			SELECT 1 FROM claims c JOIN services sv ON sv.id = c.service_id WHERE c.org_code = ?
			AND sv.commissioner_org = r.commissioner_org AND c.ready_seq > r.prev_watermark AND c.ready_seq <= r.watermark))`,
		id, org, org).Scan(&r.ID, &r.Commissioner, nullTime{&r.Month}, nullTime{&r.CreatedAt}, &r.CreatedBy,
		&r.Lines, &r.Pence, &r.PrevWatermark, &r.Watermark)
	return r, notFound(err, "There is no such payment run")
}

// PaymentLines returns the lines of a run (as PaymentRun read it) that org
// may see, by practice then service and period: the whole schedule for the
// commissioner that made it, a practice's own remittance lines otherwise.
func (s *Store) PaymentLines(ctx context.Context, run claims.PaymentRun, org string) ([]claims.PaymentLine, error) {
	where, args := " WHERE sv.commissioner_org = ? AND c.ready_seq > ? AND c.ready_seq <= ?", []any{run.Commissioner, run.PrevWatermark, run.Watermark}
	if org != run.Commissioner {
		where += " AND c.org_code = ?"
		args = append(args, org)
	}
	rows, err := s.reader().query(ctx, `SELECT c.id, c.org_code, o.name, sv.code, sv.name, sv.frequency, c.period_start, c.pence, c.explanation
		FROM claims c JOIN services sv ON sv.id = c.service_id JOIN orgs o ON o.code = c.org_code`+where+
		" ORDER BY c.org_code, sv.code, c.period_start", args...)
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
