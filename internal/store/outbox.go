package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/mustdo"
)

// OutboxMessage is a reminder in the outbox.
type OutboxMessage struct {
	Key       string    `json:"key"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Body      string    `json:"-"` // never shown: a reset email's body is a way into the account
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
}

// MessageID is the message's Message-ID: the same on every attempt, so that
// a message sent twice (the one window nothing closes) is seen as one.
func (m OutboxMessage) MessageID() string {
	h := sha256.Sum256([]byte(m.Key))
	return hex.EncodeToString(h[:16]) + "@onepc"
}

// QueueReminders adds reminders to the outbox; one already there (by key)
// is left as it is. It returns how many were new.
func (s *Store) QueueReminders(ctx context.Context, rs []mustdo.Reminder) (int, error) {
	var added int64
	err := s.tx(ctx, func(c conn) error {
		// Many rows a statement: a national run is a quarter of a million
		// reminders, a minute's work one row at a time on PostgreSQL.
		var err error
		added, err = c.bulkInsertNew(ctx, "mustdo_outbox", []string{"key", "to_addr", "subject", "body", "created_at"}, "key", len(rs), func(i int) []any {
			r := rs[i]
			return []any{r.Key, r.To, r.Subject, r.Body, c.tsArg(c.now)}
		})
		return err
	})
	return int(added), err
}

// ClaimOutbox takes up to n unsent messages for lease: no other sender
// takes them until it ends.
func (s *Store) ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.tx(ctx, func(c conn) error {
		out = nil
		rows, err := c.query(ctx, `UPDATE mustdo_outbox SET sending_until = ?, attempts = attempts + 1
			WHERE key IN (SELECT key FROM mustdo_outbox WHERE sent_at IS NULL AND (sending_until IS NULL OR sending_until < ?) ORDER BY created_at, key LIMIT ?)
			RETURNING key, to_addr, subject, body, created_at, attempts`, c.tsArg(c.now.Add(lease)), c.tsArg(c.now), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m OutboxMessage
			if err := rows.Scan(&m.Key, &m.To, &m.Subject, &m.Body, nullTime{&m.CreatedAt}, &m.Attempts); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// MarkSent records that the mail server took a message.
func (s *Store) MarkSent(ctx context.Context, key string) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "UPDATE mustdo_outbox SET sent_at = ?, sending_until = NULL, last_error = '' WHERE key = ?", c.tsArg(c.now), key)
		return err
	})
}

// MarkFailed records why a message could not be sent; it is tried again
// when its lease ends.
func (s *Store) MarkFailed(ctx context.Context, key, why string) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "UPDATE mustdo_outbox SET last_error = ? WHERE key = ?", why, key)
		return err
	})
}

// Outbox lists the newest messages, for administrators. With a scope (nil
// for an administrator at the top of the hierarchy), only messages to
// people every one of whose roles lies in it: where else they work, and
// what they are sent about it, is for the administrators there.
func (s *Store) Outbox(ctx context.Context, scope map[string]bool, limit int) ([]OutboxMessage, int, error) {
	where, args := "", []any{}
	if scope != nil {
		in, inArgs := inClause(slices.Sorted(maps.Keys(scope)))
		if len(scope) == 0 {
			in, inArgs = "(NULL)", nil
		}
		where = " WHERE EXISTS (SELECT 1 FROM users u JOIN grants g ON g.user_id = u.id WHERE LOWER(u.email) = LOWER(o.to_addr) AND g.org_code IN " + in + ")" +
			" AND NOT EXISTS (SELECT 1 FROM users u JOIN grants g ON g.user_id = u.id WHERE LOWER(u.email) = LOWER(o.to_addr) AND g.org_code NOT IN " + in + ")"
		args = append(append(args, inArgs...), inArgs...)
	}
	var total int
	if err := s.reader().queryRow(ctx, "SELECT COUNT(*) FROM mustdo_outbox o"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.reader().query(ctx, "SELECT key, to_addr, subject, body, created_at, sent_at, attempts, last_error FROM mustdo_outbox o"+where+" ORDER BY created_at DESC, key LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		if err := rows.Scan(&m.Key, &m.To, &m.Subject, &m.Body, nullTime{&m.CreatedAt}, nullTime{&m.SentAt}, &m.Attempts, &m.LastError); err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// ReminderPrefs returns everyone's reminder choices that differ from the default.
func (s *Store) ReminderPrefs(ctx context.Context) (map[string]mustdo.Prefs, error) {
	rows, err := s.reader().query(ctx, "SELECT u.email, p.digest, p.singles FROM mustdo_prefs p JOIN users u ON u.id = p.user_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]mustdo.Prefs{}
	for rows.Next() {
		var email string
		var p mustdo.Prefs
		if err := rows.Scan(&email, &p.Digest, &p.Singles); err != nil {
			return nil, err
		}
		out[email] = p
	}
	return out, rows.Err()
}

// SetReminderPrefs keeps a person's reminder choices.
func (s *Store) SetReminderPrefs(ctx context.Context, userID int64, actor string, p mustdo.Prefs) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO mustdo_prefs (user_id, digest, singles) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, singles = excluded.singles`, userID, boolInt(p.Digest), boolInt(p.Singles))
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.prefs", "user", actor, nil, p)
	})
}
