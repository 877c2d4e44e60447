package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
)

// SSOStartLife is how long a begun sign-in may take at the provider.
const SSOStartLife = 10 * time.Minute

// SSORules returns a provider's mapping rules ("" for every provider's).
func (s *Store) SSORules(ctx context.Context, provider string) ([]sso.Rule, error) {
	q := "SELECT id, provider, claim, value, activity, org_code, role, added_by FROM sso_rules"
	var args []any
	if provider != "" {
		q += " WHERE provider = ?"
		args = append(args, provider)
	}
	rows, err := s.reader().query(ctx, q+" ORDER BY provider, claim, value, org_code, role", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sso.Rule
	for rows.Next() {
		var r sso.Rule
		if err := rows.Scan(&r.ID, &r.Provider, &r.Claim, &r.Value, &r.Activity, &r.Org, &r.Role, &r.AddedBy); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddSSORule adds a mapping rule already checked against its provider
// (sso.Rule.Check); a named organisation must exist and fit the role.
func (s *Store) AddSSORule(ctx context.Context, actor string, r sso.Rule) (sso.Rule, error) {
	err := s.tx(ctx, func(c conn) error {
		if r.Org != sso.ClaimOrg {
			if _, err := c.grantable(ctx, r.Role, r.Org); err != nil {
				return err
			}
		}
		r.AddedBy = actor
		err := c.queryRow(ctx, `INSERT INTO sso_rules (provider, claim, value, activity, org_code, role, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Provider, string(r.Claim), r.Value, r.Activity, r.Org, string(r.Role), actor, c.tsArg(c.now)).Scan(&r.ID)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.OnField(problem.Conflict, "value", "That rule is there already")
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "sso.rule.add", "sso_rule", r.Provider, nil, r)
	})
	return r, err
}

// DeleteSSORule removes a rule. Grants it gave stay until the person's next
// sign-in through the provider, which works them out afresh.
func (s *Store) DeleteSSORule(ctx context.Context, actor string, id int64) (sso.Rule, error) {
	var r sso.Rule
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, "SELECT id, provider, claim, value, activity, org_code, role, added_by FROM sso_rules WHERE id = ?", id).
			Scan(&r.ID, &r.Provider, &r.Claim, &r.Value, &r.Activity, &r.Org, &r.Role, &r.AddedBy)
		if err != nil {
			return notFound(err, "There is no such rule")
		}
		if _, err := c.exec(ctx, "DELETE FROM sso_rules WHERE id = ?", id); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "sso.rule.delete", "sso_rule", r.Provider, r, nil)
	})
	return r, err
}

// BeginSSO keeps a sign-in's secrets until the provider sends the person back.
func (s *Store) BeginSSO(ctx context.Context, provider string, st sso.Start, next string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM sso_starts WHERE created_at < ?", c.tsArg(c.now.Add(-SSOStartLife))); err != nil {
			return err
		}
		_, err := c.exec(ctx, "INSERT INTO sso_starts (state_hash, provider, nonce, verifier, next, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			hashToken(st.State), provider, st.Nonce, st.Verifier, next, c.tsArg(c.now))
		return err
	})
}

// ErrSSOStartUnknown is a return from a provider that matches no sign-in
// begun here in the last ten minutes, or one already finished.
var ErrSSOStartUnknown = &problem.Error{Kind: problem.NotFound,
	Message: "This sign-in was not started here, has already been used, or took longer than ten minutes. Start again."}

// TakeSSO returns and forgets a begun sign-in, so that it finishes once.
func (s *Store) TakeSSO(ctx context.Context, provider, state string) (sso.Start, string, error) {
	st := sso.Start{State: state}
	var next string
	var created time.Time
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, "DELETE FROM sso_starts WHERE state_hash = ? AND provider = ? RETURNING nonce, verifier, next, created_at",
			hashToken(state), provider).Scan(&st.Nonce, &st.Verifier, &next, nullTime{&created})
		if errors.Is(err, sql.ErrNoRows) || (err == nil && c.now.Sub(created) > SSOStartLife) {
			return ErrSSOStartUnknown
		}
		return err
	})
	return st, next, err
}

// SSOSignIn is what a verified sign-in brings.
type SSOSignIn struct {
	Provider sso.Provider
	Claims   sso.Claims
	// Decide turns the person's explicit (administrator's) grants into the
	// sign-in's grants, applying the mapping rules and money policy.
	Decide func(explicit []people.Grant) sso.Decision
}

// SSOOutcome is the result of an SSO sign-in. With no User, or no Session,
// the person was not signed in, and Reason says why.
type SSOOutcome struct {
	User    people.User
	Session Session
	Reason  string
	Held    []string // mapped roles not given, in plain words
	Created bool
	Linked  bool
}

// SSOSignIn finds or links the person, records the grants the mapping gives
// them (in place of those the provider's rules gave last time), and starts
// a session, all in one transaction; or starts none and says why.
func (s *Store) SSOSignIn(ctx context.Context, in SSOSignIn) (SSOOutcome, error) {
	var out SSOOutcome
	via := "sso:" + in.Provider.ID
	err := s.tx(ctx, func(c conn) error {
		out = SSOOutcome{}
		var userID int64
		err := c.queryRow(ctx, "SELECT user_id FROM sso_identities WHERE provider = ? AND subject = ?", in.Provider.ID, in.Claims.Subject).Scan(&userID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		email := in.Claims.VerifiedEmail(in.Provider)
		if userID == 0 && email != "" {
			err := c.queryRow(ctx, "SELECT id FROM users WHERE email = ?", email).Scan(&userID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			out.Linked = userID != 0
		}
		var explicit []people.Grant
		if userID != 0 {
			if explicit, err = c.explicitGrants(ctx, userID); err != nil {
				return err
			}
		}
		d := in.Decide(explicit)
		valid, dropped, err := c.validGrants(ctx, d.Grants)
		if err != nil {
			return err
		}
		out.Held = append(d.Held, dropped...)
		if userID == 0 {
			switch {
			case !in.Provider.CreateUsers:
				out.Reason = "no-account"
				return nil
			case len(valid) == 0:
				out.Reason = "no-role"
				return nil
			case email == "":
				out.Reason = "no-email"
				return nil
			}
			name := strings.TrimSpace(in.Claims.Name)
			if name == "" {
				name = email
			}
			if err := c.queryRow(ctx, `INSERT INTO users (email, name, password_hash, created_at, created_by) VALUES (?, ?, '', ?, ?) RETURNING id`,
				email, name, c.tsArg(c.now), via).Scan(&userID); err != nil {
				return err
			}
			out.Created = true
			if err := c.appendAudit(ctx, via, "user.add", "user", email, nil, map[string]string{"email": email, "name": name, "provider": in.Provider.ID}); err != nil {
				return err
			}
		}
		if out.Linked || out.Created {
			if _, err := c.exec(ctx, "INSERT INTO sso_identities (provider, subject, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?, ?)",
				in.Provider.ID, in.Claims.Subject, userID, c.tsArg(c.now), via); err != nil {
				return err
			}
			if err := c.appendAudit(ctx, via, "sso.link", "user", email, nil, map[string]string{"provider": in.Provider.ID, "subject": in.Claims.Subject}); err != nil {
				return err
			}
		}
		if err := c.syncSSOGrants(ctx, userID, via, valid); err != nil {
			return err
		}
		if out.User, err = c.user(ctx, userID); err != nil {
			return err
		}
		if len(out.User.Grants) == 0 {
			out.Reason = "no-role"
			return nil
		}
		out.Session, err = c.createSession(ctx, userID, out.User.Email, in.Provider.ID, d.MoneyOK)
		return err
	})
	return out, err
}

// explicitGrants are the grants an administrator made.
func (c conn) explicitGrants(ctx context.Context, userID int64) ([]people.Grant, error) {
	all, err := c.grantsFrom(ctx, userID, "AND g.source = ''")
	return all, err
}

// validGrants keeps the grants whose organisation exists and fits the role,
// and says in words why each other one was dropped.
func (c conn) validGrants(ctx context.Context, gs []people.Grant) ([]people.Grant, []string, error) {
	var ok []people.Grant
	var dropped []string
	for _, g := range gs {
		_, err := c.grantable(ctx, g.Role, g.OrgCode)
		switch {
		case problem.KindOf(err) == problem.Invalid:
			dropped = append(dropped, problem.Message(err))
		case err != nil:
			return nil, nil, err
		default:
			ok = append(ok, g)
		}
	}
	return ok, dropped, nil
}

// syncSSOGrants makes the grants from source exactly want, leaving an
// administrator's grants alone, and audits each change.
func (c conn) syncSSOGrants(ctx context.Context, userID int64, source string, want []people.Grant) error {
	var email string
	if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
		return err
	}
	had, err := c.grantsFrom(ctx, userID, "AND g.source = ?", source)
	if err != nil {
		return err
	}
	wanted := map[[2]string]bool{}
	for _, g := range want {
		wanted[[2]string{string(g.Role), g.OrgCode}] = true
	}
	for _, g := range had {
		if wanted[[2]string{string(g.Role), g.OrgCode}] {
			continue
		}
		if _, err := c.exec(ctx, "DELETE FROM grants WHERE user_id = ? AND role = ? AND org_code = ? AND source = ?", userID, string(g.Role), g.OrgCode, source); err != nil {
			return err
		}
		if err := c.appendAudit(ctx, source, "user.revoke", "user", email, people.Grant{Role: g.Role, OrgCode: g.OrgCode}, nil); err != nil {
			return err
		}
	}
	for _, g := range want {
		res, err := c.exec(ctx, `INSERT INTO grants (user_id, role, org_code, granted_at, granted_by, source) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, role, org_code) DO NOTHING`, userID, string(g.Role), g.OrgCode, c.tsArg(c.now), source, source)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := c.appendAudit(ctx, source, "user.grant", "user", email, nil, people.Grant{Role: g.Role, OrgCode: g.OrgCode}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Identity is a provider's person linked to a OnePC user.
type Identity struct {
	Provider string    `json:"provider"`
	Subject  string    `json:"subject"`
	LinkedAt time.Time `json:"linked_at"`
	LinkedBy string    `json:"linked_by"`
}

// Identities lists the provider identities linked to a user.
func (s *Store) Identities(ctx context.Context, userID int64) ([]Identity, error) {
	rows, err := s.reader().query(ctx, "SELECT provider, subject, linked_at, linked_by FROM sso_identities WHERE user_id = ? ORDER BY provider, subject", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		var id Identity
		if err := rows.Scan(&id.Provider, &id.Subject, nullTime{&id.LinkedAt}, &id.LinkedBy); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// LinkIdentity links a provider's subject to a user: an administrator's
// explicit link, for a person whose provider sends no verified email.
func (s *Store) LinkIdentity(ctx context.Context, actor string, userID int64, provider, subject string) error {
	return s.tx(ctx, func(c conn) error {
		var email string
		if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
			return notFound(err, "There is no such user")
		}
		_, err := c.exec(ctx, "INSERT INTO sso_identities (provider, subject, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?, ?)",
			provider, subject, userID, c.tsArg(c.now), actor)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.OnField(problem.Conflict, "subject", "That identity is already linked to a OnePC user; unlink it there first")
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "sso.link", "user", email, nil, map[string]string{"provider": provider, "subject": subject})
	})
}

// UnlinkIdentity removes a link.
func (s *Store) UnlinkIdentity(ctx context.Context, actor string, userID int64, provider, subject string) error {
	return s.tx(ctx, func(c conn) error {
		var email string
		if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
			return notFound(err, "There is no such user")
		}
		res, err := c.exec(ctx, "DELETE FROM sso_identities WHERE provider = ? AND subject = ? AND user_id = ?", provider, subject, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "That identity is not linked to %s", email)
		}
		return c.appendAudit(ctx, actor, "sso.unlink", "user", email, map[string]string{"provider": provider, "subject": subject}, nil)
	})
}

// AuditSSOFailure records a refused sign-in through a provider.
func (s *Store) AuditSSOFailure(ctx context.Context, provider, who, reason string) error {
	return s.tx(ctx, func(c conn) error {
		return c.appendAudit(ctx, "sso:"+provider, "sso.refused", "user", who, nil, map[string]string{"reason": reason})
	})
}
