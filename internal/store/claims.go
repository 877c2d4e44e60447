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
	c.activity_json, c.pence, c.explanation, c.submitted_at, c.late, c.message, c.reply, c.draft_reason, c.approved_by, c.flag,
	(SELECT MAX(l.run_id) FROM payment_lines l JOIN payment_runs r ON r.id = l.run_id WHERE l.claim_id = c.id AND r.kind = 'payment' AND r.status = 'committed')`

func scanClaim(sc interface{ Scan(...any) error }) (claims.Claim, error) {
	var cl claims.Claim
	var act string
	var late int
	var run sql.NullInt64
	err := sc.Scan(&cl.ID, &cl.ServiceID, &cl.ServiceCode, &cl.ServiceName, &cl.Org, &cl.OrgName, nullTime{&cl.Period.Start},
		nullTime{&cl.Period.End}, &cl.Status, &cl.Version, &act, &cl.Pence, &cl.Explanation, nullTime{&cl.SubmittedAt}, &late,
		&cl.Message, &cl.Reply, &cl.DraftReason, &cl.ApprovedBy, &cl.Flag, &run)
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

// paidCond is true for a claim a payment run has paid and no reversal has
// taken back (a run's lines are written when it is committed).
const paidCond = `EXISTS (SELECT 1 FROM payment_lines l JOIN payment_runs r ON r.id = l.run_id WHERE l.claim_id = c.id AND r.kind = 'payment' AND r.status = 'committed')`

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
	returns, err := s.Returns(ctx, org, []time.Time{month}, chain...)
	if err != nil {
		return nil, err
	}
	return returns[0], nil
}

// Returns is Return for several months at once (the year of returns a home
// page shows), reading what they share once: the organisation, its offers,
// its claims and their history, and its registered lists.
func (s *Store) Returns(ctx context.Context, org string, months []time.Time, chain ...string) ([][]claims.ReturnLine, error) {
	o, err := s.Org(ctx, org)
	if err != nil {
		return nil, err
	}
	offers, err := s.Offers(ctx, 0, org)
	if err != nil {
		return nil, err
	}
	var from, to time.Time // the months' first and last days
	for i, m := range months {
		first, last := claims.MonthOf(m)
		if i == 0 || first.Before(from) {
			from = first
		}
		if i == 0 || last.After(to) {
			to = last
		}
	}
	saved, err := s.reader().claimList(ctx, " WHERE c.org_code = ? AND c.period_end >= ? AND c.period_end <= ?", org, dateArg(from), dateArg(to))
	if err != nil {
		return nil, err
	}
	out := make([][]claims.ReturnLine, len(months))
	var periods []claims.Period
	for i, month := range months {
		first, last := claims.MonthOf(month)
		chain := chain
		if len(chain) == 0 {
			if chain, err = s.Ancestry(ctx, org, last); err != nil {
				return nil, err
			}
		}
		services, err := s.Services(ctx, nil, claims.FinancialYear(month))
		if err != nil {
			return nil, err
		}
		var inMonth []claims.Claim
		for _, cl := range saved {
			if !cl.Period.End.Before(first) && !cl.Period.End.After(last) {
				inMonth = append(inMonth, cl)
			}
		}
		out[i] = claims.ReturnLines(month, o, chain, services, offers, inMonth)
		for _, l := range out[i] {
			periods = append(periods, l.Period)
		}
	}
	if len(periods) == 0 {
		return out, nil
	}
	history, err := s.history(ctx, o, periods)
	if err != nil {
		return nil, err
	}
	lists := map[time.Time]*claims.List{} // lines mostly share a period's first day
	for _, lines := range out {
		for i := range lines {
			l := &lines[i]
			if l.Facts, err = s.facts(ctx, l.Service, o, l.Period, l.Offer, lists); err != nil {
				return nil, err
			}
			l.Usual = history.usual(l.Service, o, l.Period)
			if err := l.PricePreview(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// pastClaim is a claim made (not a draft), as usual compares with it.
type pastClaim struct {
	service  string
	start    time.Time
	activity map[string]int64
}

// claimHistory is an organisation's claims in the twelve months before the
// earliest of some periods, up to the latest: one read for a whole return.
type claimHistory []pastClaim

func (s *Store) history(ctx context.Context, o orgs.Org, periods []claims.Period) (claimHistory, error) {
	from, to := periods[0].Start, periods[0].Start
	for _, p := range periods {
		if p.Start.Before(from) {
			from = p.Start
		}
		if p.Start.After(to) {
			to = p.Start
		}
	}
	rows, err := s.reader().query(ctx, `SELECT sv.code, c.period_start, c.activity_json FROM claims c JOIN services sv ON sv.id = c.service_id
		WHERE c.org_code = ? AND c.status <> 'draft' AND c.period_start < ? AND c.period_start >= ?`,
		o.Code, dateArg(to.AddDate(1, 0, 0)), dateArg(from.AddDate(-1, 0, 0)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out claimHistory
	for rows.Next() {
		var pc pastClaim
		var act string
		if err := rows.Scan(&pc.service, nullTime{&pc.start}, &act); err != nil {
			return nil, err
		}
		if json.Unmarshal([]byte(act), &pc.activity) == nil {
			out = append(out, pc)
		}
	}
	return out, rows.Err()
}

// usual is what a line's figures are compared with: the practice's list
// and its claims for the service over the twelve months before the period;
// where those are too few to judge by (claims.MinHistory), the twelve months
// after it as well, so that a late return, the first of a service or one
// caught up after others is judged too (a walk claimed 9,000 tests, thirty
// times its usual, on the return for the month before its first claim).
func (h claimHistory) usual(sv claims.Service, o orgs.Org, p claims.Period) claims.Usual {
	u := claims.Usual{History: map[string][]int64{}}
	if o.Kind == orgs.Practice {
		u.ListSize = int64(o.ListSize)
	}
	before, after := map[string][]int64{}, map[string][]int64{}
	from, until := p.Start.AddDate(-1, 0, 0), p.Start.AddDate(1, 0, 0)
	for _, pc := range h {
		if pc.service != sv.Code || pc.start.Equal(p.Start) || pc.start.Before(from) || !pc.start.Before(until) {
			continue
		}
		side := before
		if pc.start.After(p.Start) {
			side = after
		}
		for k, v := range pc.activity {
			side[k] = append(side[k], v)
		}
	}
	for k, v := range before {
		u.History[k] = v
	}
	for k, v := range after {
		if len(before[k]) < claims.MinHistory {
			u.History[k] = append(u.History[k], v...)
		}
	}
	return u
}

// facts gathers what pricing needs beyond the claim: the list on the
// period's first day (a PCN's: its members' then), and the days signed up
// and open. lists keeps the lists read, by day, for the next line.
func (s *Store) facts(ctx context.Context, sv claims.Service, o orgs.Org, p claims.Period, offer *claims.Offer, lists map[time.Time]*claims.List) (claims.Facts, error) {
	var list *claims.List
	if sv.NeedsList() {
		var ok bool
		if list, ok = lists[p.Start]; !ok {
			var err error
			if list, err = s.listOn(ctx, o, p.Start); err != nil {
				return claims.Facts{}, err
			}
			lists[p.Start] = list
		}
	}
	return claims.FactsFor(list, offer, o.CloseDate), nil
}

// listOn is a practice's registered list on a day, or a PCN's: the sum of
// the lists of the practices that were its members that day. It is nil
// where any of them has no list loaded, and the claim then declares one.
func (s *Store) listOn(ctx context.Context, o orgs.Org, on time.Time) (*claims.List, error) {
	codes := []string{o.Code}
	switch o.Kind {
	case orgs.Practice:
	case orgs.PCN:
		members, err := s.Children(ctx, o, on)
		if err != nil || len(members) == 0 {
			return nil, err
		}
		codes = codes[:0]
		for _, m := range members {
			codes = append(codes, m.Code)
		}
	default:
		return nil, nil
	}
	list := &claims.List{HasWeighted: true, On: on}
	for _, code := range codes {
		pt, err := s.PatientsOn(ctx, code, on)
		switch {
		case problem.KindOf(err) == problem.NotFound:
			return nil, nil
		case err != nil:
			return nil, err
		}
		list.Patients += int64(pt.Count)
		list.Weighted += int64(pt.Weighted)
		list.HasWeighted = list.HasWeighted && pt.HasWeighted
		if pt.Extract.After(list.Extract) {
			list.Extract = pt.Extract
		}
	}
	if o.Kind == orgs.PCN {
		list.Members = len(codes)
	}
	return list, nil
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
			id, err := c.writeClaim(ctx, actor, w.Line.Claim, w.Line.Service, org, w.Line.Period, status, w.Activity, w.Result, lineLate, declared, w.Flag)
			if err != nil {
				return err
			}
			// A draft keeps its reason as typed; a submission, in its flag.
			// Written only when it changes: most saves leave it be.
			if was := w.Line.Claim; (was == nil && w.Reason != "") || (was != nil && was.DraftReason != w.Reason) {
				if _, err := c.exec(ctx, "UPDATE claims SET draft_reason = ? WHERE id = ?", w.Reason, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return late, err
}

// writeClaim inserts or updates a claim; a submission adds a version.
func (c conn) writeClaim(ctx context.Context, actor string, before *claims.Claim, sv claims.Service, org string, p claims.Period,
	status claims.Status, act map[string]int64, res payrules.Result, late, declared bool, flag string) (int64, error) {
	// The service as it is now, not as it was read before the transaction:
	// a withdrawal committed meanwhile refuses the claim. On PostgreSQL the
	// row is share-locked, so a withdrawal waits for this claim and then
	// sees it.
	var withdrawn sql.NullString
	if err := c.queryRow(ctx, "SELECT withdrawn_on FROM services WHERE id = ?"+c.rowLock("FOR SHARE"), sv.ID).Scan(&withdrawn); err != nil {
		return 0, err
	}
	if withdrawn.Valid {
		return 0, problem.New(problem.Conflict, "%s has been withdrawn, so it cannot be claimed: reload the page to see it as it is now", sv.Name)
	}
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
			pence, explanation, submitted_at, late, message, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) RETURNING id`,
			sv.ID, org, dateArg(p.Start), dateArg(p.End), string(status), version, string(actJSON), res.Pence, res.Explanation,
			at, b2i(late), flag).Scan(&id)
		if err != nil {
			// Another save of the same line made it first, after this
			// one read the return: as for any claim changed meanwhile.
			if err = mapError(err); problem.KindOf(err) == problem.Conflict {
				return 0, errClaimChanged
			}
			return 0, err
		}
	} else {
		id, version = before.ID, before.Version
		if submitted {
			version++
		}
		if err := c.moveClaim(ctx, *before, `status = ?, version = ?, activity_json = ?, pence = ?, explanation = ?,
			submitted_at = COALESCE(?, submitted_at), late = ?, message = '', flag = ?`,
			string(status), version, string(actJSON), res.Pence, res.Explanation, at, b2i(late || before.Late), flag); err != nil {
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
	// The claim as it now stands: what was read, with what this wrote, so
	// that the log names what changed (it said names were removed).
	var after claims.Claim
	if before != nil {
		after = *before
		after.Late = late || before.Late
	} else {
		after.Late = late
	}
	after.ID, after.ServiceID, after.ServiceCode, after.ServiceName, after.Org, after.Period = id, sv.ID, sv.Code, sv.Name, org, p
	after.Status, after.Version, after.Activity, after.Pence, after.Explanation = status, version, act, res.Pence, res.Explanation
	after.Message, after.Flag = "", flag
	if submitted {
		after.SubmittedAt = c.now
	}
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
func (s *Store) Amend(ctx context.Context, actor, org string, id int64, raw map[string]string, declared bool, unusual, reply string) error {
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
	facts, err := s.facts(ctx, sv, o, cl.Period, offer, map[time.Time]*claims.List{})
	if err != nil {
		return err
	}
	history, err := s.history(ctx, o, []claims.Period{cl.Period})
	if err != nil {
		return err
	}
	usual := history.usual(sv, o, cl.Period)
	act, res, flag, err := claims.PrepareAmend(cl, sv, raw, declared, facts, usual, unusual)
	if err != nil {
		return err
	}
	if reply, err = claims.CheckReply(cl, reply); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		if _, err := c.writeClaim(ctx, actor, &cl, sv, cl.Org, cl.Period, claims.AfterSubmit(sv), act, res, false, declared, flag); err != nil {
			return err
		}
		if reply == "" {
			return nil
		}
		if _, err := c.exec(ctx, "UPDATE claims SET reply = ? WHERE id = ?", reply, cl.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "claim.reply", "claim", fmt.Sprint(cl.ID), nil,
			claims.Claim{ID: cl.ID, Org: cl.Org, ServiceCode: cl.ServiceCode, Message: cl.Message, Reply: reply})
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
	Month         time.Time // claims for periods ending in this month
	Limit, Offset int
}

// ClaimsTotal is how many claims a query finds, and what they come to.
type ClaimsTotal struct {
	Claims int   `json:"claims"`
	Pence  int64 `json:"pence"`
}

// Claims returns one page of claims (newest period first) and the total.
func (s *Store) Claims(ctx context.Context, q ClaimQuery) ([]claims.Claim, int, error) {
	list, total, err := s.ClaimsTotalled(ctx, q)
	return list, total.Claims, err
}

// ClaimsTotalled is Claims with the total amount of every claim the query
// finds. Late claims come first: a reviewer looks at them first.
func (s *Store) ClaimsTotalled(ctx context.Context, q ClaimQuery) ([]claims.Claim, ClaimsTotal, error) {
	c := s.reader()
	var total ClaimsTotal
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
	if !q.Month.IsZero() {
		first, last := claims.MonthOf(q.Month)
		where += " AND c.period_end >= ? AND c.period_end <= ?"
		args = append(args, dateArg(first), dateArg(last))
	}
	var pence sql.NullInt64
	if err := c.queryRow(ctx, "SELECT COUNT(*), SUM(c.pence)"+claimFrom+where, args...).Scan(&total.Claims, &pence); err != nil {
		return nil, total, err
	}
	total.Pence = pence.Int64
	if q.Limit <= 0 {
		q.Limit = 50
	}
	list, err := c.claimList(ctx, where+" ORDER BY (c.flag <> '') DESC, c.late DESC, c.period_end DESC, sv.code, o.name, c.id LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)...)
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
		// Every claim locked first, in one order (lockClaims).
		in, args := inClause(ids)
		if err := c.lockClaims(ctx, "id IN "+in, args...); err != nil {
			return err
		}
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
			// Whoever submitted any version of the claim submitted it: a
			// colleague's amendment does not make it someone else's.
			var submittedBy string
			if err := c.queryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN LOWER(created_by) = LOWER(?) THEN created_by END), MAX(CASE WHEN version = ? THEN created_by END), '')
				FROM claim_versions WHERE claim_id = ?`, actor, cl.Version, id).Scan(&submittedBy); err != nil {
				return err
			}
			if err := claims.CheckSeparation(action, cl, sv, actor, submittedBy); err != nil {
				return err
			}
			approvedBy := cl.ApprovedBy
			if action == claims.ActApprove {
				approvedBy = actor
			}
			// Acting on a claim answers its reply: the next query starts afresh.
			if err := c.moveClaim(ctx, cl, "status = ?, message = ?, reply = '', approved_by = ?", string(next), message, approvedBy); err != nil {
				return err
			}
			if next == claims.Finance {
				if err := c.markReady(ctx, id); err != nil {
					return err
				}
			}
			after := cl
			after.Status, after.Message, after.ApprovedBy = next, message, approvedBy
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
