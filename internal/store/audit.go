package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/audit"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/sso"
)

// auditLock serialises appends across PostgreSQL connections and servers so
// that the chain never forks. SQLite writers are serialised already.
const auditLock = 7262001

// appendAudit adds an entry to the log in the caller's transaction, chained
// to the last one.
func (c conn) appendAudit(ctx context.Context, actor, action, entity, id string, before, after any) error {
	return c.appendAudits(ctx, actor, []auditItem{{action, entity, id, before, after}})
}

// auditOrg is the organisation an entry is about, worked out from what
// changed: a claim's claimant, a service's or payment run's commissioner, an
// offer's or target's organisation, a membership's practice, a grant's
// organisation, an organisation itself, the organisation whose register or
// capability review it is. "" when it is about no one organisation.
func auditOrg(it auditItem) string {
	v := it.after
	if v == nil {
		v = it.before
	}
	switch x := v.(type) {
	case claims.Claim:
		return x.Org
	case claims.Service:
		return x.Commissioner
	case claims.PaymentRun:
		return x.Commissioner
	case claims.Offer:
		return x.Org
	case orgs.Org:
		return x.Code
	case orgs.Membership:
		return x.PracticeCode
	case people.Grant:
		return x.OrgCode
	case Target:
		return x.Org
	case specUpload:
		return x.Commissioner
	case sso.Rule:
		if x.Org != "*" {
			return x.Org
		}
	}
	switch it.entity {
	case "org", "service_org":
		return it.id
	case "offer":
		_, org, _ := strings.Cut(it.id, "/")
		return org
	case "record_collection", "legal_hold", "destruction_certificate", "capability_review", "plan_round", "mustdo_item":
		org, _, _ := strings.Cut(it.id, "/") // ORG/number
		return org
	}
	return ""
}

// nationalEntities are the kinds of entry about no one organisation that
// reach everyone (the must-dos, their catalogue, the measures, capability
// frameworks, retention schedules and national imports): an administrator
// at an ICB or region reads them (AuditQuery.National).
const nationalEntities = "'mustdo_item', 'mustdo_catalogue', 'measure', 'capability_framework', 'retention_schedule', 'import'"

// auditItem is one change to record.
type auditItem struct {
	action, entity, id string
	before, after      any
}

// appendAudits adds entries in order, chained, with one look at the log's
// end and one bulk insert however many there are.
func (c conn) appendAudits(ctx context.Context, actor string, items []auditItem) error {
	if len(items) == 0 {
		return nil
	}
	if c.dialect == Postgres {
		if _, err := c.exec(ctx, "SELECT pg_advisory_xact_lock(?)", auditLock); err != nil {
			return err
		}
	}
	prev := audit.Entry{Hash: audit.Genesis} // an empty log chains to the genesis hash
	err := c.queryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	at := c.now.UTC().Truncate(1000) // both engines keep microseconds
	entries := make([]audit.Entry, len(items))
	for i, it := range items {
		e := audit.Entry{Seq: prev.Seq + 1, At: at, Actor: actor, Action: it.action, Entity: it.entity, EntityID: it.id,
			Before: audit.Marshal(it.before), After: audit.Marshal(it.after), PrevHash: prev.Hash}
		e.Hash = e.ComputeHash()
		entries[i], prev = e, e
	}
	err = c.bulkInsert(ctx, "audit_log", []string{"seq", "at", "actor", "action", "entity", "entity_id", "before_json", "after_json", "prev_hash", "hash", "org_code"},
		len(entries), func(i int) []any {
			e := entries[i]
			var org any
			if code := auditOrg(items[i]); code != "" {
				org = code
			}
			return []any{e.Seq, c.tsArg(e.At), e.Actor, e.Action, e.Entity, e.EntityID, rawArg(e.Before), rawArg(e.After), e.PrevHash, e.Hash, org}
		})
	if err != nil {
		return err
	}
	return nil
}

func rawArg(r json.RawMessage) any {
	if r == nil {
		return nil
	}
	return string(r)
}

const auditColumns = "seq, at, actor, action, entity, entity_id, before_json, after_json, prev_hash, hash"

func scanAudit(sc interface{ Scan(...any) error }) (audit.Entry, error) {
	var e audit.Entry
	var before, after sql.NullString
	err := sc.Scan(&e.Seq, nullTime{&e.At}, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &before, &after, &e.PrevHash, &e.Hash)
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return e, err
}

// AuditQuery filters the audit log; zero fields match everything.
type AuditQuery struct {
	// Roots limits the entries to those about organisations at or below
	// them (today), and those Actor made; All lifts the limit, for an
	// administrator at the top of a hierarchy, and shows the entries about
	// no one organisation too.
	Roots []string
	Actor string
	All   bool
	// National shows, besides, the entries about no one organisation that
	// are not about a person (the must-do catalogue, measures, frameworks):
	// changes that reach everyone, for administrators at an ICB or region.
	National  bool
	On        time.Time
	Entity    string
	EntityID  string
	Org       string // entries about this organisation only
	By        string // entries this person made only (their email)
	Action    string // entries of this action ("claim.approve"), or of this kind ("claim")
	Limit     int
	BeforeSeq int64 // entries older than this, for paging back; 0 for the newest
}

// AuditEntries returns entries newest first, and the total matching.
func (s *Store) AuditEntries(ctx context.Context, q AuditQuery) ([]audit.Entry, int, error) {
	c := s.reader()
	cte, where, args := "", " WHERE 1=1", []any{}
	if !q.All {
		cte, args = s.dialect.scopeCTE(q.Roots, q.On)
		// Entries about a person (kept by their id or email) are about every
		// organisation they hold a role at: the administrators of any of
		// them read them (a reset link made for one of theirs by someone
		// elsewhere, say).
		cte += `, scoped_people(k) AS (SELECT CAST(u.id AS TEXT) FROM users u JOIN grants g ON g.user_id = u.id WHERE g.org_code IN (SELECT code FROM scope)
			UNION SELECT LOWER(u.email) FROM users u JOIN grants g ON g.user_id = u.id WHERE g.org_code IN (SELECT code FROM scope))`
		national := ""
		if q.National {
			// Named, not "about no one organisation": an entry that
			// should name one and does not stays with the top.
			national = " OR (org_code IS NULL AND entity IN (" + nationalEntities + "))"
		}
		where += " AND (org_code IN (SELECT code FROM scope) OR actor = ? OR (entity = 'user' AND LOWER(entity_id) IN (SELECT k FROM scoped_people))" + national + ")"
		args = append(args, q.Actor)
	}
	if q.Entity != "" {
		where += " AND entity = ?"
		args = append(args, q.Entity)
	}
	if q.EntityID != "" {
		where += " AND entity_id = ?"
		args = append(args, q.EntityID)
	}
	if q.Org != "" {
		where += " AND org_code = ?"
		args = append(args, strings.ToUpper(q.Org))
	}
	if q.By != "" {
		where += " AND LOWER(actor) = ?"
		args = append(args, strings.ToLower(q.By))
	}
	if q.Action != "" { // an action, or every action under it ("claim" finds "claim.save")
		action := strings.ToLower(q.Action)
		where += " AND (LOWER(action) = ? OR LOWER(action) LIKE ? ESCAPE '\\')"
		args = append(args, action, escapeLike(action)+".%")
	}
	var total int
	if err := c.queryRow(ctx, cte+" SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.BeforeSeq > 0 {
		where += " AND seq < ?"
		args = append(args, q.BeforeSeq)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	rows, err := c.query(ctx, cte+" SELECT "+auditColumns+" FROM audit_log"+where+" ORDER BY seq DESC LIMIT ?", append(args, q.Limit)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// VerifyAudit walks the whole chain in order and returns how many entries it
// checked and the first break, if any (an audit.Break).
func (s *Store) VerifyAudit(ctx context.Context, anchors ...audit.Checkpoint) (int, error) {
	rows, err := s.reader().query(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	want := map[int64]string{} // the hashes of the entries the checkpoints name
	for _, cp := range anchors {
		want[cp.Seq] = ""
	}
	v := audit.NewVerifier()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return v.Checked, err
		}
		if err := v.Check(e); err != nil {
			return v.Checked, err
		}
		if _, ok := want[e.Seq]; ok {
			want[e.Seq] = e.Hash
		}
	}
	if err := rows.Err(); err != nil {
		return v.Checked, err
	}
	for _, cp := range anchors {
		if err := cp.Holds(int64(v.Checked), func(seq int64) (string, bool) { h := want[seq]; return h, h != "" }); err != nil {
			return v.Checked, err
		}
	}
	return v.Checked, nil
}

// AuditCheckpoint anchors the log's head now, signed with key.
func (s *Store) AuditCheckpoint(ctx context.Context, key []byte) (audit.Checkpoint, error) {
	var seq int64
	hash := audit.Genesis
	err := s.reader().queryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Checkpoint{}, err
	}
	return audit.NewCheckpoint(seq, hash, s.now(), key), nil
}
