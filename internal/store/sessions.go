package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
)

// Session is a signed-in user's visit. Token is only known when created: the
// database keeps its hash, so a copy of the database signs no one in.
type Session struct {
	Token     string
	UserID    int64
	CSRFToken string
	ExpiresAt time.Time
	Provider  string // the provider signed in through; "" for a password
	MoneyOK   bool   // the roles that approve money apply (see sso.Provider.MoneyACR)
	// MustChange: the person signed in with a password an administrator
	// gave them, and chooses their own before anything else.
	MustChange bool
}

// Session lifetimes: idle for two hours, or twelve in all, ends a session.
const (
	SessionIdle = 2 * time.Hour
	SessionMax  = 12 * time.Hour
)

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a password session for a user, recording the
// sign-in in the audit log under actor (the user's email).
func (s *Store) CreateSession(ctx context.Context, userID int64, actor string) (Session, error) {
	var sess Session
	err := s.tx(ctx, func(c conn) error {
		var err error
		sess, err = c.createSession(ctx, userID, actor, "", true)
		return err
	})
	return sess, err
}

// createSession starts a session begun through provider ("" for a
// password); moneyOK false keeps the roles that approve money out of it.
func (c conn) createSession(ctx context.Context, userID int64, actor, provider string, moneyOK bool) (Session, error) {
	sess := Session{Token: randomToken(), UserID: userID, CSRFToken: randomToken(), Provider: provider, MoneyOK: moneyOK}
	sess.ExpiresAt = c.now.Add(SessionMax).UTC()
	// Tidy ended sessions now and then, in passing.
	if _, err := c.exec(ctx, "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?",
		c.tsArg(c.now), c.tsArg(c.now.Add(-SessionIdle))); err != nil {
		return sess, err
	}
	_, err := c.exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, provider, money_ok)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(sess.Token), userID, sess.CSRFToken, c.tsArg(c.now), c.tsArg(c.now), c.tsArg(sess.ExpiresAt), provider, boolInt(moneyOK))
	if err != nil {
		return sess, err
	}
	detail := map[string]any{"expires_at": sess.ExpiresAt}
	if provider != "" {
		detail["provider"] = provider
		detail["money_roles"] = moneyOK
	}
	return sess, c.appendAudit(ctx, actor, "session.start", "user", actor, nil, detail)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ErrSessionEnded is returned for an unknown, expired or idle session.
var ErrSessionEnded = &problem.Error{Kind: problem.Unauthorized, Message: "Your session has ended. Sign in again to carry on."}

// SessionUser returns the live session for a cookie token with its user and
// the user's grants: what every signed-in request needs, in two queries.
func (s *Store) SessionUser(ctx context.Context, token string) (Session, people.User, error) {
	c := s.reader()
	sess := Session{Token: token}
	var u people.User
	var lastSeen time.Time
	var moneyOK int
	// One query, a row a grant: every page asks, so one round trip, not two.
	rows, err := c.query(ctx, `SELECT s.user_id, s.csrf_token, s.expires_at, s.last_seen_at, s.provider, s.money_ok, u.email, u.name, u.created_at,
		u.disabled_at, u.must_change_password, g.role, g.org_code, o.name, o.kind, g.source
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN grants g ON g.user_id = s.user_id LEFT JOIN orgs o ON o.code = g.org_code
		WHERE s.token_hash = ? ORDER BY g.role, o.name`, hashToken(token))
	if err != nil {
		return sess, u, err
	}
	found, disabled := false, false
	for rows.Next() {
		var role, org, orgName, orgKind, source, off sql.NullString
		var must int
		if err := rows.Scan(&sess.UserID, &sess.CSRFToken, nullTime{&sess.ExpiresAt}, nullTime{&lastSeen}, &sess.Provider, &moneyOK, &u.Email, &u.Name, nullTime{&u.CreatedAt},
			&off, &must, &role, &org, &orgName, &orgKind, &source); err != nil {
			rows.Close()
			return sess, u, err
		}
		found, disabled, sess.MustChange = true, off.Valid, must == 1
		if role.Valid && orgName.Valid { // a grant at an organisation that exists
			u.Grants = append(u.Grants, people.Grant{Role: people.Role(role.String), OrgCode: org.String, OrgName: orgName.String, OrgKind: orgKind.String, Source: source.String})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sess, u, err
	}
	if !found || disabled {
		return sess, u, ErrSessionEnded
	}
	sess.MoneyOK = moneyOK == 1
	if c.now.After(sess.ExpiresAt) || c.now.Sub(lastSeen) > SessionIdle {
		return sess, u, ErrSessionEnded
	}
	u.ID = sess.UserID
	u.Grants = sso.SessionGrants(u.Grants, sess.Provider, sess.MoneyOK)
	if c.now.Sub(lastSeen) > time.Minute {
		err = s.tx(ctx, func(w conn) error {
			_, err := w.exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", w.tsArg(w.now), hashToken(token))
			return err
		})
	}
	return sess, u, err
}

// DeleteSession ends a session (sign out), recording it under actor.
func (s *Store) DeleteSession(ctx context.Context, token, actor string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", hashToken(token)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "session.end", "user", actor, nil, nil)
	})
}

// DeleteUserSessions ends every session of a user (sign out everywhere),
// recording it under actor.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, actor string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "session.end-all", "user", actor, nil, nil)
	})
}
