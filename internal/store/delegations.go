package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// Delegation is a practice letting its PCN make its claims.
type Delegation struct {
	Practice  string    `json:"practice_code"`
	PCN       string    `json:"pcn_code"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
}

// DelegatedTo is the PCN a practice has let make its claims, if any ("").
// A delegation lapses when the practice leaves that PCN.
func (s *Store) DelegatedTo(ctx context.Context, practice string) (Delegation, error) {
	d := Delegation{Practice: practice}
	c := s.reader()
	today := dateArg(orgs.Today(c.now))
	err := c.queryRow(ctx, `SELECT d.pcn_code, d.granted_at, d.granted_by FROM claim_delegations d WHERE d.practice_code = ? AND d.revoked_at IS NULL
		AND EXISTS (SELECT 1 FROM pcn_memberships m WHERE m.practice_code = d.practice_code AND m.pcn_code = d.pcn_code
			AND m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?))`, practice, today, today).
		Scan(&d.PCN, nullTime{&d.GrantedAt}, &d.GrantedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Delegation{Practice: practice}, nil
	}
	return d, err
}

// Delegate lets the practice's PCN of today make its claims (fill, declare
// and submit returns, amend, answer offers), until revoked.
func (s *Store) Delegate(ctx context.Context, actor, practice string) (Delegation, error) {
	var d Delegation
	err := s.tx(ctx, func(c conn) error {
		var pcn string
		err := c.queryRow(ctx, `SELECT pcn_code FROM pcn_memberships WHERE practice_code = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)
			ORDER BY start_date DESC LIMIT 1`, practice, dateArg(orgs.Today(c.now)), dateArg(orgs.Today(c.now))).Scan(&pcn)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.Invalid, "%s belongs to no PCN today, so there is no PCN to let make its claims", practice)
		}
		if err != nil {
			return err
		}
		d = Delegation{Practice: practice, PCN: pcn, GrantedAt: c.now.UTC().Truncate(time.Microsecond), GrantedBy: actor}
		// A delegation to a PCN the practice has left has lapsed: end it.
		if _, err := c.exec(ctx, "UPDATE claim_delegations SET revoked_at = ?, revoked_by = ? WHERE practice_code = ? AND revoked_at IS NULL AND pcn_code <> ?",
			c.tsArg(c.now), "lapsed: the practice left that PCN", practice, pcn); err != nil {
			return err
		}
		_, err = c.exec(ctx, "INSERT INTO claim_delegations (practice_code, pcn_code, granted_at, granted_by) VALUES (?, ?, ?, ?)",
			practice, pcn, c.tsArg(d.GrantedAt), actor)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.New(problem.Conflict, "%s has let its PCN make its claims already", practice)
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "claims.delegate", "org", practice, nil, d)
	})
	return d, err
}

// RevokeDelegation ends a practice's delegation to its PCN.
func (s *Store) RevokeDelegation(ctx context.Context, actor, practice string) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE claim_delegations SET revoked_at = ?, revoked_by = ? WHERE practice_code = ? AND revoked_at IS NULL",
			c.tsArg(c.now), actor, practice)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "%s has not let its PCN make its claims", practice)
		}
		return c.appendAudit(ctx, actor, "claims.revoke_delegation", "org", practice, nil, nil)
	})
}
