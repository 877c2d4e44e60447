package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// AddUser creates a user with an already-hashed password.
func (s *Store) AddUser(ctx context.Context, actor string, u people.User, passwordHash string) (people.User, error) {
	return s.addUser(ctx, actor, u, passwordHash, false)
}

// AddUserGivenPassword is AddUser for a password an administrator chose:
// the person must choose their own at their first sign-in, marked in the
// same transaction, so that no failure between leaves the given one for
// good.
func (s *Store) AddUserGivenPassword(ctx context.Context, actor string, u people.User, passwordHash string) (people.User, error) {
	return s.addUser(ctx, actor, u, passwordHash, true)
}

func (s *Store) addUser(ctx context.Context, actor string, u people.User, passwordHash string, mustChange bool) (people.User, error) {
	err := s.tx(ctx, func(c conn) error {
		u.CreatedAt = c.now.UTC().Truncate(1000)
		u.CreatedBy = actor
		err := c.queryRow(ctx, `INSERT INTO users (email, name, password_hash, created_at, created_by, must_change_password) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			u.Email, u.Name, passwordHash, c.tsArg(u.CreatedAt), actor, b2i(mustChange)).Scan(&u.ID)
		if err != nil {
			if problem.KindOf(mapError(err)) == problem.Conflict {
				return problem.OnField(problem.Conflict, "email", "A user with the email address "+u.Email+" already exists")
			}
			return err
		}
		return c.appendAudit(ctx, actor, "user.add", "user", u.Email, nil, u)
	})
	return u, err
}

// UserForLogin returns the user with email and their password hash.
func (s *Store) UserForLogin(ctx context.Context, email string) (people.User, string, error) {
	var u people.User
	var hash string
	err := s.reader().queryRow(ctx, "SELECT id, email, name, created_at, password_hash FROM users WHERE email = ?",
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, nullTime{&u.CreatedAt}, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", problem.New(problem.NotFound, "There is no user with the email address %s", email)
	}
	return u, hash, err
}

// User returns a user and their grants.
func (s *Store) User(ctx context.Context, id int64) (people.User, error) {
	return s.reader().user(ctx, id)
}

func (c conn) user(ctx context.Context, id int64) (people.User, error) {
	var u people.User
	var by sql.NullString
	err := c.queryRow(ctx, "SELECT id, email, name, created_at, created_by FROM users WHERE id = ?", id).
		Scan(&u.ID, &u.Email, &u.Name, nullTime{&u.CreatedAt}, &by)
	u.CreatedBy = by.String
	if err != nil {
		return u, notFound(err, "There is no such user")
	}
	u.Grants, err = c.grants(ctx, id)
	return u, err
}

// UserByEmail returns a user and their grants.
func (s *Store) UserByEmail(ctx context.Context, email string) (people.User, error) {
	var id int64
	err := s.reader().queryRow(ctx, "SELECT id FROM users WHERE email = ?", strings.ToLower(strings.TrimSpace(email))).Scan(&id)
	if err != nil {
		return people.User{}, notFound(err, "There is no user with the email address %s", email)
	}
	return s.User(ctx, id)
}

// grants returns every grant of a user, whatever its source.
func (c conn) grants(ctx context.Context, userID int64) ([]people.Grant, error) {
	rows, err := c.query(ctx, `SELECT g.role, g.org_code, o.name, o.kind, g.source FROM grants g JOIN orgs o ON o.code = g.org_code
		WHERE g.user_id = ? ORDER BY g.role, o.name`, userID)
	return scanGrants(rows, err)
}

// grantsFrom returns a user's grants from one source: "" an administrator's,
// or sso.Source(provider) a provider's rules'.
func (c conn) grantsFrom(ctx context.Context, userID int64, source string) ([]people.Grant, error) {
	rows, err := c.query(ctx, `SELECT g.role, g.org_code, o.name, o.kind, g.source FROM grants g JOIN orgs o ON o.code = g.org_code
		WHERE g.user_id = ? AND g.source = ? ORDER BY g.role, o.name`, userID, source)
	return scanGrants(rows, err)
}

func scanGrants(rows *sql.Rows, err error) ([]people.Grant, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.Grant
	for rows.Next() {
		var g people.Grant
		if err := rows.Scan(&g.Role, &g.OrgCode, &g.OrgName, &g.OrgKind, &g.Source); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UserQuery pages through users.
type UserQuery struct {
	// Scope limits the list to users with a grant in scope, and users with
	// none whom AddedBy added (see people.Manages); nil for all.
	Scope   map[string]bool
	AddedBy string
	Text    string
	Limit   int
	Offset  int
}

// Users returns one page of users by name with their grants, and the total.
func (s *Store) Users(ctx context.Context, q UserQuery) ([]people.User, int, error) {
	c := s.reader()
	where, args := " WHERE 1=1", []any{}
	if q.Text != "" {
		like := "%" + escapeLike(strings.ToLower(strings.TrimSpace(q.Text))) + "%"
		where += " AND (LOWER(u.name) LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')"
		args = append(args, like, like)
	}
	if q.Scope != nil {
		codes := make([]string, 0, len(q.Scope))
		for c := range q.Scope {
			codes = append(codes, c)
		}
		in, inArgs := inClause(codes)
		where += " AND ((NOT EXISTS (SELECT 1 FROM grants g WHERE g.user_id = u.id) AND LOWER(u.created_by) = LOWER(?))" +
			" OR EXISTS (SELECT 1 FROM grants g WHERE g.user_id = u.id AND g.org_code IN " + in + "))"
		args = append(append(args, q.AddedBy), inArgs...)
	}
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM users u"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	rows, err := c.query(ctx, "SELECT u.id, u.email, u.name, u.created_at FROM users u"+where+
		" ORDER BY u.name, u.email LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	var out []people.User
	for rows.Next() {
		var u people.User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, nullTime{&u.CreatedAt}); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		if out[i].Grants, err = c.grants(ctx, out[i].ID); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// GrantRole gives a user a role at an organisation of a kind the role fits.
func (s *Store) GrantRole(ctx context.Context, actor string, userID int64, role people.Role, orgCode string) error {
	return s.tx(ctx, func(c conn) error {
		o, err := c.grantable(ctx, role, orgCode)
		if err != nil {
			return err
		}
		var email string
		if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
			return notFound(err, "There is no such user")
		}
		// A grant a sign-in's mapping made becomes the administrator's.
		res, err := c.exec(ctx, `INSERT INTO grants (user_id, role, org_code, granted_at, granted_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, role, org_code) DO UPDATE SET source = '', granted_by = excluded.granted_by, granted_at = excluded.granted_at
			WHERE grants.source <> ''`, userID, string(role), orgCode, c.tsArg(c.now), actor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "%s is already %s at %s", email, role.Label(), o.Name)
		}
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "user.grant", "user", email, nil, people.Grant{Role: role, OrgCode: orgCode})
	})
}

// grantable returns the organisation if it exists and role may be given
// there; otherwise an Invalid error on the field org.
func (c conn) grantable(ctx context.Context, role people.Role, orgCode string) (orgs.Org, error) {
	o, err := scanOrg(c.queryRow(ctx, "SELECT "+orgColumns+" FROM orgs o WHERE o.code = ?", orgCode))
	if err != nil {
		err = notFound(err, "There is no organisation with the code %s", orgCode)
		if problem.KindOf(err) != problem.NotFound {
			return o, err
		}
		return o, &problem.Error{Kind: problem.Invalid, Message: problem.Message(err),
			Fields: problem.Fields{{Name: "org", Message: problem.Message(err)}}, Err: err}
	}
	var kinds []string
	for _, k := range role.GrantableAt() {
		if k == o.Kind {
			return o, nil
		}
		kinds = append(kinds, k.ALabel())
	}
	msg := role.Label() + " can only be given at " + strings.Join(kinds, " or ") + "; " + o.Name + " is " + o.Kind.ALabel()
	return o, problem.OnField(problem.Invalid, "org", msg)
}

// RevokeRole takes a role away. Grants are read on every request, so the
// change applies to the user's very next page.
func (s *Store) RevokeRole(ctx context.Context, actor string, userID int64, role people.Role, orgCode string) error {
	return s.tx(ctx, func(c conn) error {
		var email string
		if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
			return notFound(err, "There is no such user")
		}
		res, err := c.exec(ctx, "DELETE FROM grants WHERE user_id = ? AND role = ? AND org_code = ?", userID, string(role), orgCode)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "%s is not %s at %s", email, role.Label(), orgCode)
		}
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "user.revoke", "user", email, people.Grant{Role: role, OrgCode: orgCode}, nil)
	})
}

// CountUsers returns how many users there are, so that start-up can say how
// to add the first.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.reader().queryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}
