package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
)

// Objectives lists a round's objectives (those of priorities still
// adopted) with their actions and indicators.
func (s *Store) Objectives(ctx context.Context, round int64) ([]plans.Objective, error) {
	return s.reader().objectives(ctx, "ob.round_id = ?", round)
}

// ObjectivesOwnedIn lists the objectives of adopted plans owned by any of
// orgs, or with an action they own: what an organisation committed to.
func (s *Store) ObjectivesOwnedIn(ctx context.Context, codes []string) ([]plans.Objective, error) {
	in, args := inClause(codes)
	all := append(append([]any{string(plans.Adopted)}, args...), args...)
	return s.reader().objectives(ctx, "ob.round_id IN (SELECT id FROM plan_rounds WHERE phase = ?) AND (ob.owner IN "+in+" OR ob.id IN (SELECT objective_id FROM plan_actions WHERE owner IN "+in+"))", all...)
}

func (c conn) objectives(ctx context.Context, where string, args ...any) ([]plans.Objective, error) {
	rows, err := c.query(ctx, `SELECT ob.id, ob.round_id, ob.priority_id, ob.title, ob.owner, o.name FROM plan_objectives ob
		JOIN plan_priorities p ON p.id = ob.priority_id AND p.status = ?
		JOIN orgs o ON o.code = ob.owner WHERE `+where+` ORDER BY ob.round_id, ob.id`, append([]any{string(plans.Chosen)}, args...)...)
	if err != nil {
		return nil, err
	}
	var out []plans.Objective
	idx := map[int64]int{}
	for rows.Next() {
		var ob plans.Objective
		if err := rows.Scan(&ob.ID, &ob.Round, &ob.Priority, &ob.Title, &ob.Owner, &ob.OwnerName); err != nil {
			rows.Close()
			return nil, err
		}
		idx[ob.ID] = len(out)
		out = append(out, ob)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]int64, 0, len(out))
	for _, ob := range out {
		ids = append(ids, ob.ID)
	}
	in, iargs := inClause(ids)
	arows, err := c.query(ctx, `SELECT a.id, a.objective_id, a.title, a.owner, o.name, a.person, a.due, a.done FROM plan_actions a
		JOIN orgs o ON o.code = a.owner WHERE a.objective_id IN `+in+` ORDER BY a.due, a.id`, iargs...)
	if err != nil {
		return nil, err
	}
	for arows.Next() {
		var a plans.PlanAction
		var done int
		if err := arows.Scan(&a.ID, &a.Objective, &a.Title, &a.Owner, &a.OwnerName, &a.Person, nullTime{&a.Due}, &done); err != nil {
			arows.Close()
			return nil, err
		}
		a.Done = done == 1
		ob := &out[idx[a.Objective]]
		ob.Actions = append(ob.Actions, a)
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return nil, err
	}
	irows, err := c.query(ctx, `SELECT id, objective_id, kind, measure, org_code, baseline, baseline_month, higher_better FROM plan_indicators
		WHERE objective_id IN `+in+` ORDER BY id`, iargs...)
	if err != nil {
		return nil, err
	}
	indIdx := map[int64][2]int{}
	for irows.Next() {
		ind := plans.Indicator{Targets: map[int]int64{}}
		var hb int
		if err := irows.Scan(&ind.ID, &ind.Objective, &ind.Kind, &ind.Measure, &ind.Org, &ind.Baseline, nullTime{&ind.BaselineAt}, &hb); err != nil {
			irows.Close()
			return nil, err
		}
		ind.HigherBetter = hb == 1
		ob := &out[idx[ind.Objective]]
		indIdx[ind.ID] = [2]int{idx[ind.Objective], len(ob.Indicators)}
		ob.Indicators = append(ob.Indicators, ind)
	}
	irows.Close()
	if err := irows.Err(); err != nil {
		return nil, err
	}
	if len(indIdx) == 0 {
		return out, nil
	}
	var indIDs []int64
	for id := range indIdx {
		indIDs = append(indIDs, id)
	}
	tin, targs := inClause(indIDs)
	trows, err := c.query(ctx, "SELECT indicator_id, year, target FROM plan_targets WHERE indicator_id IN "+tin, targs...)
	if err != nil {
		return nil, err
	}
	defer trows.Close()
	for trows.Next() {
		var id, target int64
		var year int
		if err := trows.Scan(&id, &year, &target); err != nil {
			return nil, err
		}
		at := indIdx[id]
		out[at[0]].Indicators[at[1]].Targets[year] = target
	}
	return out, trows.Err()
}

// objectiveIn checks that an objective belongs to the round.
func (c conn) objectiveIn(ctx context.Context, round, id int64) error {
	var n int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM plan_objectives WHERE id = ? AND round_id = ?", id, round).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return problem.New(problem.NotFound, "There is no objective %d in this plan.", id)
	}
	return nil
}

// SetObjectiveOwner gives an objective to an organisation (in the footprint,
// checked by the caller).
func (s *Store) SetObjectiveOwner(ctx context.Context, actor string, r plans.Round, objective int64, owner string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.objectiveIn(ctx, r.ID, objective); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE plan_objectives SET owner = ? WHERE id = ?", owner, objective); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "set objective owner", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"objective": objective, "owner": owner})
	})
}

// AddPlanAction adds an action (checked by plans.CheckAction) to an objective.
func (s *Store) AddPlanAction(ctx context.Context, actor string, r plans.Round, a plans.PlanAction) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.objectiveIn(ctx, r.ID, a.Objective); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "INSERT INTO plan_actions (objective_id, title, owner, person, due) VALUES (?, ?, ?, ?, ?)",
			a.Objective, a.Title, a.Owner, a.Person, dateArg(a.Due)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "add plan action", "plan_round", roundKey(r.Footprint, r.ID), nil, a)
	})
}

// SetActionDone marks an action of the round done or not.
func (s *Store) SetActionDone(ctx context.Context, actor string, r plans.Round, action int64, done bool) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE plan_actions SET done = ? WHERE id = ? AND objective_id IN (SELECT id FROM plan_objectives WHERE round_id = ?)`, boolInt(done), action, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "There is no action %d in this plan.", action)
		}
		return c.appendAudit(ctx, actor, "mark plan action", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"action": action, "done": done})
	})
}

// AddIndicator adds an indicator (checked by plans.NewIndicator, its
// baseline read from the data) to an objective.
func (s *Store) AddIndicator(ctx context.Context, actor string, r plans.Round, ind plans.Indicator) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.objectiveIn(ctx, r.ID, ind.Objective); err != nil {
			return err
		}
		var id int64
		err := c.queryRow(ctx, `INSERT INTO plan_indicators (objective_id, kind, measure, org_code, baseline, baseline_month, higher_better)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, ind.Objective, string(ind.Kind), ind.Measure, ind.Org, ind.Baseline, dateArg(ind.BaselineAt), boolInt(ind.HigherBetter)).Scan(&id)
		if err != nil {
			return err
		}
		years := slices.Sorted(maps.Keys(ind.Targets))
		if err := c.bulkInsert(ctx, "plan_targets", []string{"indicator_id", "year", "target"}, len(years), func(i int) []any {
			return []any{id, years[i], ind.Targets[years[i]]}
		}); err != nil {
			return err
		}
		ind.ID = id
		return c.appendAudit(ctx, actor, "add plan indicator", "plan_round", roundKey(r.Footprint, r.ID), nil, ind)
	})
}

// PlanVersions lists a plan's versions, oldest first.
func (s *Store) PlanVersions(ctx context.Context, round int64) ([]plans.Version, error) {
	rows, err := s.reader().query(ctx, "SELECT n, body, sha256, actor, at, frozen FROM plan_versions WHERE round_id = ? ORDER BY n", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.Version
	for rows.Next() {
		var v plans.Version
		var frozen int
		if err := rows.Scan(&v.N, &v.Body, &v.SHA256, &v.By, nullTime{&v.At}, &frozen); err != nil {
			return nil, err
		}
		v.Frozen = frozen == 1
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveVersion keeps a new version of the plan's text, made from version
// basedOn (0 for the first): if someone saved another since, it is refused,
// so that nobody's edit is lost. A new version needs signing again.
func (s *Store) SaveVersion(ctx context.Context, actor string, r plans.Round, basedOn int, body string) (int, error) {
	var n int
	err := s.tx(ctx, func(c conn) error {
		if err := c.lockRound(ctx, r.ID); err != nil {
			return err
		}
		var latest int
		if err := c.queryRow(ctx, "SELECT COALESCE(MAX(n), 0) FROM plan_versions WHERE round_id = ?", r.ID).Scan(&latest); err != nil {
			return err
		}
		if latest != basedOn {
			return problem.New(problem.Conflict, "Someone saved version %d of the plan while you were editing version %d: your text was not saved. Copy it, reload the page and make your changes to the new version.", latest, basedOn)
		}
		n = latest + 1
		if _, err := c.exec(ctx, "INSERT INTO plan_versions (round_id, n, body, sha256, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
			r.ID, n, body, plans.Hash(body), actor, c.tsArg(c.now)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "save plan version", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"version": n, "sha256": plans.Hash(body)})
	})
	return n, err
}

// Freeze marks the latest version frozen for signing, if it is still the
// latest and every statutory step is done (both checked in the transaction).
func (s *Store) Freeze(ctx context.Context, actor string, r plans.Round, n int) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.lockRound(ctx, r.ID); err != nil { // a save at the same time comes before or after, never between
			return err
		}
		var latest int
		if err := c.queryRow(ctx, "SELECT COALESCE(MAX(n), 0) FROM plan_versions WHERE round_id = ?", r.ID).Scan(&latest); err != nil {
			return err
		}
		if latest == 0 {
			return problem.New(problem.Conflict, "Write the plan's text before freezing it for signing.")
		}
		if n != latest {
			return problem.New(problem.Conflict, "Version %d is not the latest (version %d is): freeze the latest.", n, latest)
		}
		items, err := c.checklist(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := plans.CanFreeze(items); err != nil {
			return err
		}
		var sha string
		if err := c.queryRow(ctx, "SELECT sha256 FROM plan_versions WHERE round_id = ? AND n = ?", r.ID, n).Scan(&sha); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE plan_versions SET frozen = 1 WHERE round_id = ? AND n = ?", r.ID, n); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "freeze plan for signing", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"version": n, "sha256": sha})
	})
}

// Checklist lists a round's statutory steps.
func (s *Store) Checklist(ctx context.Context, round int64) ([]plans.ChecklistItem, error) {
	return s.reader().checklist(ctx, round)
}

func (c conn) checklist(ctx context.Context, round int64) ([]plans.ChecklistItem, error) {
	rows, err := c.query(ctx, "SELECT id, title, done_by, done_at, note FROM plan_checklist WHERE round_id = ? ORDER BY id", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.ChecklistItem
	for rows.Next() {
		var it plans.ChecklistItem
		if err := rows.Scan(&it.ID, &it.Title, &it.DoneBy, nullTime{&it.DoneAt}, &it.Note); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// AddChecklistItem adds a required statutory step.
func (s *Store) AddChecklistItem(ctx context.Context, actor string, r plans.Round, title string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "INSERT INTO plan_checklist (round_id, title) VALUES (?, ?)", r.ID, title); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "add required step", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"step": title})
	})
}

// TickChecklistItem marks a step done, with a note.
func (s *Store) TickChecklistItem(ctx context.Context, actor string, r plans.Round, id int64, note string) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE plan_checklist SET done_by = ?, done_at = ?, note = ? WHERE id = ? AND round_id = ? AND done_by = ''", actor, c.tsArg(c.now), note, id, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "That step is done already, or is not one of this plan's.")
		}
		return c.appendAudit(ctx, actor, "complete required step", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"step": id, "note": note})
	})
}

// Signatures lists every signature on a round's versions.
func (s *Store) Signatures(ctx context.Context, round int64) ([]plans.Signature, error) {
	return s.reader().signatures(ctx, round)
}

func (c conn) signatures(ctx context.Context, round int64) ([]plans.Signature, error) {
	rows, err := c.query(ctx, "SELECT version, sha256, constituency, member, member_name, signer, at FROM plan_signatures WHERE round_id = ? ORDER BY at", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.Signature
	for rows.Next() {
		var sg plans.Signature
		if err := rows.Scan(&sg.Version, &sg.SHA256, &sg.Constituency, &sg.Member, &sg.MemberName, &sg.Signer, nullTime{&sg.At}); err != nil {
			return nil, err
		}
		out = append(out, sg)
	}
	return out, rows.Err()
}

// Sign records a signature on the version signer read (n and its hash).
// It is refused unless that version is the latest and frozen: a plan edited
// since needs signing again. When the signature meets the adoption rule
// (members counts each constituency's members), the round is adopted, in
// the same transaction. actor names the signer in the audit log; the
// signature shows sg.Signer, a name.
func (s *Store) Sign(ctx context.Context, actor string, r plans.Round, sg plans.Signature, members map[plans.ConstituencyKind]int) (adopted bool, err error) {
	err = s.tx(ctx, func(c conn) error {
		// Signatures, saves and freezes in one round are taken one at a
		// time, so that the last two signatures cannot each miss the other.
		if err := c.lockRound(ctx, r.ID); err != nil {
			return err
		}
		var phase string
		if err := c.queryRow(ctx, "SELECT phase FROM plan_rounds WHERE id = ?", r.ID).Scan(&phase); err != nil {
			return err
		}
		r.Phase = plans.Phase(phase)
		if err := r.Allows(plans.Sign); err != nil {
			return err
		}
		items, err := c.checklist(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := plans.CanFreeze(items); err != nil { // a step added since the freeze
			return err
		}
		var latest int
		var sha string
		var frozen int
		err = c.queryRow(ctx, "SELECT n, sha256, frozen FROM plan_versions WHERE round_id = ? ORDER BY n DESC LIMIT 1", r.ID).Scan(&latest, &sha, &frozen)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && frozen == 0) {
			return problem.New(problem.Conflict, "There is no version frozen for signing: the plan has changed since it was frozen, or was never frozen.")
		}
		if err != nil {
			return err
		}
		if latest != sg.Version || sha != sg.SHA256 {
			return problem.New(problem.Conflict, "The plan has changed since you read it: version %d is now the one to sign. Read it, then sign.", latest)
		}
		res, err := c.exec(ctx, `INSERT INTO plan_signatures (round_id, version, sha256, constituency, member, member_name, signer, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.ID, sg.Version, sg.SHA256, string(sg.Constituency), sg.Member, sg.MemberName, sg.Signer, c.tsArg(c.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "%s has signed version %d already.", sg.MemberName, sg.Version)
		}
		if err := c.appendAudit(ctx, actor, "sign plan", "plan_round", roundKey(r.Footprint, r.ID), nil, sg); err != nil {
			return err
		}
		sigs, err := c.signatures(ctx, r.ID)
		if err != nil {
			return err
		}
		if ok, _ := plans.Adoption(r, members, sigs, sha); ok {
			adopted = true
			return c.setPhase(ctx, "onepc", r, plans.Adopted)
		}
		return nil
	})
	return adopted, err
}

// PlanMembers are the organisations that take part in a round as members of
// its constituencies, today: those of each constituency's kind at or below
// the footprint, and the Place and ICB above it. scope (the footprint and
// every organisation below it) and chain (it and those above it) are the
// caller's, who has them at hand (web keeps them per data version).
func (s *Store) PlanMembers(ctx context.Context, r plans.Round, scope map[string]bool, chain []string, today time.Time) (map[string]plans.ConstituencyKind, map[string]string, error) {
	codes := append([]string{}, chain...)
	for c := range scope {
		codes = append(codes, c)
	}
	list, err := s.OrgsByCode(ctx, codes)
	if err != nil {
		return nil, nil, err
	}
	members, names := map[string]plans.ConstituencyKind{}, map[string]string{}
	for _, o := range list {
		if k, ok := r.MemberOf(o, scope[o.Code], today); ok {
			members[o.Code], names[o.Code] = k, o.Name
		}
	}
	return members, names, nil
}

// GuestSignatories counts, for each guest constituency, the signatory
// join codes made: the members that sign for it.
func (s *Store) GuestSignatories(ctx context.Context, round int64) (map[plans.ConstituencyKind]int, error) {
	rows, err := s.reader().query(ctx, "SELECT constituency, COUNT(*) FROM plan_guests WHERE round_id = ? AND signatory = 1 GROUP BY constituency", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[plans.ConstituencyKind]int{}
	for rows.Next() {
		var k plans.ConstituencyKind
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// ClaimsTotal is the pence of claims approved (and those since paid) for
// the organisations' periods starting in the financial year from.
func (s *Store) ClaimsTotal(ctx context.Context, codes []string, from time.Time) (int64, error) {
	in, args := inClause(codes)
	var total int64
	err := s.reader().queryRow(ctx, `SELECT COALESCE(SUM(pence), 0) FROM claims WHERE org_code IN `+in+`
		AND status IN (?, ?) AND period_start >= ? AND period_start < ?`, // paid is worked out on reading, from these
		append(args, string(claims.Approved), string(claims.Finance), dateArg(from), dateArg(from.AddDate(1, 0, 0)))...).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("claims total: %w", err)
	}
	return total, nil
}
