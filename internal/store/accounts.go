package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/problem"
)

// Login is what sign-in needs to know of an account beyond its password.
type Login struct {
	Disabled   bool
	MustChange bool // the password was given by an administrator: the person chooses their own first
}

// LoginState reads whether a user is disabled or must change their password.
func (s *Store) LoginState(ctx context.Context, userID int64) (Login, error) {
	var l Login
	var disabled sql.NullString
	var must int
	err := s.reader().queryRow(ctx, "SELECT disabled_at, must_change_password FROM users WHERE id = ?", userID).Scan(&disabled, &must)
	l.Disabled, l.MustChange = disabled.Valid, must == 1
	return l, notFound(err, "There is no such user")
}

// PasswordHash is a user's password hash, for checking the current password.
func (s *Store) PasswordHash(ctx context.Context, userID int64) (string, error) {
	var h string
	err := s.reader().queryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", userID).Scan(&h)
	return h, notFound(err, "There is no such user")
}

// SetPassword gives a user a new password hash. mustChange marks one an
// administrator chose, to be replaced at the next sign-in. Every session
// of the user but keep (the one that changed it, if any) ends.
func (s *Store) SetPassword(ctx context.Context, actor string, userID int64, hash string, mustChange bool, keep string) error {
	return s.tx(ctx, func(c conn) error {
		return c.setPassword(ctx, actor, userID, hash, mustChange, keep)
	})
}

func (c conn) setPassword(ctx context.Context, actor string, userID int64, hash string, mustChange bool, keep string) error {
	res, err := c.exec(ctx, "UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?", hash, b2i(mustChange), userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.NotFound, "There is no such user")
	}
	if _, err := c.exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", userID, hashToken(keep)); err != nil {
		return err
	}
	if _, err := c.exec(ctx, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", c.tsArg(c.now), userID); err != nil {
		return err
	}
	return c.appendAudit(ctx, actor, "user.password", "user", fmt.Sprint(userID), nil, map[string]bool{"must_change": mustChange})
}

// SetDisabled disables a user (every session and API token ends at once,
// and sign-in is refused) or enables them again.
func (s *Store) SetDisabled(ctx context.Context, actor string, userID int64, disabled bool) error {
	return s.tx(ctx, func(c conn) error {
		var at any
		if disabled {
			at = c.tsArg(c.now)
		}
		res, err := c.exec(ctx, "UPDATE users SET disabled_at = ? WHERE id = ?", at, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.NotFound, "There is no such user")
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if _, err := c.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
				return err
			}
			if _, err := c.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", c.tsArg(c.now), userID); err != nil {
				return err
			}
			if _, err := c.exec(ctx, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", c.tsArg(c.now), userID); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, actor, action, "user", fmt.Sprint(userID), nil, nil)
	})
}

// ResetLife is how long a password reset link works.
const ResetLife = time.Hour

// CreateReset makes a one-use link token to set a user's password, lasting
// life; only its hash is kept. A disabled user gets none.
func (s *Store) CreateReset(ctx context.Context, actor string, userID int64, life time.Duration) (string, error) {
	secret := randomToken()
	err := s.tx(ctx, func(c conn) error {
		var disabled sql.NullString
		if err := c.queryRow(ctx, "SELECT disabled_at FROM users WHERE id = ?", userID).Scan(&disabled); err != nil {
			return notFound(err, "There is no such user")
		}
		if disabled.Valid {
			return problem.New(problem.Conflict, "This account is disabled: enable it first")
		}
		if _, err := c.exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			hashToken(secret), userID, c.tsArg(c.now), c.tsArg(c.now.Add(life))); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "user.reset-link", "user", fmt.Sprint(userID), nil, nil)
	})
	return secret, err
}

// ErrResetRefused answers a reset link that is unknown, used or expired.
var ErrResetRefused = problem.New(problem.Invalid, "This link to set a password has expired or been used. Ask for a new one.")

// ResetUser is the user a reset link is for, if it still works.
func (s *Store) ResetUser(ctx context.Context, secret string) (int64, error) {
	var id int64
	var expires time.Time
	var used sql.NullString
	err := s.reader().queryRow(ctx, "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = ?", hashToken(secret)).
		Scan(&id, nullTime{&expires}, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used.Valid || !s.now().Before(expires)) {
		return 0, ErrResetRefused
	}
	return id, err
}

// UseReset sets the password through a reset link, once: the link is used
// up, and every session of the user ends.
func (s *Store) UseReset(ctx context.Context, secret, hash string) (int64, error) {
	var id int64
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
			c.tsArg(c.now), hashToken(secret), c.tsArg(c.now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrResetRefused
		}
		if err != nil {
			return err
		}
		return c.setPassword(ctx, "reset-link", id, hash, false, "")
	})
	return id, err
}

// QueueMail puts one email in the outbox, once for its key.
func (s *Store) QueueMail(ctx context.Context, key, to, subject, body string) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.queueMail(ctx, []mustdo.Reminder{{Key: key, To: to, Subject: subject, Body: body}})
		return err
	})
}
