package store

import (
	"context"
	"strings"
	"time"
)

// Sign-in throttling. Every attempt is counted, in the database and before
// the password is checked, against each of its keys; an attempt that takes a
// key past its limit within LoginWindow is refused without checking the
// password, so that a hundred simultaneous guesses get five checks, not a
// hundred, on however many servers. The keys (see LoginKeys) slow down one
// account from one address, one address, and one account from anywhere, with
// limits that rise in that order: a guesser on one address does not lock the
// account's owner out elsewhere.
const (
	MaxLoginFailures = 5 // one account from one address
	LoginWindow      = 15 * time.Minute
)

// LoginKeys are the throttling keys of a sign-in attempt.
func LoginKeys(email, address string) []string {
	email = strings.ToLower(strings.TrimSpace(email))
	return []string{"pair:" + email + "|" + address, "ip:" + address, "email:" + email}
}

// limitFor is each key's number of attempts per window: one account from one
// address the fewest; a shared address (a practice behind one NAT) more; an
// account from anywhere the most, so that it slows a spread-out attack
// without handing the account to whoever guesses fastest.
func limitFor(key string) int {
	switch {
	case strings.HasPrefix(key, "ip:"):
		return MaxLoginFailures * 4
	case strings.HasPrefix(key, "email:"):
		return MaxLoginFailures * 10
	}
	return MaxLoginFailures
}

// TakeLoginAttempt counts one attempt against each key and reports whether
// it may go ahead; when not, until says when the first refusing key's window
// ends. The counts are raised in one statement a key, inside one
// transaction, so concurrent attempts are counted exactly.
func (s *Store) TakeLoginAttempt(ctx context.Context, keys ...string) (ok bool, until time.Time, err error) {
	ok = true
	err = s.tx(ctx, func(c conn) error {
		cutoff := c.tsArg(c.now.Add(-LoginWindow))
		for _, k := range keys {
			var n int
			var start time.Time
			err := c.queryRow(ctx, `INSERT INTO login_failures (throttle_key, failures, window_start) VALUES (?, 1, ?)
				ON CONFLICT (throttle_key) DO UPDATE SET
				failures = CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END,
				window_start = CASE WHEN login_failures.window_start < ? THEN excluded.window_start ELSE login_failures.window_start END
				RETURNING failures, window_start`, k, c.tsArg(c.now), cutoff, cutoff).Scan(&n, nullTime{&start})
			if err != nil {
				return err
			}
			if n > limitFor(k) && ok {
				ok, until = false, start.Add(LoginWindow)
			}
		}
		return nil
	})
	return ok, until, err
}

// ClearLoginFailures forgets the attempts of keys after a good sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, keys ...string) error {
	return s.tx(ctx, func(c conn) error {
		for _, k := range keys {
			if _, err := c.exec(ctx, "DELETE FROM login_failures WHERE throttle_key = ?", k); err != nil {
				return err
			}
		}
		return nil
	})
}

// AuditLoginFailure records a failed sign-in (never the password tried).
func (s *Store) AuditLoginFailure(ctx context.Context, email, address string, refused bool) error {
	return s.tx(ctx, func(c conn) error {
		action := "session.failed"
		if refused {
			action = "session.refused"
		}
		return c.appendAudit(ctx, email, action, "user", email, nil, map[string]string{"address": address})
	})
}
