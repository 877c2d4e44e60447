package store

import (
	"context"
	"database/sql"
	"errors"
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

// loginKeys are a sign-in's throttling keys: the account from this address,
// the account from anywhere (both counted per attempt, before the password
// is checked), and the address (counted per failure, so that a practice's
// staff signing in at once through one address are never refused).
func loginKeys(email, address string) (pair, account, addr string) {
	email = strings.ToLower(strings.TrimSpace(email))
	return "pair:" + email + "|" + address, "email:" + email, "ip:" + address
}

// limitFor is each key's number of attempts (failures, for an address) per
// window: one account from one address the fewest; an address (a practice
// behind one NAT) more; an account from anywhere the most, so that it slows
// a spread-out attack without handing the account to whoever guesses
// fastest.
func limitFor(key string) int {
	switch {
	case strings.HasPrefix(key, "ip:"):
		return MaxLoginFailures * 4
	case strings.HasPrefix(key, "email:"):
		return MaxLoginFailures * 10
	}
	return MaxLoginFailures
}

// TakeLoginAttempt counts one sign-in attempt and reports whether it may go
// ahead (the password be checked); when not, until says when the refusing
// key's window ends. The counts are raised in one statement a key, inside
// one transaction, so concurrent attempts are counted exactly.
func (s *Store) TakeLoginAttempt(ctx context.Context, email, address string) (ok bool, until time.Time, err error) {
	pair, account, addr := loginKeys(email, address)
	ok = true
	err = s.tx(ctx, func(c conn) error {
		var n int
		var start time.Time
		err := c.queryRow(ctx, "SELECT failures, window_start FROM login_failures WHERE throttle_key = ?", addr).Scan(&n, nullTime{&start})
		switch {
		case err == nil && n >= limitFor(addr) && c.now.Before(start.Add(LoginWindow)):
			ok, until = false, start.Add(LoginWindow)
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		for _, k := range []string{pair, account} {
			n, start, err := c.countLogin(ctx, k)
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

// countLogin raises a key's count (starting a new window when the last has
// passed) and returns it with its window's start.
func (c conn) countLogin(ctx context.Context, key string) (int, time.Time, error) {
	cutoff := c.tsArg(c.now.Add(-LoginWindow))
	var n int
	var start time.Time
	err := c.queryRow(ctx, `INSERT INTO login_failures (throttle_key, failures, window_start) VALUES (?, 1, ?)
		ON CONFLICT (throttle_key) DO UPDATE SET
		failures = CASE WHEN login_failures.window_start < ? THEN 1 ELSE login_failures.failures + 1 END,
		window_start = CASE WHEN login_failures.window_start < ? THEN excluded.window_start ELSE login_failures.window_start END
		RETURNING failures, window_start`, key, c.tsArg(c.now), cutoff, cutoff).Scan(&n, nullTime{&start})
	return n, start, err
}

// LoginFailed counts a failed sign-in against its address.
func (s *Store) LoginFailed(ctx context.Context, email, address string) error {
	_, _, addr := loginKeys(email, address)
	return s.tx(ctx, func(c conn) error {
		_, _, err := c.countLogin(ctx, addr)
		return err
	})
}

// LoginSucceeded forgets the account-from-this-address key and takes the
// good sign-in's attempt back off the account's count.
func (s *Store) LoginSucceeded(ctx context.Context, email, address string) error {
	pair, account, _ := loginKeys(email, address)
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM login_failures WHERE throttle_key = ?", pair); err != nil {
			return err
		}
		_, err := c.exec(ctx, "UPDATE login_failures SET failures = failures - 1 WHERE throttle_key = ? AND failures > 0", account)
		return err
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
