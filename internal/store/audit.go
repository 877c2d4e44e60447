package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/onepc/onepc/internal/audit"
)

// auditLock serialises appends across PostgreSQL connections and servers so
// that the chain never forks. SQLite writers are serialised already.
const auditLock = 7262001

// appendAudit adds an entry to the log in the caller's transaction, chained
// to the last one.
func (c conn) appendAudit(ctx context.Context, actor, action, entity, id string, before, after any) error {
	return c.appendAudits(ctx, actor, []auditItem{{action, entity, id, before, after}})
}

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
	err = c.bulkInsert(ctx, "audit_log", []string{"seq", "at", "actor", "action", "entity", "entity_id", "before_json", "after_json", "prev_hash", "hash"},
		len(entries), func(i int) []any {
			e := entries[i]
			return []any{e.Seq, c.tsArg(e.At), e.Actor, e.Action, e.Entity, e.EntityID, rawArg(e.Before), rawArg(e.After), e.PrevHash, e.Hash}
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
	Entity    string
	EntityID  string
	Limit     int
	BeforeSeq int64 // entries older than this, for paging back; 0 for the newest
}

// AuditEntries returns entries newest first, and the total matching.
func (s *Store) AuditEntries(ctx context.Context, q AuditQuery) ([]audit.Entry, int, error) {
	c := s.reader()
	where, args := " WHERE 1=1", []any{}
	if q.Entity != "" {
		where += " AND entity = ?"
		args = append(args, q.Entity)
	}
	if q.EntityID != "" {
		where += " AND entity_id = ?"
		args = append(args, q.EntityID)
	}
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.BeforeSeq > 0 {
		where += " AND seq < ?"
		args = append(args, q.BeforeSeq)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	rows, err := c.query(ctx, "SELECT "+auditColumns+" FROM audit_log"+where+" ORDER BY seq DESC LIMIT ?", append(args, q.Limit)...)
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
func (s *Store) VerifyAudit(ctx context.Context) (int, error) {
	rows, err := s.reader().query(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	v := audit.NewVerifier()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return v.Checked, err
		}
		if err := v.Check(e); err != nil {
			return v.Checked, err
		}
	}
	return v.Checked, rows.Err()
}
