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

// ReturnLine is one service on an organisation's monthly return.
type ReturnLine struct {
	Service  claims.Service  `json:"service"`
	Period   claims.Period   `json:"period"`
	Deadline time.Time       `json:"deadline"`
	Claim    *claims.Claim   `json:"claim,omitempty"` // nil until something is saved
	Preview  payrules.Result `json:"preview"`
	Problem  string          `json:"preview_problem,omitempty"`
	offer    *claims.Offer
	facts    claims.Facts
}

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

// Claim returns one claim.
func (s *Store) Claim(ctx context.Context, id int64) (claims.Claim, error) {
	list, err := s.reader().claimList(ctx, " WHERE c.id = ?", id)
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
func (s *Store) Return(ctx context.Context, org string, month time.Time, chain ...string) ([]ReturnLine, error) {
	c := s.reader()
	o, err := s.Org(ctx, org)
	if err != nil {
		return nil, err
	}
	monthEnd := time.Date(month.Year(), month.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	if len(chain) == 0 {
		if chain, err = s.Ancestry(ctx, org, monthEnd); err != nil {
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
	offerOf := map[int64]*claims.Offer{}
	for i := range offers {
		offerOf[offers[i].ServiceID] = &offers[i]
	}
	saved, err := c.claimList(ctx, " WHERE c.org_code = ? AND c.period_end >= ? AND c.period_end <= ?", org,
		dateArg(time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)), dateArg(monthEnd))
	if err != nil {
		return nil, err
	}
	claimOf := map[int64]*claims.Claim{}
	for i := range saved {
		claimOf[saved[i].ServiceID] = &saved[i]
	}
	var out []ReturnLine
	for _, sv := range services {
		p, ok := sv.PeriodEndingIn(month)
		if !ok || !sv.Eligible(org, o.Kind == orgs.PCN, chain, offerOf[sv.ID]) {
			continue
		}
		line := ReturnLine{Service: sv, Period: p, Deadline: sv.Deadline(p), Claim: claimOf[sv.ID], offer: offerOf[sv.ID]}
		activity := map[string]int64{}
		if line.Claim != nil {
			activity = line.Claim.Activity
		}
		if line.facts, err = s.facts(ctx, sv, o, p, line.offer); err != nil {
			return nil, err
		}
		if line.Preview, err = claims.Price(sv, p, activity, line.facts); err != nil {
			line.Problem = problem.Message(err)
			if line.Problem == "" {
				return nil, err
			}
		}
		out = append(out, line)
	}
	return out, nil
}

// facts gathers what pricing needs beyond the claim: the list on the
// period's first day, and the days signed up and open.
func (s *Store) facts(ctx context.Context, sv claims.Service, o orgs.Org, p claims.Period, offer *claims.Offer) (claims.Facts, error) {
	var f claims.Facts
	if sv.Rule.Kind == payrules.Capitation && o.Kind == orgs.Practice {
		pt, err := s.PatientsOn(ctx, o.Code, p.Start)
		switch {
		case problem.KindOf(err) == problem.NotFound:
		case err != nil:
			return f, err
		default:
			f.Patients, f.Weighted, f.HasWeighted, f.PatientsKnown = int64(pt.Count), int64(pt.Weighted), pt.HasWeighted, true
			f.PatientsNote = "registered on " + pt.Extract.Format("2 January 2006")
		}
	}
	if offer != nil && !offer.Start.IsZero() {
		f.ActiveFrom = offer.Start
	}
	if !o.CloseDate.IsZero() {
		f.ActiveTo = o.CloseDate
	}
	return f, nil
}

// ReturnEntry is what was typed for one service on a return.
type ReturnEntry struct {
	ServiceID int64
	Activity  map[string]string // field key → text
}

// SaveReturn saves (submit false) or submits (true) an organisation's return
// for a month in one transaction: every line is checked first, and any
// problem leaves everything as it was. Lines already submitted cannot be
// submitted again; they are corrected with Amend.
func (s *Store) SaveReturn(ctx context.Context, actor, org string, month time.Time, entries []ReturnEntry, submit, declared bool) error {
	lines, err := s.Return(ctx, org, month)
	if err != nil {
		return err
	}
	o, err := s.Org(ctx, org)
	if err != nil {
		return err
	}
	byID := map[int64]*ReturnLine{}
	for i := range lines {
		byID[lines[i].Service.ID] = &lines[i]
	}
	type work struct {
		line     *ReturnLine
		activity map[string]int64
		result   payrules.Result
	}
	var todo []work
	var errs problem.Fields
	needDecl := false
	for _, e := range entries {
		line, ok := byID[e.ServiceID]
		if !ok {
			return problem.New(problem.Invalid, "Service %d is not on %s's return for %s: it is not offered to them, not signed up to, or has no period ending that month",
				e.ServiceID, o.Name, month.Format("January 2006"))
		}
		if line.Claim != nil && line.Claim.Locked() {
			if hasAny(e.Activity) {
				errs.Add(claims.FieldName(line.Service.Code, firstKey(line.Service)), fmt.Sprintf("%s was already submitted on %s; to correct it, amend the claim",
					line.Service.Name, line.Claim.SubmittedAt.Format("2 January 2006")))
			}
			continue
		}
		if submit && !s.now().After(line.Period.End.AddDate(0, 0, 1)) {
			errs.Add(claims.FieldName(line.Service.Code, firstKey(line.Service)), fmt.Sprintf("%s: %s can be submitted once it has ended, from %s; save a draft until then",
				line.Service.Name, line.Period.Label(line.Service.Frequency), line.Period.End.AddDate(0, 0, 1).Format("2 January 2006")))
			continue
		}
		needDecl = needDecl || (submit && line.Service.NeedsDeclaration)
		act, ferrs := claims.ParseActivity(line.Service, e.Activity, submit)
		errs = append(errs, ferrs...)
		if len(ferrs) > 0 {
			continue
		}
		if !submit && !hasAny(e.Activity) {
			continue
		}
		res, err := claims.Price(line.Service, line.Period, act, line.facts)
		if err != nil {
			if problem.KindOf(err) == problem.Invalid {
				errs.Add(claims.FieldName(line.Service.Code, firstKey(line.Service)), line.Service.Name+": "+problem.Message(err))
				continue
			}
			return err
		}
		todo = append(todo, work{line, act, res})
	}
	if submit && needDecl && !declared {
		errs.Add("declaration", "Confirm the declaration before you submit")
	}
	if submit && len(todo) == 0 && len(errs) == 0 {
		errs.Add("return", "There is nothing left to submit on this return")
	}
	if len(errs) > 0 {
		return &problem.Error{Kind: problem.Invalid, Message: "The return was not saved: correct the problems below", Fields: errs}
	}
	return s.tx(ctx, func(c conn) error {
		for _, w := range todo {
			status := claims.Draft
			if submit {
				status = claims.AfterSubmit(w.line.Service)
			}
			late := submit && c.now.After(w.line.Deadline.AddDate(0, 0, 1))
			if _, err := c.writeClaim(ctx, actor, w.line.Claim, w.line.Service, org, w.line.Period, status, w.activity, w.result, late, declared); err != nil {
				return err
			}
		}
		return nil
	})
}

func hasAny(m map[string]string) bool {
	for _, v := range m {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

func firstKey(s claims.Service) string {
	if len(s.Fields) > 0 {
		return s.Fields[0].Key
	}
	return "claim"
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
		if _, err := c.exec(ctx, `UPDATE claims SET status = ?, version = ?, activity_json = ?, pence = ?, explanation = ?,
			submitted_at = COALESCE(?, submitted_at), late = ?, message = '' WHERE id = ?`,
			string(status), version, string(actJSON), res.Pence, res.Explanation, at, b2i(late || before.Late), id); err != nil {
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

// Amend submits a corrected version of a submitted or queried claim,
// keeping every earlier version.
func (s *Store) Amend(ctx context.Context, actor string, id int64, raw map[string]string, declared bool) error {
	cl, err := s.Claim(ctx, id)
	if err != nil {
		return err
	}
	if !cl.Amendable() {
		return problem.New(problem.Conflict, "This claim is %s, so it can no longer be amended", strings.ToLower(cl.Status.Label()))
	}
	sv, err := s.Service(ctx, cl.ServiceID)
	if err != nil {
		return err
	}
	act, errs := claims.ParseActivity(sv, raw, true)
	if sv.NeedsDeclaration && !declared {
		errs.Add("declaration", "Confirm the declaration before you submit")
	}
	if len(errs) > 0 {
		return &problem.Error{Kind: problem.Invalid, Message: "The amendment was not saved", Fields: errs}
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
	res, err := claims.Price(sv, cl.Period, act, facts)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		_, err := c.writeClaim(ctx, actor, &cl, sv, cl.Org, cl.Period, claims.AfterSubmit(sv), act, res, false, declared)
		return err
	})
}

// ClaimVersion is one submitted version of a claim.
type ClaimVersion struct {
	Version     int              `json:"version"`
	Status      claims.Status    `json:"status"`
	Activity    map[string]int64 `json:"activity"`
	Pence       int64            `json:"pence"`
	Explanation string           `json:"explanation"`
	At          time.Time        `json:"at"`
	By          string           `json:"by"`
}

// ClaimVersions lists every submitted version of a claim, newest first.
func (s *Store) ClaimVersions(ctx context.Context, id int64) ([]ClaimVersion, error) {
	rows, err := s.reader().query(ctx, `SELECT version, status, activity_json, pence, explanation, created_at, created_by
		FROM claim_versions WHERE claim_id = ? ORDER BY version DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClaimVersion
	for rows.Next() {
		var v ClaimVersion
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

// Review actions a commissioner (or finance) takes on submitted claims.
const (
	ActApprove = "approve"
	ActQuery   = "query"
	ActReject  = "reject"
	ActFinance = "finance"
)

// Review applies one action to several claims at once, all or none: a claim
// in the wrong state for the action stops the lot with its name.
func (s *Store) Review(ctx context.Context, actor string, ids []int64, action, message string) error {
	message = strings.TrimSpace(message)
	if (action == ActQuery || action == ActReject) && message == "" {
		return &problem.Error{Kind: problem.Invalid, Message: "Say why", Fields: problem.Fields{{Name: "message", Message: "Write a message to the practice saying why"}}}
	}
	if len(ids) == 0 {
		return &problem.Error{Kind: problem.Invalid, Message: "Choose at least one claim", Fields: problem.Fields{{Name: "claims", Message: "Choose at least one claim"}}}
	}
	return s.tx(ctx, func(c conn) error {
		for _, id := range ids {
			list, err := c.claimList(ctx, " WHERE c.id = ?", id)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return problem.New(problem.NotFound, "There is no claim %d", id)
			}
			cl := list[0]
			sv, err := scanService(c.queryRow(ctx, "SELECT "+serviceColumns+" FROM services sv WHERE sv.id = ?", cl.ServiceID))
			if err != nil {
				return err
			}
			var next claims.Status
			switch {
			case action == ActApprove && cl.Status == claims.Submitted:
				next = claims.AfterApprove(sv)
			case action == ActQuery && cl.Status == claims.Submitted:
				next = claims.Queried
			case action == ActReject && (cl.Status == claims.Submitted || cl.Status == claims.Queried):
				next = claims.Rejected
			case action == ActFinance && cl.Status == claims.Approved && sv.NeedsFinance:
				next = claims.Finance
			default:
				return problem.New(problem.Conflict, "%s's claim for %s, %s, is %s: it cannot be %s", cl.OrgName, cl.ServiceName,
					cl.Period.Label(sv.Frequency), strings.ToLower(cl.Status.Label()), map[string]string{ActApprove: "approved",
						ActQuery: "queried", ActReject: "rejected", ActFinance: "approved by finance"}[action])
			}
			if _, err := c.exec(ctx, "UPDATE claims SET status = ?, message = ? WHERE id = ?", string(next), message, id); err != nil {
				return err
			}
			if next == claims.Finance {
				if err := c.markReady(ctx, id); err != nil {
					return err
				}
			}
			after := cl
			after.Status, after.Message = next, message
			if err := c.appendAudit(ctx, actor, "claim."+action, "claim", fmt.Sprint(id), cl, after); err != nil {
				return err
			}
		}
		return nil
	})
}

// PaymentRun is one month's payments.
type PaymentRun struct {
	ID           int64     `json:"id"`
	Commissioner string    `json:"commissioner_org"`
	Month        time.Time `json:"month"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	Lines        int       `json:"lines"`
	Pence        int64     `json:"pence"`

	prev, watermark int64 // the ready numbers it pays: above prev, up to watermark
}

// PaymentLine is one claim paid in a run: a row of the payment schedule.
type PaymentLine struct {
	RunID       int64            `json:"run_id"`
	ClaimID     int64            `json:"claim_id"`
	Org         string           `json:"practice_code"`
	OrgName     string           `json:"practice_name"`
	ServiceCode string           `json:"service_code"`
	ServiceName string           `json:"service_name"`
	Frequency   claims.Frequency `json:"-"`
	Period      time.Time        `json:"period_start"`
	Pence       int64            `json:"pence"`
	Reference   string           `json:"payment_reference"`
	Explanation string           `json:"explanation"`
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
func (s *Store) RunPayments(ctx context.Context, actor, commissioner string, month time.Time) (PaymentRun, error) {
	m := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	run := PaymentRun{Commissioner: commissioner, Month: m, CreatedBy: actor}
	err := s.tx(ctx, func(c conn) error {
		run.CreatedAt = c.now.UTC().Truncate(time.Microsecond)
		// Lock the counter: claims becoming ready wait until the run is made.
		var watermark, prev int64
		if err := c.queryRow(ctx, "UPDATE ready_counter SET seq = seq WHERE id = 1 RETURNING seq").Scan(&watermark); err != nil {
			return err
		}
		if err := c.queryRow(ctx, "SELECT COALESCE(MAX(watermark), 0) FROM payment_runs WHERE commissioner_org = ?", commissioner).Scan(&prev); err != nil {
			return err
		}
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

// PaymentReference is the reference a practice sees on its bank statement
// for a month's payment: one per organisation per run, such as OPC2609-Y00001.
func PaymentReference(month time.Time, org string) string {
	return "OPC" + month.Format("0601") + "-" + org
}

// PaymentRuns lists runs newest first with their totals: a commissioner's
// runs (commissioner ≠ ""), or, for org ≠ "", only the runs that paid that
// organisation, with only its lines counted.
func (s *Store) PaymentRuns(ctx context.Context, commissioner, org string) ([]PaymentRun, error) {
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
	var out []PaymentRun
	for rows.Next() {
		var r PaymentRun
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
	var mine []PaymentRun
	for _, r := range out {
		if sh, ok := share[r.ID]; ok {
			r.Lines, r.Pence = int(sh[0]), sh[1]
			mine = append(mine, r)
		}
	}
	return mine, rows.Err()
}

// PaymentRunByID returns one run with its totals.
func (s *Store) PaymentRunByID(ctx context.Context, id int64) (PaymentRun, error) {
	var r PaymentRun
	err := s.reader().queryRow(ctx, `SELECT id, commissioner_org, run_month, created_at, created_by, lines, pence, prev_watermark, watermark
		FROM payment_runs WHERE id = ?`, id).Scan(&r.ID, &r.Commissioner, nullTime{&r.Month}, nullTime{&r.CreatedAt}, &r.CreatedBy,
		&r.Lines, &r.Pence, &r.prev, &r.watermark)
	return r, notFound(err, "There is no such payment run")
}

// PaymentLines returns a run's schedule, by practice then service and
// period; org ≠ "" gives one practice's remittance lines.
func (s *Store) PaymentLines(ctx context.Context, runID int64, org string) ([]PaymentLine, error) {
	run, err := s.PaymentRunByID(ctx, runID)
	if err != nil {
		return nil, err
	}
	where, args := " WHERE sv.commissioner_org = ? AND c.ready_seq > ? AND c.ready_seq <= ?", []any{run.Commissioner, run.prev, run.watermark}
	if org != "" {
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
	var out []PaymentLine
	for rows.Next() {
		l := PaymentLine{RunID: runID}
		if err := rows.Scan(&l.ClaimID, &l.Org, &l.OrgName, &l.ServiceCode, &l.ServiceName, &l.Frequency,
			nullTime{&l.Period}, &l.Pence, &l.Explanation); err != nil {
			return nil, err
		}
		l.Reference = PaymentReference(run.Month, l.Org)
		out = append(out, l)
	}
	return out, rows.Err()
}
