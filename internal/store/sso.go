package store

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
)

const ruleColumns = "id, provider, claim, value, activity, org_code, role, added_by"

func scanRule(sc interface{ Scan(...any) error }) (sso.Rule, error) {
	var r sso.Rule
	err := sc.Scan(&r.ID, &r.Provider, &r.Claim, &r.Value, &r.Activity, &r.Org, &r.Role, &r.AddedBy)
	return r, err
}

// SSORules returns a provider's mapping rules ("" for every provider's)
// that give roles within scope (the organisations an administrator
// administers; nil for all, including those at the claim's own organisation).
func (s *Store) SSORules(ctx context.Context, provider string, scope map[string]bool) ([]sso.Rule, error) {
	q, args := "SELECT "+ruleColumns+" FROM sso_rules WHERE 1=1", []any{}
	if provider != "" {
		q += " AND provider = ?"
		args = append(args, provider)
	}
	if scope != nil {
		in, inArgs := inClause(slices.Sorted(maps.Keys(scope)))
		q += " AND org_code IN " + in
		args = append(args, inArgs...)
	}
	rows, err := s.reader().query(ctx, q+" ORDER BY provider, claim, value, org_code, role", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sso.Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SSORule returns one rule.
func (s *Store) SSORule(ctx context.Context, id int64) (sso.Rule, error) {
	r, err := scanRule(s.reader().queryRow(ctx, "SELECT "+ruleColumns+" FROM sso_rules WHERE id = ?", id))
	return r, notFound(err, "There is no such rule")
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
		var err error
		if r, err = scanRule(c.queryRow(ctx, "SELECT "+ruleColumns+" FROM sso_rules WHERE id = ?", id)); err != nil {
			return notFound(err, "There is no such rule")
		}
		if _, err := c.exec(ctx, "DELETE FROM sso_rules WHERE id = ?", id); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "sso.rule.delete", "sso_rule", r.Provider, r, nil)
	})
	return r, err
}

// SSOStart is a begun sign-in's secrets, kept until the provider sends the
// person back.
type SSOStart struct {
	State, Nonce, Verifier string
}

// MaxSSOStarts is how many sign-ins one address may begin in sso.StartLife:
// each keeps a row until it finishes or expires.
const MaxSSOStarts = 30

// BeginSSO keeps a sign-in's secrets until the provider sends the person
// back; an address that has begun MaxSSOStarts unfinished sign-ins recently
// is asked to wait.
func (s *Store) BeginSSO(ctx context.Context, provider string, st SSOStart, next, ip string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM sso_starts WHERE created_at < ?", c.tsArg(c.now.Add(-sso.StartLife))); err != nil {
			return err
		}
		var n int
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM sso_starts WHERE ip = ?", ip).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSSOStarts {
			return problem.New(problem.TooMany, "Too many sign-ins have been started from your network. Wait a few minutes and try again.")
		}
		_, err := c.exec(ctx, "INSERT INTO sso_starts (state_hash, provider, nonce, verifier, next, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			hashToken(st.State), provider, st.Nonce, st.Verifier, next, ip, c.tsArg(c.now))
		return err
	})
}

// ErrSSOStartUnknown is a return from a provider that matches no sign-in
// begun here in the last ten minutes, or one already finished.
var ErrSSOStartUnknown = &problem.Error{Kind: problem.NotFound,
	Message: "This sign-in was not started here, has already been used, or took longer than ten minutes. Start again."}

// TakeSSO returns and forgets a begun sign-in, so that it finishes once.
func (s *Store) TakeSSO(ctx context.Context, provider, state string) (SSOStart, string, error) {
	st := SSOStart{State: state}
	var next string
	var created time.Time
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, "DELETE FROM sso_starts WHERE state_hash = ? AND provider = ? RETURNING nonce, verifier, next, created_at",
			hashToken(state), provider).Scan(&st.Nonce, &st.Verifier, &next, nullTime{&created})
		if errors.Is(err, sql.ErrNoRows) || (err == nil && c.now.Sub(created) > sso.StartLife) {
			return ErrSSOStartUnknown
		}
		return err
	})
	return st, next, err
}

// SSOOutcome is what an SSO sign-in did. With no Session the person was not
// signed in, and Admission.Refusal says why.
type SSOOutcome struct {
	sso.Admission
	User    people.User
	Session Session
}

// SSOSignIn signs a person in from a verified sign-in: in one transaction
// it reads what OnePC knows of them, asks sso.Admit, and does what that
// decides (create the user, link the subject, record the mapped grants in
// place of last time's, start a session). A refused sign-in changes nothing.
// Two first sign-ins of one person at once cannot both create them: the
// loser is retried once and finds what the winner made.
func (s *Store) SSOSignIn(ctx context.Context, p sso.Provider, claims sso.Claims, rules []sso.Rule) (SSOOutcome, error) {
	out, err := s.ssoSignIn(ctx, p, claims, rules)
	if problem.KindOf(mapError(err)) == problem.Conflict {
		out, err = s.ssoSignIn(ctx, p, claims, rules)
	}
	return out, err
}

func (s *Store) ssoSignIn(ctx context.Context, p sso.Provider, claims sso.Claims, rules []sso.Rule) (SSOOutcome, error) {
	var out SSOOutcome
	via := sso.Source(p.ID)
	err := s.tx(ctx, func(c conn) error {
		out = SSOOutcome{}
		who, err := c.ssoPerson(ctx, p, claims)
		if err != nil {
			return err
		}
		kinds, err := c.orgKinds(ctx, sso.Map(rules, claims))
		if err != nil {
			return err
		}
		out.Admission = sso.Admit(p, claims, rules, who, kinds)
		if out.Refusal != "" {
			return nil
		}
		userID, email := who.UserID, claims.VerifiedEmail(p)
		if out.Create {
			name := strings.TrimSpace(claims.Name)
			if name == "" {
				name = email
			}
			if err := c.queryRow(ctx, `INSERT INTO users (email, name, password_hash, created_at, created_by) VALUES (?, ?, '', ?, ?) RETURNING id`,
				email, name, c.tsArg(c.now), via).Scan(&userID); err != nil {
				return err
			}
			if err := c.appendAudit(ctx, via, "user.add", "user", email, nil, map[string]string{"email": email, "name": name, "provider": p.ID}); err != nil {
				return err
			}
		}
		if out.Link {
			if _, err := c.exec(ctx, "INSERT INTO sso_identities (provider, subject, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?, ?)",
				p.ID, claims.Subject, userID, c.tsArg(c.now), via); err != nil {
				return err
			}
			if err := c.appendAudit(ctx, via, "sso.link", "user", email, nil, map[string]string{"provider": p.ID, "subject": claims.Subject}); err != nil {
				return err
			}
		}
		if err := c.syncSSOGrants(ctx, userID, via, out.Grants); err != nil {
			return err
		}
		if out.User, err = c.user(ctx, userID); err != nil {
			return err
		}
		out.User.Grants = sso.SessionGrants(out.User.Grants, p.ID, out.MoneyOK)
		out.Session, err = c.createSession(ctx, userID, out.User.Email, p.ID, out.MoneyOK)
		return err
	})
	return out, err
}

// ssoPerson reads what OnePC knows of the person signing in: the user
// linked to the provider's subject, or else the user with their verified
// email (and whether that user is linked to someone else there).
func (c conn) ssoPerson(ctx context.Context, p sso.Provider, claims sso.Claims) (sso.Person, error) {
	var who sso.Person
	err := c.queryRow(ctx, "SELECT user_id FROM sso_identities WHERE provider = ? AND subject = ?", p.ID, claims.Subject).Scan(&who.UserID)
	switch {
	case err == nil:
		who.BySubject = true
	case !errors.Is(err, sql.ErrNoRows):
		return who, err
	case claims.VerifiedEmail(p) != "":
		err := c.queryRow(ctx, `SELECT u.id, EXISTS (SELECT 1 FROM sso_identities i WHERE i.user_id = u.id AND i.provider = ?)
			FROM users u WHERE u.email = ?`, p.ID, claims.VerifiedEmail(p)).Scan(&who.UserID, &who.LinkedElsewhere)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return who, err
		}
	}
	if who.UserID != 0 {
		var err error
		who.Explicit, err = c.grantsFrom(ctx, who.UserID, "")
		return who, err
	}
	return who, nil
}

// orgKinds returns the kind of each organisation the matches name that exists.
func (c conn) orgKinds(ctx context.Context, matches []sso.Match) (map[string]orgs.Kind, error) {
	out := map[string]orgs.Kind{}
	if len(matches) == 0 {
		return out, nil
	}
	var codes []string
	for _, m := range matches {
		codes = append(codes, m.Grant.OrgCode)
	}
	in, args := inClause(codes)
	rows, err := c.query(ctx, "SELECT code, kind FROM orgs WHERE code IN "+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var kind orgs.Kind
		if err := rows.Scan(&code, &kind); err != nil {
			return nil, err
		}
		out[code] = kind
	}
	return out, rows.Err()
}

// syncSSOGrants makes the grants from source exactly want, leaving an
// administrator's grants alone, and audits each change.
func (c conn) syncSSOGrants(ctx context.Context, userID int64, source string, want []people.Grant) error {
	var email string
	if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
		return err
	}
	had, err := c.grantsFrom(ctx, userID, source)
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
		if err := c.mustDosChanged(ctx); err != nil {
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
			if err := c.mustDosChanged(ctx); err != nil {
				return err
			}
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
	return s.changeIdentity(ctx, actor, userID, provider, subject, true)
}

// UnlinkIdentity removes a link.
func (s *Store) UnlinkIdentity(ctx context.Context, actor string, userID int64, provider, subject string) error {
	return s.changeIdentity(ctx, actor, userID, provider, subject, false)
}

func (s *Store) changeIdentity(ctx context.Context, actor string, userID int64, provider, subject string, link bool) error {
	return s.tx(ctx, func(c conn) error {
		var email string
		if err := c.queryRow(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
			return notFound(err, "There is no such user")
		}
		id := map[string]string{"provider": provider, "subject": subject}
		if !link {
			res, err := c.exec(ctx, "DELETE FROM sso_identities WHERE provider = ? AND subject = ? AND user_id = ?", provider, subject, userID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return problem.New(problem.NotFound, "That identity is not linked to %s", email)
			}
			return c.appendAudit(ctx, actor, "sso.unlink", "user", email, id, nil)
		}
		_, err := c.exec(ctx, "INSERT INTO sso_identities (provider, subject, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?, ?)",
			provider, subject, userID, c.tsArg(c.now), actor)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.OnField(problem.Conflict, "subject", "That identity is already linked to a OnePC user; unlink it there first")
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "sso.link", "user", email, nil, id)
	})
}

// AuditSSOFailure records a refused sign-in through a provider, after the
// sign-in was shown to have begun here (its state matched).
func (s *Store) AuditSSOFailure(ctx context.Context, provider, who, reason string) error {
	return s.tx(ctx, func(c conn) error {
		return c.appendAudit(ctx, sso.Source(provider), "sso.refused", "user", who, nil, map[string]string{"reason": reason})
	})
}
