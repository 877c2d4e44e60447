package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Login throttling: after MaxLoginFailures failed sign-ins for one key (an
// email address, or a client address) within LoginWindow, further attempts
// for that key are refused until the window has passed. Kept in the database
// so every server behind a load balancer sees the same counts.
const (
	MaxLoginFailures = 5
	LoginWindow      = 15 * time.Minute
)

// LoginBlocked reports whether any key is locked out, and until when.
func (s *Store) LoginBlocked(ctx context.Context, keys ...string) (bool, time.Time, error) {
	c := s.reader()
	for _, k := range keys {
		var failures int
		var start time.Time
		err := c.queryRow(ctx, "SELECT failures, window_start FROM login_failures WHERE throttle_key = ?", k).
			Scan(&failures, nullTime{&start})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, time.Time{}, err
		}
		until := start.Add(LoginWindow)
		if failures >= limitFor(k) && c.now.Before(until) {
			return true, until, nil
		}
	}
	return false, time.Time{}, nil
}

// limitFor allows a shared client address (a practice behind one NAT) more
// failures than one email address.
func limitFor(key string) int {
	if len(key) > 3 && key[:3] == "ip:" {
		return MaxLoginFailures * 4
	}
	return MaxLoginFailures
}

// RecordLoginFailure counts a failed sign-in against each key.
func (s *Store) RecordLoginFailure(ctx context.Context, keys ...string) error {
	return s.tx(ctx, func(c conn) error {
		cutoff := c.tsArg(c.now.Add(-LoginWindow))
		for _, k := range keys {
			// One statement, so that servers counting at once never clash.
			_, err := c.exec(ctx, `INSERT INTO login_failures (throttle_key, failures, window_start) VALUES (?, 1, ?)
				ON CONFLICT (throttle_key) DO UPDATE SET
				failures = CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END,
				window_start = CASE WHEN login_failures.window_start < ? THEN excluded.window_start ELSE login_failures.window_start END`,
				k, c.tsArg(c.now), cutoff, cutoff)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearLoginFailures forgets the failures of a key after a good sign-in.
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
