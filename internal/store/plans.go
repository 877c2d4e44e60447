package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/tally"
)

// roundKey is a round's audit entity id: FOOTPRINT/id, so that the audit
// log scopes its entries to the footprint.
func roundKey(footprint string, id int64) string { return footprint + "/" + strconv.FormatInt(id, 10) }

// CreateRound opens a planning round (checked by plans.NewRound).
func (s *Store) CreateRound(ctx context.Context, actor string, r plans.Round) (int64, error) {
	var id int64
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, `INSERT INTO plan_rounds (footprint, title, from_year, to_year, phase, cap, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Footprint, r.Title, r.FromYear, r.ToYear, string(r.Phase), r.Cap, actor, c.tsArg(c.now)).Scan(&id)
		if err != nil {
			return err
		}
		if err := c.bulkInsert(ctx, "plan_phases", []string{"round_id", "phase", "is_on", "start_date", "end_date"}, len(r.Phases), func(i int) []any {
			pp := r.Phases[i]
			return []any{id, string(pp.Phase), boolInt(pp.On), dateArg(pp.Start), dateArg(pp.End)}
		}); err != nil {
			return err
		}
		if err := c.bulkInsert(ctx, "plan_constituencies", []string{"round_id", "kind", "sign_role", "need_num", "need_den", "position"}, len(r.Constituencies), func(i int) []any {
			k := r.Constituencies[i]
			return []any{id, string(k.Kind), string(k.SignRole), k.NeedNum, k.NeedDen, i}
		}); err != nil {
			return err
		}
		r.ID = id
		return c.appendAudit(ctx, actor, "open planning round", "plan_round", roundKey(r.Footprint, id), nil, r)
	})
	return id, err
}

const roundColumns = `r.id, r.footprint, o.name, o.kind, r.title, r.from_year, r.to_year, r.phase, r.cap, r.published, r.created_by, r.created_at`

func scanRound(sc interface{ Scan(...any) error }) (plans.Round, error) {
	var r plans.Round
	var published int
	err := sc.Scan(&r.ID, &r.Footprint, &r.FootprintName, &r.FootprintKind, &r.Title, &r.FromYear, &r.ToYear, &r.Phase, &r.Cap, &published, &r.CreatedBy, nullTime{&r.CreatedAt})
	r.Published = published == 1
	return r, err
}

// Round reads a round with its phases and constituencies. Who may see it is
// decided by the caller from its footprint (see web's planViewer); an id
// that does not exist is NotFound.
func (s *Store) Round(ctx context.Context, id int64) (plans.Round, error) {
	c := s.reader()
	r, err := scanRound(c.queryRow(ctx, "SELECT "+roundColumns+" FROM plan_rounds r JOIN orgs o ON o.code = r.footprint WHERE r.id = ?", id))
	if err != nil {
		return r, notFound(err, "There is no planning round %d.", id)
	}
	rows, err := c.query(ctx, "SELECT phase, is_on, start_date, end_date FROM plan_phases WHERE round_id = ?", id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	byPhase := map[plans.Phase]plans.PhasePlan{}
	for rows.Next() {
		var pp plans.PhasePlan
		var on int
		if err := rows.Scan(&pp.Phase, &on, nullTime{&pp.Start}, nullTime{&pp.End}); err != nil {
			return r, err
		}
		pp.On = on == 1
		byPhase[pp.Phase] = pp
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	for _, p := range plans.Phases {
		if pp, ok := byPhase[p]; ok {
			r.Phases = append(r.Phases, pp)
		}
	}
	krows, err := c.query(ctx, "SELECT kind, sign_role, need_num, need_den FROM plan_constituencies WHERE round_id = ? ORDER BY position", id)
	if err != nil {
		return r, err
	}
	defer krows.Close()
	for krows.Next() {
		var k plans.Constituency
		if err := krows.Scan(&k.Kind, &k.SignRole, &k.NeedNum, &k.NeedDen); err != nil {
			return r, err
		}
		r.Constituencies = append(r.Constituencies, k)
	}
	return r, krows.Err()
}

// RoundsIn lists the rounds whose footprint is one of footprints, newest first.
func (s *Store) RoundsIn(ctx context.Context, footprints []string) ([]plans.Round, error) {
	var out []plans.Round
	for start := 0; start < len(footprints); start += 1000 {
		in, args := inClause(footprints[start:min(start+1000, len(footprints))])
		rows, err := s.reader().query(ctx, "SELECT "+roundColumns+" FROM plan_rounds r JOIN orgs o ON o.code = r.footprint WHERE r.footprint IN "+in, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r, err := scanRound(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b plans.Round) int { return int(b.ID - a.ID) })
	return out, nil
}

var errRoundMoved = &problem.Error{Kind: problem.Conflict, Message: "The round moved on while you were looking: reload the page to see where it stands."}

// SetPhase moves a round from one phase to another, only if it is still at
// from (a compare-and-set: two facilitators pressing at once move it once).
func (s *Store) SetPhase(ctx context.Context, actor string, r plans.Round, to plans.Phase) error {
	return s.tx(ctx, func(c conn) error {
		return c.setPhase(ctx, actor, r, to)
	})
}

func (c conn) setPhase(ctx context.Context, actor string, r plans.Round, to plans.Phase) error {
	res, err := c.exec(ctx, "UPDATE plan_rounds SET phase = ? WHERE id = ? AND phase = ?", string(to), r.ID, string(r.Phase))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errRoundMoved
	}
	return c.appendAudit(ctx, actor, "move planning round to "+string(to), "plan_round", roundKey(r.Footprint, r.ID),
		map[string]any{"phase": r.Phase}, map[string]any{"phase": to})
}

// PublishRound marks a round's adopted plan published: the plan of record,
// as its pages and exports say.
func (s *Store) PublishRound(ctx context.Context, actor string, r plans.Round) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "UPDATE plan_rounds SET published = 1 WHERE id = ?", r.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "publish plan", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"published": true})
	})
}

// SetCap changes the most priorities a plan may adopt, with the reason, in
// the moderation log. The round's row is taken first, so that an adoption
// at the same time is counted before the cap is checked (plans.CheckCap).
func (s *Store) SetCap(ctx context.Context, actor string, r plans.Round, cap int, reason string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.lockRound(ctx, r.ID); err != nil {
			return err
		}
		var was, adopted int
		if err := c.queryRow(ctx, "SELECT cap, (SELECT COUNT(*) FROM plan_priorities WHERE round_id = ? AND status = ?) FROM plan_rounds WHERE id = ?",
			r.ID, string(plans.Chosen), r.ID).Scan(&was, &adopted); err != nil {
			return err
		}
		if err := plans.CheckCap(cap, adopted); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE plan_rounds SET cap = ? WHERE id = ?", cap, r.ID); err != nil {
			return err
		}
		if err := c.logModeration(ctx, r.ID, actor, "cap", nil, nil, fmt.Sprintf("Most priorities changed from %d to %d: %s", was, cap, reason)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "change priority cap", "plan_round", roundKey(r.Footprint, r.ID), map[string]any{"cap": was}, map[string]any{"cap": cap, "reason": reason})
	})
}

// lockRound takes the round's row for the rest of the transaction (a write
// that changes nothing): what is decided from the round's state (adoptions
// under the cap, versions, signatures) is decided one transaction at a time.
func (c conn) lockRound(ctx context.Context, round int64) error {
	_, err := c.exec(ctx, "UPDATE plan_rounds SET cap = cap WHERE id = ?", round)
	return err
}

// bumpLive moves the round's live counter: the away day's streams send
// their event again (a vote, a push, a close).
func (c conn) bumpLive(ctx context.Context, round int64) error {
	_, err := c.exec(ctx, "UPDATE plan_rounds SET live_version = live_version + 1 WHERE id = ?", round)
	return err
}

func joinIDs(ids []int64) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for p := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func (c conn) logModeration(ctx context.Context, round int64, actor, action string, ids, result []int64, reason string) error {
	_, err := c.exec(ctx, "INSERT INTO plan_moderation (round_id, at, actor, action, priorities, result, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
		round, c.tsArg(c.now), actor, action, joinIDs(ids), joinIDs(result), reason)
	return err
}

// ModerationLog is the round's moderation, oldest first.
func (s *Store) ModerationLog(ctx context.Context, round int64) ([]plans.Moderation, error) {
	rows, err := s.reader().query(ctx, "SELECT at, actor, action, priorities, result, reason FROM plan_moderation WHERE round_id = ? ORDER BY id", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.Moderation
	for rows.Next() {
		var m plans.Moderation
		var ids, result string
		if err := rows.Scan(nullTime{&m.At}, &m.By, &m.Action, &ids, &result, &m.Reason); err != nil {
			return nil, err
		}
		m.Priorities, m.Result = splitIDs(ids), splitIDs(result)
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddPriorities adds proposals (checked by plans.NewPriority) to a round,
// all or none.
func (s *Store) AddPriorities(ctx context.Context, actor string, r plans.Round, ps []plans.Priority) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(c conn) error {
		var items []auditItem
		for _, p := range ps {
			id, err := c.insertPriority(ctx, r.ID, p)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			p.ID, p.Round = id, r.ID
			items = append(items, auditItem{"propose priority", "plan_round", roundKey(r.Footprint, r.ID), nil, p})
		}
		return c.appendAudits(ctx, actor, items) // one look at the log's end however many there are
	})
	return ids, err
}

func (c conn) insertPriority(ctx context.Context, round int64, p plans.Priority) (int64, error) {
	var id int64
	var split any
	if p.SplitFrom != 0 {
		split = p.SplitFrom
	}
	err := c.queryRow(ctx, `INSERT INTO plan_priorities (round_id, title, problem, constituency, proposed_by, proposer_name, status, split_from, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, round, p.Title, p.Problem, string(p.Constituency), p.ProposedBy, p.ProposerName, string(plans.Open), split, c.tsArg(c.now)).Scan(&id)
	if err != nil {
		return 0, err
	}
	for _, e := range p.Evidence {
		if _, err := c.exec(ctx, "INSERT INTO plan_evidence (priority_id, kind, measure, org_code) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			id, string(e.Kind), e.Measure, e.Org); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Priorities lists a round's priorities with their endorsements and
// evidence, in the order proposed.
func (s *Store) Priorities(ctx context.Context, round int64) ([]plans.Priority, error) {
	c := s.reader()
	rows, err := c.query(ctx, `SELECT p.id, p.title, p.problem, p.constituency, p.proposed_by, p.proposer_name, p.status, p.reason,
		COALESCE(p.merged_into, 0), COALESCE(p.split_from, 0), p.created_at,
		(SELECT COUNT(*) FROM plan_endorsements e WHERE e.priority_id = p.id)
		FROM plan_priorities p WHERE p.round_id = ? ORDER BY p.id`, round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.Priority
	idx := map[int64]int{}
	for rows.Next() {
		p := plans.Priority{Round: round}
		if err := rows.Scan(&p.ID, &p.Title, &p.Problem, &p.Constituency, &p.ProposedBy, &p.ProposerName, &p.Status, &p.Reason,
			&p.MergedInto, &p.SplitFrom, nullTime{&p.CreatedAt}, &p.Endorsements); err != nil {
			return nil, err
		}
		idx[p.ID] = len(out)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	erows, err := c.query(ctx, `SELECT e.priority_id, e.kind, e.measure, e.org_code FROM plan_evidence e
		JOIN plan_priorities p ON p.id = e.priority_id WHERE p.round_id = ? ORDER BY e.priority_id, e.kind, e.measure, e.org_code`, round)
	if err != nil {
		return nil, err
	}
	defer erows.Close()
	for erows.Next() {
		var id int64
		var e plans.Evidence
		if err := erows.Scan(&id, &e.Kind, &e.Measure, &e.Org); err != nil {
			return nil, err
		}
		if i, ok := idx[id]; ok {
			out[i].Evidence = append(out[i].Evidence, e)
		}
	}
	return out, erows.Err()
}

// Endorsed lists the priorities of a round voter has endorsed.
func (s *Store) Endorsed(ctx context.Context, round int64, voter string) (map[int64]bool, error) {
	rows, err := s.reader().query(ctx, `SELECT e.priority_id FROM plan_endorsements e JOIN plan_priorities p ON p.id = e.priority_id
		WHERE p.round_id = ? AND e.voter_key = ?`, round, voter)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Endorse records voter's endorsement of an open priority, once.
func (s *Store) Endorse(ctx context.Context, actor string, r plans.Round, priority int64, voter string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.priorityIs(ctx, r.ID, priority, plans.Open); err != nil {
			return err
		}
		var proposer string
		if err := c.queryRow(ctx, "SELECT proposed_by FROM plan_priorities WHERE id = ?", priority).Scan(&proposer); err != nil {
			return err
		}
		if err := plans.CanEndorse(proposer, actor); err != nil {
			return err
		}
		res, err := c.exec(ctx, "INSERT INTO plan_endorsements (priority_id, voter_key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", priority, voter, c.tsArg(c.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "You have endorsed this priority already: each person endorses a priority once.")
		}
		return c.appendAudit(ctx, actor, "endorse priority", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"priority": priority})
	})
}

// AddComment adds a comment (checked by plans.CheckComment) to a priority
// of the round that is still open or adopted.
func (s *Store) AddComment(ctx context.Context, actor string, r plans.Round, cm plans.Comment) error {
	return s.tx(ctx, func(c conn) error {
		var st string
		err := c.queryRow(ctx, "SELECT status FROM plan_priorities WHERE id = ? AND round_id = ?", cm.Priority, r.ID).Scan(&st)
		if err != nil {
			return notFound(err, "There is no priority %d in this round.", cm.Priority)
		}
		if p := (plans.Priority{Status: plans.Status(st)}); !p.Decidable() {
			return problem.New(problem.Conflict, "Priority %d is %s: comments are closed on it.", cm.Priority, strings.ToLower(p.Status.Label()))
		}
		if _, err := c.exec(ctx, "INSERT INTO plan_comments (priority_id, author, author_name, constituency, body, at) VALUES (?, ?, ?, ?, ?, ?)",
			cm.Priority, actor, cm.AuthorName, string(cm.Constituency), cm.Body, c.tsArg(c.now)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "comment on priority", "plan_round", roundKey(r.Footprint, r.ID), nil, cm)
	})
}

// Comments lists a round's comments by priority, oldest first.
func (s *Store) Comments(ctx context.Context, round int64) (map[int64][]plans.Comment, error) {
	rows, err := s.reader().query(ctx, `SELECT c.id, c.priority_id, c.author_name, c.constituency, c.body, c.at FROM plan_comments c
		JOIN plan_priorities p ON p.id = c.priority_id WHERE p.round_id = ? ORDER BY c.id`, round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]plans.Comment{}
	for rows.Next() {
		var cm plans.Comment
		if err := rows.Scan(&cm.ID, &cm.Priority, &cm.AuthorName, &cm.Constituency, &cm.Body, nullTime{&cm.At}); err != nil {
			return nil, err
		}
		out[cm.Priority] = append(out[cm.Priority], cm)
	}
	return out, rows.Err()
}

// priorityIs checks that a priority belongs to the round and has status.
func (c conn) priorityIs(ctx context.Context, round, id int64, want plans.Status) error {
	var st string
	err := c.queryRow(ctx, "SELECT status FROM plan_priorities WHERE id = ? AND round_id = ?", id, round).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.New(problem.NotFound, "There is no priority %d in this round.", id)
	}
	if err != nil {
		return err
	}
	if plans.Status(st) != want {
		return problem.New(problem.Conflict, "Priority %d is %s, not %s: reload the page to see where it stands.", id, strings.ToLower(plans.Status(st).Label()), strings.ToLower(want.Label()))
	}
	return nil
}

// setStatus moves a priority from one status to another (compare-and-set).
func (c conn) setStatus(ctx context.Context, round, id int64, from, to plans.Status, reason string, mergedInto int64) error {
	var into any
	if mergedInto != 0 {
		into = mergedInto
	}
	res, err := c.exec(ctx, "UPDATE plan_priorities SET status = ?, reason = ?, merged_into = COALESCE(?, merged_into) WHERE id = ? AND round_id = ? AND status = ?",
		string(to), reason, into, id, round, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return c.priorityIs(ctx, round, id, from)
	}
	return nil
}

// Merge folds priorities into one of them (keep), carrying their
// endorsements and evidence over, and logs it.
func (s *Store) Merge(ctx context.Context, actor string, r plans.Round, keep int64, others []int64, reason string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.priorityIs(ctx, r.ID, keep, plans.Open); err != nil {
			return err
		}
		if err := plans.CheckMerge(keep, others); err != nil {
			return err
		}
		for _, o := range others {
			if err := c.setStatus(ctx, r.ID, o, plans.Open, plans.Merged, reason, keep); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `INSERT INTO plan_endorsements (priority_id, voter_key, at) SELECT ?, voter_key, at FROM plan_endorsements
				WHERE priority_id = ? ON CONFLICT DO NOTHING`, keep, o); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `INSERT INTO plan_evidence (priority_id, kind, measure, org_code) SELECT ?, kind, measure, org_code FROM plan_evidence
				WHERE priority_id = ? ON CONFLICT DO NOTHING`, keep, o); err != nil {
				return err
			}
		}
		if err := c.logModeration(ctx, r.ID, actor, "merge", others, []int64{keep}, reason); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "merge priorities", "plan_round", roundKey(r.Footprint, r.ID), map[string]any{"priorities": others}, map[string]any{"into": keep, "reason": reason})
	})
}

// Split divides a priority into parts (each checked by plans.NewPriority),
// which keep it as their origin.
func (s *Store) Split(ctx context.Context, actor string, r plans.Round, id int64, parts []plans.Priority, reason string) ([]int64, error) {
	var made []int64
	err := s.tx(ctx, func(c conn) error {
		var orig plans.Priority
		err := c.queryRow(ctx, "SELECT constituency, proposed_by, proposer_name FROM plan_priorities WHERE id = ? AND round_id = ?", id, r.ID).
			Scan(&orig.Constituency, &orig.ProposedBy, &orig.ProposerName)
		if err != nil {
			return notFound(err, "There is no priority %d in this round.", id)
		}
		if err := c.setStatus(ctx, r.ID, id, plans.Open, plans.Split, reason, 0); err != nil {
			return err
		}
		for _, p := range parts {
			p.Constituency, p.ProposedBy, p.ProposerName, p.SplitFrom = orig.Constituency, orig.ProposedBy, orig.ProposerName, id
			nid, err := c.insertPriority(ctx, r.ID, p)
			if err != nil {
				return err
			}
			made = append(made, nid)
		}
		if err := c.logModeration(ctx, r.ID, actor, "split", []int64{id}, made, reason); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "split priority", "plan_round", roundKey(r.Footprint, r.ID), map[string]any{"priority": id}, map[string]any{"into": made, "reason": reason})
	})
	return made, err
}

// Decline turns a priority down with a reason.
func (s *Store) Decline(ctx context.Context, actor string, r plans.Round, id int64, reason string) error {
	return s.moderateStatus(ctx, actor, r, id, plans.Open, plans.Declined, "decline", reason)
}

// moderateStatus moves a priority from one status to another (keeping the
// reason on it, but for one reopened), logged and audited.
func (s *Store) moderateStatus(ctx context.Context, actor string, r plans.Round, id int64, from, to plans.Status, action, reason string) error {
	return s.tx(ctx, func(c conn) error {
		kept := reason
		if to == plans.Open {
			kept = ""
		}
		if err := c.setStatus(ctx, r.ID, id, from, to, kept, 0); err != nil {
			return err
		}
		if err := c.logModeration(ctx, r.ID, actor, action, []int64{id}, nil, reason); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, action+" priority", "plan_round", roundKey(r.Footprint, r.ID),
			map[string]any{"priority": id, "status": from}, map[string]any{"status": to, "reason": reason})
	})
}

// Reopen takes a declined priority back into the round, with a reason.
func (s *Store) Reopen(ctx context.Context, actor string, r plans.Round, id int64, reason string) error {
	return s.moderateStatus(ctx, actor, r, id, plans.Declined, plans.Open, "reopen", reason)
}

// Adopt makes an open priority one of the plan's, as an objective owned by
// the footprint, if the cap allows (counted inside the transaction, so two
// adoptions at once cannot pass it together).
func (s *Store) Adopt(ctx context.Context, actor string, r plans.Round, id int64) error {
	return s.tx(ctx, func(c conn) error {
		var cap, adopted int
		if err := c.lockRound(ctx, r.ID); err != nil {
			return err
		}
		if err := c.queryRow(ctx, "SELECT cap, (SELECT COUNT(*) FROM plan_priorities WHERE round_id = ? AND status = ?) FROM plan_rounds WHERE id = ?",
			r.ID, string(plans.Chosen), r.ID).Scan(&cap, &adopted); err != nil {
			return err
		}
		if err := plans.CanAdopt(adopted, cap); err != nil {
			return err
		}
		if err := c.setStatus(ctx, r.ID, id, plans.Open, plans.Chosen, "", 0); err != nil {
			return err
		}
		var title string
		if err := c.queryRow(ctx, "SELECT title FROM plan_priorities WHERE id = ?", id).Scan(&title); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO plan_objectives (round_id, priority_id, title, owner) VALUES (?, ?, ?, ?)
			ON CONFLICT (round_id, priority_id) DO NOTHING`, r.ID, id, title, r.Footprint); err != nil {
			return err
		}
		if err := c.logModeration(ctx, r.ID, actor, "adopt", []int64{id}, nil, ""); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "adopt priority", "plan_round", roundKey(r.Footprint, r.ID), map[string]any{"priority": id}, map[string]any{"status": plans.Chosen})
	})
}

// Drop takes an adopted priority out of the plan, with a reason; its
// objective stays on record but leaves the plan.
func (s *Store) Drop(ctx context.Context, actor string, r plans.Round, id int64, reason string) error {
	return s.moderateStatus(ctx, actor, r, id, plans.Chosen, plans.Dropped, "drop", reason)
}

// CreateJoinCodes makes n one-time join codes for a constituency of a round
// and returns them; only their hashes are kept.
func (s *Store) CreateJoinCodes(ctx context.Context, actor string, r plans.Round, k plans.ConstituencyKind, label string, n int, signatory bool, expires time.Time) ([]string, error) {
	codes := make([]string, n)
	for i := range codes {
		codes[i] = plans.NewJoinCode()
	}
	return codes, s.AddJoinCodes(ctx, actor, r, k, label, codes, signatory, expires)
}

// AddJoinCodes keeps the given codes (the demo prints known ones; others
// come from CreateJoinCodes).
func (s *Store) AddJoinCodes(ctx context.Context, actor string, r plans.Round, k plans.ConstituencyKind, label string, codes []string, signatory bool, expires time.Time) error {
	return s.tx(ctx, func(c conn) error {
		err := c.bulkInsert(ctx, "plan_guests", []string{"round_id", "constituency", "label", "signatory", "code_hash", "expires_at", "created_by", "created_at"}, len(codes), func(i int) []any {
			l := label
			if len(codes) > 1 {
				l = fmt.Sprintf("%s %d", label, i+1)
			}
			return []any{r.ID, string(k), l, boolInt(signatory), hashToken(codes[i]), c.tsArg(expires), actor, c.tsArg(c.now)}
		})
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "make join codes", "plan_round", roundKey(r.Footprint, r.ID), nil,
			map[string]any{"constituency": k, "label": label, "count": len(codes), "signatory": signatory, "expires": expires})
	})
}

const guestColumns = "id, round_id, constituency, label, name, signatory, used_at IS NOT NULL, expires_at, created_by"

func scanGuest(sc interface{ Scan(...any) error }) (plans.Guest, error) {
	var g plans.Guest
	var sig int
	err := sc.Scan(&g.ID, &g.Round, &g.Constituency, &g.Label, &g.Name, &sig, &g.Used, nullTime{&g.Expires}, &g.CreatedBy)
	g.Signatory = sig == 1
	return g, err
}

// Guests lists a round's join codes and who used them.
func (s *Store) Guests(ctx context.Context, round int64) ([]plans.Guest, error) {
	rows, err := s.reader().query(ctx, "SELECT "+guestColumns+" FROM plan_guests WHERE round_id = ? ORDER BY id", round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []plans.Guest
	for rows.Next() {
		g, err := scanGuest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// RedeemJoinCode lets a guest in by a join code, once: the code is marked
// used in the same statement that checks it is unused and unexpired, so two
// people typing one code at once get one seat. It returns the guest and the
// secret for their session cookie.
func (s *Store) RedeemJoinCode(ctx context.Context, code, name string) (plans.Guest, string, error) {
	secret := randomToken()
	var g plans.Guest
	err := s.tx(ctx, func(c conn) error {
		h := hashToken(code)
		res, err := c.exec(ctx, "UPDATE plan_guests SET used_at = ?, name = ?, session_hash = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
			c.tsArg(c.now), name, hashToken(secret), h, c.tsArg(c.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var used bool
			var expires time.Time
			err := c.queryRow(ctx, "SELECT used_at IS NOT NULL, expires_at FROM plan_guests WHERE code_hash = ?", h).Scan(&used, nullTime{&expires})
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return problem.OnField(problem.Invalid, "code", "That join code is not one we know: check it against your card, or ask the facilitator")
			case err != nil:
				return err
			case used:
				return problem.OnField(problem.Conflict, "code", "That join code has been used already: each code lets one person in. Ask the facilitator for another")
			}
			return problem.OnField(problem.Conflict, "code", fmt.Sprintf("That join code expired on %s: ask the facilitator for another", expires.In(orgs.London()).Format("2 January 2006")))
		}
		g, err = scanGuest(c.queryRow(ctx, "SELECT "+guestColumns+" FROM plan_guests WHERE code_hash = ?", h))
		if err != nil {
			return err
		}
		var footprint string
		if err := c.queryRow(ctx, "SELECT footprint FROM plan_rounds WHERE id = ?", g.Round).Scan(&footprint); err != nil {
			return err
		}
		return c.appendAudit(ctx, "guest:"+strconv.FormatInt(g.ID, 10), "join as guest", "plan_round", roundKey(footprint, g.Round), nil,
			map[string]any{"guest": g.ID, "name": name, "constituency": g.Constituency})
	})
	return g, secret, err
}

// GuestBySession finds the guest a session cookie belongs to, while the
// code it came from has not expired.
func (s *Store) GuestBySession(ctx context.Context, secret string) (plans.Guest, error) {
	c := s.reader()
	g, err := scanGuest(c.queryRow(ctx, "SELECT "+guestColumns+" FROM plan_guests WHERE session_hash = ? AND expires_at > ?", hashToken(secret), c.tsArg(c.now)))
	if err != nil {
		return g, notFound(err, "Your guest pass has ended: ask the facilitator for a new join code.")
	}
	return g, nil
}

// OpenDecision opens a decision (checked by plans.NewDecision).
func (s *Store) OpenDecision(ctx context.Context, actor string, r plans.Round, d plans.Decision) (int64, error) {
	var id int64
	err := s.tx(ctx, func(c conn) error {
		err := c.queryRow(ctx, `INSERT INTO plan_decisions (round_id, title, method, dots, criteria, anonymous, hide_results, opened_by, opened_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.ID, d.Title, string(d.Method), d.Dots, strings.Join(d.Criteria, "\n"),
			boolInt(d.Anonymous), boolInt(d.HideResults), actor, c.tsArg(c.now)).Scan(&id)
		if err != nil {
			return err
		}
		if err := c.bulkInsert(ctx, "plan_decision_options", []string{"decision_id", "priority_id", "position"}, len(d.Options), func(i int) []any {
			return []any{id, d.Options[i], i}
		}); err != nil {
			return err
		}
		d.ID, d.Round = id, r.ID
		return c.appendAudit(ctx, actor, "open decision", "plan_round", roundKey(r.Footprint, r.ID), nil, d)
	})
	return id, err
}

const decisionColumns = "id, round_id, title, method, dots, criteria, anonymous, hide_results, closed_at IS NOT NULL, opened_by, opened_at, closed_at"

func (c conn) decisions(ctx context.Context, where string, args ...any) ([]plans.Decision, error) {
	rows, err := c.query(ctx, "SELECT "+decisionColumns+" FROM plan_decisions WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	var out []plans.Decision
	for rows.Next() {
		var d plans.Decision
		var criteria string
		var anon, hide int
		if err := rows.Scan(&d.ID, &d.Round, &d.Title, &d.Method, &d.Dots, &criteria, &anon, &hide, &d.Closed, &d.OpenedBy, nullTime{&d.OpenedAt}, nullTime{&d.ClosedAt}); err != nil {
			rows.Close()
			return nil, err
		}
		d.Anonymous, d.HideResults = anon == 1, hide == 1
		if criteria != "" {
			d.Criteria = strings.Split(criteria, "\n")
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	idx := map[int64]int{}
	ids := make([]int64, len(out))
	for i, d := range out {
		idx[d.ID], ids[i] = i, d.ID
	}
	in, args := inClause(ids) // every decision's options in one query
	orows, err := c.query(ctx, "SELECT decision_id, priority_id FROM plan_decision_options WHERE decision_id IN "+in+" ORDER BY decision_id, position", args...)
	if err != nil {
		return nil, err
	}
	defer orows.Close()
	for orows.Next() {
		var d, o int64
		if err := orows.Scan(&d, &o); err != nil {
			return nil, err
		}
		out[idx[d]].Options = append(out[idx[d]].Options, o)
	}
	return out, orows.Err()
}

// Decisions lists a round's decisions, oldest first.
func (s *Store) Decisions(ctx context.Context, round int64) ([]plans.Decision, error) {
	return s.reader().decisions(ctx, "round_id = ?", round)
}

// Decision reads one decision of a round: an id from another round finds nothing.
func (s *Store) Decision(ctx context.Context, round, id int64) (plans.Decision, error) {
	ds, err := s.reader().decisions(ctx, "round_id = ? AND id = ?", round, id)
	if err != nil {
		return plans.Decision{}, err
	}
	if len(ds) == 0 {
		return plans.Decision{}, problem.New(problem.NotFound, "There is no decision %d in this round.", id)
	}
	return ds[0], nil
}

var errDecisionClosed = &problem.Error{Kind: problem.Conflict, Message: "This decision has closed: votes are no longer taken. The result is on the decision's page."}

// ballotID is random, not a sequence, so that the order of anonymous
// ballots says nothing about who cast them.
func ballotID() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 1)
}

// CastBallot records a voter's ballot (checked by tally) on an open
// decision, once. The decision's still being open is checked by a write
// on its row (compare-and-set), so a vote racing the close either lands
// before it or is refused; a second vote by the same voter meets the voter
// roll's key and changes nothing.
func (s *Store) CastBallot(ctx context.Context, r plans.Round, d plans.Decision, v plans.Voter, b tally.Ballot) error {
	return s.tx(ctx, func(c conn) error {
		return c.castBallot(ctx, r, d, v, b, "", "")
	})
}

func (c conn) castBallot(ctx context.Context, r plans.Round, d plans.Decision, v plans.Voter, b tally.Ballot, reason, enteredBy string) error {
	w := max(b.Weight, 1)
	// Takes the decision's row while it is open (a write that changes
	// nothing): a close at the same time comes before or after, never between.
	res, err := c.exec(ctx, "UPDATE plan_decisions SET closed_at = NULL WHERE id = ? AND round_id = ? AND closed_at IS NULL", d.ID, r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errDecisionClosed
	}
	paper := enteredBy != ""
	if !paper {
		res, err := c.exec(ctx, "INSERT INTO plan_voters (decision_id, voter_key, voter_name, constituency, voted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			d.ID, v.Key, v.Name, string(v.Constituency), c.tsArg(c.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "You have voted in this decision already: each person votes once, and your vote is counted.")
		}
	}
	var voter, at any
	if !d.Anonymous && !paper {
		voter, at = v.Key, c.tsArg(c.now)
	}
	id := ballotID()
	if _, err := c.exec(ctx, "INSERT INTO plan_ballots (id, decision_id, constituency, weight, paper, voter_key, cast_at, reason, entered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		id, d.ID, string(v.Constituency), w, boolInt(paper), voter, at, reason, enteredBy); err != nil {
		return err
	}
	type mark struct {
		o         int64
		crit, val int
	}
	var marks []mark
	for o, val := range b.Marks {
		marks = append(marks, mark{o, 0, val})
	}
	for o, scores := range b.Scores {
		for ci, val := range scores {
			marks = append(marks, mark{o, ci, val})
		}
	}
	if err := c.bulkInsert(ctx, "plan_marks", []string{"ballot_id", "priority_id", "criterion", "value"}, len(marks), func(i int) []any {
		return []any{id, marks[i].o, marks[i].crit, marks[i].val}
	}); err != nil {
		return err
	}
	if err := c.bumpLive(ctx, r.ID); err != nil {
		return err
	}
	// The audit log records that a vote was cast and for which
	// constituency, never how.
	actor := v.Key
	action := "vote"
	after := map[string]any{"decision": d.ID, "constituency": v.Constituency}
	if paper {
		actor, action = enteredBy, "enter paper ballots"
		after["count"], after["reason"] = w, reason
	}
	return c.appendAudit(ctx, actor, action, "plan_round", roundKey(r.Footprint, r.ID), nil, after)
}

// EnterPaper records paper ballots (checked by plans.CheckPaper and tally)
// for a constituency: Count identical ballots, with the reason, audited.
func (s *Store) EnterPaper(ctx context.Context, actor string, r plans.Round, d plans.Decision, p plans.PaperTally, b tally.Ballot) error {
	b.Weight = p.Count
	return s.tx(ctx, func(c conn) error {
		return c.castBallot(ctx, r, d, plans.Voter{Constituency: p.Constituency}, b, p.Reason, actor)
	})
}

// Ballots reads a decision's ballots for counting.
func (s *Store) Ballots(ctx context.Context, decision int64) ([]tally.Ballot, error) {
	c := s.reader()
	var method string
	if err := c.queryRow(ctx, "SELECT method FROM plan_decisions WHERE id = ?", decision).Scan(&method); err != nil {
		return nil, err
	}
	rows, err := c.query(ctx, `SELECT b.id, b.constituency, b.weight, m.priority_id, m.criterion, m.value FROM plan_ballots b
		JOIN plan_marks m ON m.ballot_id = b.id WHERE b.decision_id = ? ORDER BY b.id, m.priority_id, m.criterion`, decision)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tally.Ballot
	var last int64 = -1
	for rows.Next() {
		var id, prio int64
		var k string
		var w, crit, val int
		if err := rows.Scan(&id, &k, &w, &prio, &crit, &val); err != nil {
			return nil, err
		}
		if id != last {
			out = append(out, tally.Ballot{Constituency: k, Weight: w, Marks: map[int64]int{}, Scores: map[int64][]int{}})
			last = id
		}
		b := &out[len(out)-1]
		if tally.Method(method) == tally.Score {
			b.Scores[prio] = append(b.Scores[prio], val) // ordered by criterion
		} else {
			b.Marks[prio] = val
		}
	}
	return out, rows.Err()
}

// VoterRow is one line of a decision's voter roll.
type VoterRow struct {
	Name         string                 `json:"name"`
	Constituency plans.ConstituencyKind `json:"constituency"`
	At           time.Time              `json:"at"`
}

// Voters is a decision's voter roll: who voted, never how.
func (s *Store) Voters(ctx context.Context, decision int64) ([]VoterRow, error) {
	rows, err := s.reader().query(ctx, "SELECT voter_name, constituency, voted_at FROM plan_voters WHERE decision_id = ? ORDER BY voter_name", decision)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VoterRow
	for rows.Next() {
		var v VoterRow
		if err := rows.Scan(&v.Name, &v.Constituency, nullTime{&v.At}); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Turnout is a decision's voters by constituency (paper ballots included):
// shown while a decision is open, as it says nothing of how anyone voted.
func (s *Store) Turnout(ctx context.Context, decision int64) (map[string]int, error) {
	rows, err := s.reader().query(ctx, "SELECT constituency, SUM(weight) FROM plan_ballots WHERE decision_id = ? GROUP BY constituency", decision)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// HasVoted says whether a voter is on a decision's roll.
func (s *Store) HasVoted(ctx context.Context, decision int64, voter string) (bool, error) {
	var n int
	err := s.reader().queryRow(ctx, "SELECT COUNT(*) FROM plan_voters WHERE decision_id = ? AND voter_key = ?", decision, voter).Scan(&n)
	return n > 0, err
}

// CloseDecision closes an open decision, once. An anonymous decision's
// ballots are then written again in a random order under new random ids,
// so that neither their place in the tables nor the transactions that wrote
// them follow the order of the voter roll.
func (s *Store) CloseDecision(ctx context.Context, actor string, r plans.Round, d plans.Decision) error {
	return s.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE plan_decisions SET closed_at = ? WHERE id = ? AND round_id = ? AND closed_at IS NULL", c.tsArg(c.now), d.ID, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "This decision is closed already.")
		}
		if d.Anonymous {
			if err := c.shuffleBallots(ctx, d.ID); err != nil {
				return err
			}
		}
		if err := c.bumpLive(ctx, r.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "close decision", "plan_round", roundKey(r.Footprint, r.ID), map[string]any{"decision": d.ID}, map[string]any{"closed": true})
	})
}

// shuffleBallots writes a decision's ballots again, in a random order,
// under new random ids.
func (c conn) shuffleBallots(ctx context.Context, decision int64) error {
	type ballot struct {
		id                int64
		constituency      string
		weight, paper     int
		reason, enteredBy string
		marks             [][3]int64 // priority, criterion, value
	}
	rows, err := c.query(ctx, "SELECT id, constituency, weight, paper, reason, entered_by FROM plan_ballots WHERE decision_id = ?", decision)
	if err != nil {
		return err
	}
	var bs []*ballot
	byID := map[int64]*ballot{}
	for rows.Next() {
		b := &ballot{}
		if err := rows.Scan(&b.id, &b.constituency, &b.weight, &b.paper, &b.reason, &b.enteredBy); err != nil {
			rows.Close()
			return err
		}
		bs = append(bs, b)
		byID[b.id] = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	mrows, err := c.query(ctx, "SELECT m.ballot_id, m.priority_id, m.criterion, m.value FROM plan_marks m JOIN plan_ballots b ON b.id = m.ballot_id WHERE b.decision_id = ?", decision)
	if err != nil {
		return err
	}
	for mrows.Next() {
		var id int64
		var m [3]int64
		if err := mrows.Scan(&id, &m[0], &m[1], &m[2]); err != nil {
			mrows.Close()
			return err
		}
		byID[id].marks = append(byID[id].marks, m)
	}
	mrows.Close()
	if err := mrows.Err(); err != nil {
		return err
	}
	if _, err := c.exec(ctx, "DELETE FROM plan_marks WHERE ballot_id IN (SELECT id FROM plan_ballots WHERE decision_id = ?)", decision); err != nil {
		return err
	}
	if _, err := c.exec(ctx, "DELETE FROM plan_ballots WHERE decision_id = ?", decision); err != nil {
		return err
	}
	mrand.Shuffle(len(bs), func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
	var marks [][4]int64 // ballot, priority, criterion, value
	for _, b := range bs {
		b.id = ballotID()
		for _, m := range b.marks {
			marks = append(marks, [4]int64{b.id, m[0], m[1], m[2]})
		}
	}
	if err := c.bulkInsert(ctx, "plan_ballots", []string{"id", "decision_id", "constituency", "weight", "paper", "reason", "entered_by"}, len(bs), func(i int) []any {
		b := bs[i]
		return []any{b.id, decision, b.constituency, b.weight, b.paper, b.reason, b.enteredBy}
	}); err != nil {
		return err
	}
	return c.bulkInsert(ctx, "plan_marks", []string{"ballot_id", "priority_id", "criterion", "value"}, len(marks), func(i int) []any {
		return []any{marks[i][0], marks[i][1], marks[i][2], marks[i][3]}
	})
}

// SetLive pushes a decision to everyone's screen at the away day (0 clears it).
func (s *Store) SetLive(ctx context.Context, actor string, r plans.Round, decision int64) error {
	return s.tx(ctx, func(c conn) error {
		var d any
		if decision != 0 {
			d = decision
		}
		if _, err := c.exec(ctx, "UPDATE plan_rounds SET live_decision = ?, live_version = live_version + 1 WHERE id = ?", d, r.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "push question to the room", "plan_round", roundKey(r.Footprint, r.ID), nil, map[string]any{"decision": decision})
	})
}

// LiveState is where a round's away day stands: the question on screen and
// the counter every vote, push and close moves.
func (s *Store) LiveState(ctx context.Context, round int64) (version, decision int64, err error) {
	err = s.reader().queryRow(ctx, "SELECT live_version, COALESCE(live_decision, 0) FROM plan_rounds WHERE id = ?", round).Scan(&version, &decision)
	return version, decision, notFound(err, "There is no planning round %d.", round)
}
