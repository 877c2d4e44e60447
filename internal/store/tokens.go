package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
)

// CreateToken makes a personal API token for a user (see people.APIToken),
// lasting days, and returns it with the token itself, which is not kept and
// cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, actor string, userID int64, name string, canWrite bool, days int) (people.APIToken, string, error) {
	name = strings.TrimSpace(name)
	secret := people.TokenPrefix + randomToken()
	var t people.APIToken
	err := s.tx(ctx, func(c conn) error {
		var active int
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
			userID, c.tsArg(c.now)).Scan(&active); err != nil {
			return err
		}
		if err := people.CheckNewToken(name, days, active); err != nil {
			return err
		}
		t = people.APIToken{UserID: userID, Name: name, Prefix: secret[:len(people.TokenPrefix)+6], CanWrite: canWrite,
			CreatedAt: c.now.UTC().Truncate(time.Microsecond), ExpiresAt: c.now.UTC().Truncate(time.Microsecond).AddDate(0, 0, days)}
		err := c.queryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, can_write, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, userID, t.Name, hashToken(secret), t.Prefix, b2i(canWrite),
			c.tsArg(t.CreatedAt), c.tsArg(t.ExpiresAt)).Scan(&t.ID)
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "token.create", "user", fmt.Sprint(userID), nil, t)
	})
	if err != nil {
		return people.APIToken{}, "", err
	}
	return t, secret, nil
}

// Tokens lists a user's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]people.APIToken, error) {
	rows, err := s.reader().query(ctx, `SELECT id, name, prefix, can_write, created_at, expires_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.APIToken
	for rows.Next() {
		t := people.APIToken{UserID: userID}
		var w int
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &w, nullTime{&t.CreatedAt}, nullTime{&t.ExpiresAt}, nullTime{&t.LastUsed}, nullTime{&t.RevokedAt}); err != nil {
			return nil, err
		}
		t.CanWrite = w == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends one of a user's tokens at once.
func (s *Store) RevokeToken(ctx context.Context, actor string, userID, id int64) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL", c.tsArg(c.now), id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.NotFound, "You have no such token, or it is revoked already")
		}
		return c.appendAudit(ctx, actor, "token.revoke", "user", fmt.Sprint(userID), nil, map[string]int64{"token": id})
	})
}

// ErrTokenRefused answers a token that is unknown, expired or revoked.
var ErrTokenRefused = &problem.Error{Kind: problem.Unauthorized, Message: "This API token is not valid: it is unknown, expired or revoked. Make a new one on your account page."}

// TokenUser is the person a token signs in, with the grants it carries:
// those given in OnePC itself (not by a sign-in provider's rules), never
// those that approve money.
func (s *Store) TokenUser(ctx context.Context, secret string) (people.APIToken, people.User, error) {
	if !strings.HasPrefix(secret, people.TokenPrefix) {
		return people.APIToken{}, people.User{}, ErrTokenRefused
	}
	c := s.reader()
	var t people.APIToken
	var w int
	var disabled, by sql.NullString
	var u people.User
	// The person's account in the same read: a disabled one's tokens are refused.
	err := c.queryRow(ctx, `SELECT t.id, t.user_id, t.name, t.prefix, t.can_write, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, u.disabled_at,
		u.email, u.name, u.created_at, u.created_by
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hashToken(secret)).
		Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &w, nullTime{&t.CreatedAt}, nullTime{&t.ExpiresAt}, nullTime{&t.LastUsed}, nullTime{&t.RevokedAt}, &disabled,
			&u.Email, &u.Name, nullTime{&u.CreatedAt}, &by)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!t.Active(c.now) || disabled.Valid) {
		return t, people.User{}, ErrTokenRefused
	}
	if err != nil {
		return t, people.User{}, err
	}
	t.CanWrite = w == 1
	u.ID, u.CreatedBy = t.UserID, by.String
	if u.Grants, err = c.grants(ctx, t.UserID); err != nil {
		return t, u, err
	}
	u.Grants = sso.SessionGrants(u.Grants, "", false)
	if c.now.Sub(t.LastUsed) > time.Minute { // a write a minute at most, not one a request
		if err := s.tx(ctx, func(c conn) error {
			_, err := c.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", c.tsArg(c.now), t.ID)
			return err
		}); err != nil {
			return t, u, err
		}
	}
	return t, u, nil
}
