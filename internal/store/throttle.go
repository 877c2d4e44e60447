package store

import (
	"context"
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
// the address, and the account from anywhere.
func loginKeys(email, address string) (pair, addr, account string) {
	email = strings.ToLower(strings.TrimSpace(email))
	return "pair:" + email + "|" + address, "ip:" + address, "email:" + email
}

// limitFor is each key's number of attempts per window: one account from
// one address the fewest; an address (a practice behind one NAT) more; an
// account from anywhere the most.
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
// key's window ends. Each count is raised in one statement, before the
// check and inside one transaction, so that attempts at once are counted
// exactly; a good sign-in takes its count back (LoginSucceeded), so only
// failures and attempts in progress count.
//
// The keys are taken in order, and an attempt refused by one raises none
// after it, so that a guesser stopped on one address cannot run up the
// account's count. The account-wide key refuses only an address that has
// already failed for the account: a guesser spread over many addresses gets
// one try from each, while the account's owner, on an address that has not
// failed, still gets in.
func (s *Store) TakeLoginAttempt(ctx context.Context, email, address string) (ok bool, until time.Time, err error) {
	pair, addr, account := loginKeys(email, address)
	err = s.tx(ctx, func(c conn) error {
		// Forget windows that have passed, so the table stays small.
		if _, err := c.exec(ctx, "DELETE FROM login_failures WHERE window_start < ?", c.tsArg(c.now.Add(-LoginWindow))); err != nil {
			return err
		}
		pairN, pairStart, err := c.countLogin(ctx, pair)
		if err != nil {
			return err
		}
		if pairN > limitFor(pair) {
			until = pairStart.Add(LoginWindow)
			return nil
		}
		n, start, err := c.countLogin(ctx, addr)
		if err != nil {
			return err
		}
		if n > limitFor(addr) {
			until = start.Add(LoginWindow)
			return c.uncount(ctx, pair)
		}
		n, start, err = c.countLogin(ctx, account)
		if err != nil {
			return err
		}
		if n > limitFor(account) && pairN > 1 {
			until = start.Add(LoginWindow)
			return errors.Join(c.uncount(ctx, pair), c.uncount(ctx, addr))
		}
		ok = true
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

// uncount takes one attempt back off a key.
func (c conn) uncount(ctx context.Context, key string) error {
	_, err := c.exec(ctx, "UPDATE login_failures SET failures = failures - 1 WHERE throttle_key = ? AND failures > 0", key)
	return err
}

// LoginNotChecked takes back an attempt whose password was never checked
// (the server was too busy and asked the person to try again), so that a
// rush of sign-ins does not lock anyone out.
func (s *Store) LoginNotChecked(ctx context.Context, email, address string) error {
	pair, addr, account := loginKeys(email, address)
	return s.tx(ctx, func(c conn) error {
		return errors.Join(c.uncount(ctx, pair), c.uncount(ctx, addr), c.uncount(ctx, account))
	})
}

// LoginSucceeded forgets the account-from-this-address key and takes the
// good sign-in's attempt back off the address and the account.
func (s *Store) LoginSucceeded(ctx context.Context, email, address string) error {
	pair, addr, account := loginKeys(email, address)
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM login_failures WHERE throttle_key = ?", pair); err != nil {
			return err
		}
		return errors.Join(c.uncount(ctx, addr), c.uncount(ctx, account))
	})
}

// AuditLoginFailure records a failed sign-in (never the password tried).
// Attempts refused by throttling are not recorded: they are not checked, and
// recording them would let anyone grow the log at will.
func (s *Store) AuditLoginFailure(ctx context.Context, email, address string) error {
	return s.tx(ctx, func(c conn) error {
		return c.appendAudit(ctx, email, "session.failed", "user", email, nil, map[string]string{"address": address})
	})
}

// MaxJoinFailures is how many wrong join codes one address may send in
// LoginWindow. Join codes are eight characters of 31 (about 40 bits), so
// this many guesses find none; a room sharing one address can mistype
// freely. Only wrong codes count: a room of people joining at once is never
// slowed down.
const MaxJoinFailures = 30

func joinKey(address string) string { return "join:" + address }

// TakeJoinAttempt counts a join code from an address before it is tried,
// and reports whether it may be (until: when the address may try again).
// The count is raised in one statement, so that codes sent at once are
// counted exactly (a probe had 102 of 200 at once tried against a limit of
// 30, when they were counted after trying); a right code, or one already
// used (a real code, sent twice), takes its count back (JoinNotWrong).
func (s *Store) TakeJoinAttempt(ctx context.Context, address string) (ok bool, until time.Time, err error) {
	err = s.tx(ctx, func(c conn) error {
		n, start, err := c.countLogin(ctx, joinKey(address))
		if err != nil {
			return err
		}
		if ok = n <= MaxJoinFailures; ok {
			return nil
		}
		until = start.Add(LoginWindow)
		return c.uncount(ctx, joinKey(address))
	})
	return ok, until, err
}

// JoinNotWrong takes back the attempt of a code that was not a wrong guess.
func (s *Store) JoinNotWrong(ctx context.Context, address string) error {
	return s.tx(ctx, func(c conn) error { return c.uncount(ctx, joinKey(address)) })
}
