package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/records"
)

// Schedule is one version of the retention schedule.
type Schedule struct {
	Version   int             `json:"version"`
	AppliedAt time.Time       `json:"applied_at"`
	AppliedBy string          `json:"applied_by"`
	Source    string          `json:"source"`
	Classes   []records.Class `json:"classes"`
}

// ByCode indexes the schedule's classes.
func (s Schedule) ByCode() map[string]records.Class {
	m := make(map[string]records.Class, len(s.Classes))
	for _, c := range s.Classes {
		m[c.Code] = c
	}
	return m
}

// RetentionSchedule returns the schedule in force: the newest version,
// or, on a database that has none yet, the schedule shipped in the binary
// (recorded as version 1).
func (s *Store) RetentionSchedule(ctx context.Context) (Schedule, error) {
	sc, err := s.reader().schedule(ctx)
	if err != nil || sc.Version > 0 {
		return sc, err
	}
	err = s.tx(ctx, func(c conn) error {
		// Several servers may start at once: the first to write wins.
		res, err := c.exec(ctx, `INSERT INTO retention_schedules (version, applied_at, applied_by, source) VALUES (1, ?, 'onepc', 'shipped with OnePC')
			ON CONFLICT (version) DO NOTHING`, c.tsArg(c.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return c.insertClasses(ctx, 1, records.Shipped())
	})
	if err != nil {
		return sc, err
	}
	return s.reader().schedule(ctx)
}

func (c conn) schedule(ctx context.Context) (Schedule, error) {
	var sc Schedule
	err := c.queryRow(ctx, "SELECT version, applied_at, applied_by, source FROM retention_schedules ORDER BY version DESC LIMIT 1").
		Scan(&sc.Version, nullTime{&sc.AppliedAt}, &sc.AppliedBy, &sc.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, nil
	}
	if err != nil {
		return sc, err
	}
	rows, err := c.query(ctx, `SELECT code, record_type, trigger_event, rule, years, death_years, final_action, creation_based, source, checked, notes
		FROM retention_classes WHERE version = ? ORDER BY code`, sc.Version)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var cl records.Class
		var checked time.Time
		if err := rows.Scan(&cl.Code, &cl.RecordType, &cl.Trigger, &cl.Rule, &cl.Years, &cl.DeathYears, &cl.Action, &cl.CreationBased,
			&cl.Source, nullTime{&checked}, &cl.Notes); err != nil {
			return sc, err
		}
		cl.Checked = checked.Format(time.DateOnly)
		sc.Classes = append(sc.Classes, cl)
	}
	return sc, rows.Err()
}

func (c conn) insertClasses(ctx context.Context, version int, cs []records.Class) error {
	for _, cl := range cs {
		checked, _ := time.Parse(time.DateOnly, cl.Checked)
		if _, err := c.exec(ctx, `INSERT INTO retention_classes (version, code, record_type, trigger_event, rule, years, death_years, final_action, creation_based, source, checked, notes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, version, cl.Code, cl.RecordType, string(cl.Trigger), string(cl.Rule), cl.Years, cl.DeathYears,
			string(cl.Action), boolInt(cl.CreationBased), cl.Source, dateArg(checked), cl.Notes); err != nil {
			return fmt.Errorf("class %s: %w", cl.Code, err)
		}
	}
	return nil
}

// ApplySchedule makes cs the schedule in force, as a new version, and
// returns it. A class that registers still use cannot be removed.
func (s *Store) ApplySchedule(ctx context.Context, actor, source string, cs []records.Class) (int, error) {
	if _, err := s.RetentionSchedule(ctx); err != nil {
		return 0, err
	}
	var version int
	err := s.tx(ctx, func(c conn) error {
		old, err := c.schedule(ctx)
		if err != nil {
			return err
		}
		changes := records.Diff(old.Classes, cs)
		for _, ch := range changes {
			if ch.Kind != "removed" {
				continue
			}
			var n int
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM record_collections WHERE class_code = ? AND disposed = 0", ch.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return problem.New(problem.Conflict, "The new schedule has no class %s, which %d collections in registers still use: keep the class, or move those collections to another class first", ch.Code, n)
			}
		}
		version = old.Version + 1
		if _, err := c.exec(ctx, "INSERT INTO retention_schedules (version, applied_at, applied_by, source) VALUES (?, ?, ?, ?)",
			version, c.tsArg(c.now), actor, source); err != nil {
			return err
		}
		if err := c.insertClasses(ctx, version, cs); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "retention.schedule", "retention_schedule", fmt.Sprint(version), nil,
			map[string]any{"source": source, "changes": changes})
	})
	return version, err
}

const collectionColumns = `id, org_code, name, class_code, location, owner, volume, event_date, reused_on, birth_date, death_date,
	keep_until, keep_justification, disposed, added_by, added_at, version`

func scanCollection(sc interface{ Scan(...any) error }) (records.Collection, error) {
	var c records.Collection
	err := sc.Scan(&c.ID, &c.Org, &c.Name, &c.Class, &c.Location, &c.Owner, &c.Volume, nullTime{&c.Facts.Event}, nullTime{&c.Facts.Reused},
		nullTime{&c.Facts.Birth}, nullTime{&c.Facts.Death}, nullTime{&c.Keep.Until}, &c.Keep.Justification, &c.Disposed, &c.AddedBy, nullTime{&c.AddedAt}, &c.Version)
	c.Event, c.Reused, c.Birth, c.Death = dayString(c.Facts.Event), dayString(c.Facts.Reused), dayString(c.Facts.Birth), dayString(c.Facts.Death)
	return c, err
}

func dayString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Registers returns the registers of the organisations named, whole.
func (s *Store) Registers(ctx context.Context, orgCodes []string) (map[string]*records.Register, error) {
	out := map[string]*records.Register{}
	if len(orgCodes) == 0 {
		return out, nil
	}
	for _, o := range orgCodes {
		out[o] = &records.Register{Org: o, Pending: map[int64]records.Proposal{}}
	}
	c := s.reader()
	in, args := inClause(orgCodes)
	rows, err := c.query(ctx, "SELECT "+collectionColumns+" FROM record_collections WHERE org_code IN "+in+" ORDER BY org_code, name, id", args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		col, err := scanCollection(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out[col.Org].Collections = append(out[col.Org].Collections, col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ps, err := c.proposals(ctx, "JOIN record_collections rc ON rc.id = p.collection_id WHERE p.status = 'pending' AND rc.org_code IN "+in, args...)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.org].Pending[p.CollectionID] = p.Proposal
	}
	holds, err := c.holds(ctx, "WHERE h.org_code IN "+in, args...)
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		out[h.Org].Holds = append(out[h.Org].Holds, h)
	}
	certs, err := c.certificates(ctx, "WHERE org_code IN "+in, args...)
	if err != nil {
		return nil, err
	}
	for _, ct := range certs {
		out[ct.Org].Certificates = append(out[ct.Org].Certificates, ct)
	}
	return out, nil
}

// Register returns one organisation's register.
func (s *Store) Register(ctx context.Context, org string) (*records.Register, error) {
	m, err := s.Registers(ctx, []string{org})
	if err != nil {
		return nil, err
	}
	return m[org], nil
}

// Collection returns one collection of an organisation.
func (s *Store) Collection(ctx context.Context, org string, id int64) (records.Collection, error) {
	c, err := scanCollection(s.reader().queryRow(ctx, "SELECT "+collectionColumns+" FROM record_collections WHERE org_code = ? AND id = ?", org, id))
	return c, notFound(err, "There is no such collection in %s's register", org)
}

// AddCollections adds entries already checked (records.NewCollection) to an
// organisation's register, all or none.
func (s *Store) AddCollections(ctx context.Context, actor, org string, cs ...records.Collection) ([]records.Collection, error) {
	err := s.tx(ctx, func(c conn) error {
		for i := range cs {
			col := &cs[i]
			col.Org, col.AddedBy, col.AddedAt, col.Version = org, actor, c.now.UTC().Truncate(time.Microsecond), 1
			err := c.queryRow(ctx, `INSERT INTO record_collections (org_code, name, class_code, location, owner, volume, event_date, reused_on, birth_date, death_date, added_by, added_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, org, col.Name, col.Class, col.Location, col.Owner, col.Volume,
				dateArg(col.Facts.Event), dateArg(col.Facts.Reused), dateArg(col.Facts.Birth), dateArg(col.Facts.Death), actor, c.tsArg(c.now)).Scan(&col.ID)
			if err != nil {
				return mapError(err)
			}
			if err := c.appendAudit(ctx, actor, "records.collection.add", "record_collection", org+"/"+fmt.Sprint(col.ID), nil, col); err != nil {
				return err
			}
		}
		return nil
	})
	return cs, err
}

// UpdateCollection changes an entry, if nobody has changed it since
// version; a disposed-of collection cannot change.
func (s *Store) UpdateCollection(ctx context.Context, actor, org string, id int64, version int, col records.Collection) (records.Collection, error) {
	err := s.tx(ctx, func(c conn) error {
		before, err := scanCollection(c.queryRow(ctx, "SELECT "+collectionColumns+" FROM record_collections WHERE org_code = ? AND id = ?", org, id))
		if err != nil {
			return notFound(err, "There is no such collection in %s's register", org)
		}
		var pending int
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM disposal_proposals WHERE collection_id = ? AND status = 'pending'", id).Scan(&pending); err != nil {
			return err
		}
		switch {
		case before.Disposed:
			return problem.New(problem.Conflict, "This collection has been disposed of: its entry cannot change")
		case pending > 0:
			return problem.New(problem.Conflict, "A decision on this collection is waiting for approval: approve or reject it before changing the entry")
		case before.Version != version:
			return problem.New(problem.Conflict, "Someone else changed this collection while you were editing it. Look at it again, then make your change.")
		}
		res, err := c.exec(ctx, `UPDATE record_collections SET name = ?, class_code = ?, location = ?, owner = ?, volume = ?, event_date = ?, reused_on = ?,
			birth_date = ?, death_date = ?, version = version + 1 WHERE id = ? AND version = ?`, col.Name, col.Class, col.Location, col.Owner, col.Volume,
			dateArg(col.Facts.Event), dateArg(col.Facts.Reused), dateArg(col.Facts.Birth), dateArg(col.Facts.Death), id, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "Someone else changed this collection while you were editing it. Look at it again, then make your change.")
		}
		col.ID, col.Org, col.Version = id, org, version+1
		return c.appendAudit(ctx, actor, "records.collection.change", "record_collection", org+"/"+fmt.Sprint(id), before, col)
	})
	return col, err
}

type orgProposal struct {
	records.Proposal
	org string
}

func (c conn) proposals(ctx context.Context, where string, args ...any) ([]orgProposal, error) {
	rows, err := c.query(ctx, `SELECT p.id, p.collection_id, p.decision, p.years, p.justification, p.exception, p.proposed_by, p.proposed_at,
		p.status, p.decided_by, p.decided_at, p.note, (SELECT org_code FROM record_collections WHERE id = p.collection_id)
		FROM disposal_proposals p `+where+` ORDER BY p.proposed_at DESC, p.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgProposal
	for rows.Next() {
		var p orgProposal
		if err := rows.Scan(&p.ID, &p.CollectionID, &p.Decision, &p.Years, &p.Justification, &p.Exception, &p.ProposedBy, nullTime{&p.ProposedAt},
			&p.Status, &p.DecidedBy, nullTime{&p.DecidedAt}, &p.Note, &p.org); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Proposals lists the decisions proposed for a collection, newest first.
func (s *Store) Proposals(ctx context.Context, org string, collectionID int64) ([]records.Proposal, error) {
	ps, err := s.reader().proposals(ctx, "JOIN record_collections rc ON rc.id = p.collection_id WHERE rc.org_code = ? AND p.collection_id = ?", org, collectionID)
	var out []records.Proposal
	for _, p := range ps {
		out = append(out, p.Proposal)
	}
	return out, err
}

// collectionState loads, inside a transaction, what records.Propose and
// records.Approve decide on: the collection, its class, its due date and
// state, and whether a hold covers it.
func (c conn) collectionState(ctx context.Context, org string, id int64, today time.Time) (records.Collection, records.Class, records.Due, records.State, bool, error) {
	col, err := scanCollection(c.queryRow(ctx, "SELECT "+collectionColumns+" FROM record_collections WHERE org_code = ? AND id = ?", org, id))
	if err != nil {
		return col, records.Class{}, records.Due{}, "", false, notFound(err, "There is no such collection in %s's register", org)
	}
	sc, err := c.schedule(ctx)
	if err != nil {
		return col, records.Class{}, records.Due{}, "", false, err
	}
	class := sc.ByCode()[col.Class]
	holds, err := c.holds(ctx, "WHERE h.org_code = ?", org)
	if err != nil {
		return col, class, records.Due{}, "", false, err
	}
	var pending int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM disposal_proposals WHERE collection_id = ? AND status = 'pending'", id).Scan(&pending); err != nil {
		return col, class, records.Due{}, "", false, err
	}
	due, err := records.DueOf(col, class, today)
	if err != nil {
		return col, class, due, "", false, err
	}
	held := records.AnyCovers(holds, id)
	return col, class, due, records.StateOf(col, due, pending > 0, held, today), held, nil
}

// ProposeDisposal records the owner's decision on a collection, as
// records.Propose allows it on day today, for a second person to approve.
func (s *Store) ProposeDisposal(ctx context.Context, actor, org string, id int64, in records.ProposalInput, today time.Time) (records.Proposal, error) {
	var p records.Proposal
	err := s.tx(ctx, func(c conn) error {
		_, class, _, st, _, err := c.collectionState(ctx, org, id, today)
		if err != nil {
			return err
		}
		if p, err = records.Propose(in, st, class.Action); err != nil {
			return err
		}
		p.CollectionID, p.ProposedBy, p.ProposedAt = id, actor, c.now.UTC().Truncate(time.Microsecond)
		err = c.queryRow(ctx, `INSERT INTO disposal_proposals (collection_id, decision, years, justification, exception, proposed_by, proposed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, string(p.Decision), p.Years, p.Justification, p.Exception, actor, c.tsArg(c.now)).Scan(&p.ID)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.New(problem.Conflict, "A decision on this collection is already waiting for approval")
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "records.propose", "record_collection", org+"/"+fmt.Sprint(id), nil, p)
	})
	return p, err
}

// DecideProposal approves or rejects the decision waiting on a collection.
// Approval (by a second person, records.Approve) of a disposal marks the
// collection disposed of and issues a certificate; of keeping longer, sets
// the date it is kept to. All in one transaction.
func (s *Store) DecideProposal(ctx context.Context, actor, org string, id, proposalID int64, approve bool, note string, today time.Time) (records.Proposal, *records.Certificate, error) {
	var p records.Proposal
	var cert *records.Certificate
	err := s.tx(ctx, func(c conn) error {
		col, class, due, _, held, err := c.collectionState(ctx, org, id, today)
		if err != nil {
			return err
		}
		ps, err := c.proposals(ctx, "WHERE p.id = ? AND p.collection_id = ?", proposalID, id)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return problem.New(problem.NotFound, "There is no such decision on this collection")
		}
		p = ps[0].Proposal
		if approve {
			if err := records.Approve(p, actor, held); err != nil {
				return err
			}
			// The collection may have changed while the decision waited
			// (edited, moved to another class, a new schedule): a disposal
			// must still be allowed as it stands now.
			if p.Decision != records.KeepLonger {
				if err := records.CheckDisposal(p.Decision, records.StateOf(col, due, false, held, today), class.Action); err != nil {
					return err
				}
			}
		} else if p.Status != "pending" {
			return problem.New(problem.Conflict, "This decision has been %s already", p.Status)
		}
		p.Status, p.DecidedBy, p.DecidedAt, p.Note = map[bool]string{true: "approved", false: "rejected"}[approve], actor, c.now.UTC().Truncate(time.Microsecond), note
		if !approve && strings.EqualFold(actor, p.ProposedBy) {
			p.Status = "withdrawn" // the proposer took it back
		}
		res, err := c.exec(ctx, "UPDATE disposal_proposals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND status = 'pending'",
			p.Status, actor, c.tsArg(c.now), note, p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "Someone else decided this while you were looking at it")
		}
		if err := c.appendAudit(ctx, actor, "records."+p.Status, "record_collection", org+"/"+fmt.Sprint(id), nil, p); err != nil {
			return err
		}
		if !approve {
			return nil
		}
		if p.Decision == records.KeepLonger {
			until := records.KeepTo(p, due, today)
			_, err := c.exec(ctx, "UPDATE record_collections SET keep_until = ?, keep_justification = ?, version = version + 1 WHERE id = ?",
				dateArg(until), p.Justification, id)
			return err
		}
		cert = &records.Certificate{Org: org, CollectionID: id, Collection: col.Name, Class: col.Class, RecordType: class.RecordType,
			Location: col.Location, Volume: col.Volume, Decision: p.Decision, Basis: due.Basis, Justification: p.Justification,
			ProposedBy: p.ProposedBy, ApprovedBy: actor, Note: note, IssuedAt: c.now.UTC().Truncate(time.Microsecond)}
		if _, err := c.exec(ctx, "UPDATE record_collections SET disposed = 1, version = version + 1 WHERE id = ?", id); err != nil {
			return err
		}
		err = c.queryRow(ctx, `INSERT INTO destruction_certificates (org_code, collection_id, collection, class_code, record_type, location, volume,
			decision, basis, justification, proposed_by, approved_by, note, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			org, id, col.Name, col.Class, class.RecordType, col.Location, col.Volume, string(p.Decision), due.Basis, p.Justification,
			p.ProposedBy, actor, note, c.tsArg(c.now)).Scan(&cert.ID)
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "records.certificate", "destruction_certificate", org+"/"+fmt.Sprint(cert.ID), nil, cert)
	})
	return p, cert, err
}

func (c conn) holds(ctx context.Context, where string, args ...any) ([]records.Hold, error) {
	rows, err := c.query(ctx, `SELECT h.id, h.org_code, h.reason, h.covers_all, h.placed_by, h.placed_at, l.lifted_by, l.lifted_at, l.reason
		FROM legal_holds h LEFT JOIN legal_hold_lifts l ON l.hold_id = h.id `+where+` ORDER BY h.placed_at DESC, h.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	var out []records.Hold
	for rows.Next() {
		var h records.Hold
		var by, why sql.NullString
		if err := rows.Scan(&h.ID, &h.Org, &h.Reason, &h.All, &h.PlacedBy, nullTime{&h.PlacedAt}, &by, nullTime{&h.LiftedAt}, &why); err != nil {
			rows.Close()
			return nil, err
		}
		h.LiftedBy, h.LiftReason = by.String, why.String
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		ids, err := c.query(ctx, "SELECT collection_id FROM legal_hold_collections WHERE hold_id = ? ORDER BY collection_id", out[i].ID)
		if err != nil {
			return nil, err
		}
		for ids.Next() {
			var id int64
			if err := ids.Scan(&id); err != nil {
				ids.Close()
				return nil, err
			}
			out[i].Collections = append(out[i].Collections, id)
		}
		ids.Close()
	}
	return out, nil
}

// PlaceHold places a legal hold on an organisation's collections (or all
// of them), checked by records.NewHold.
func (s *Store) PlaceHold(ctx context.Context, actor, org string, h records.Hold) (records.Hold, error) {
	err := s.tx(ctx, func(c conn) error {
		for _, id := range h.Collections {
			var disposed []bool
			rows, err := c.query(ctx, "SELECT disposed FROM record_collections WHERE org_code = ? AND id = ?", org, id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var d bool
				if err := rows.Scan(&d); err != nil {
					rows.Close()
					return err
				}
				disposed = append(disposed, d)
			}
			rows.Close()
			switch {
			case len(disposed) == 0:
				return problem.OnField(problem.Invalid, "collections", fmt.Sprintf("Collection %d is not in %s's register", id, org))
			case disposed[0]:
				return problem.OnField(problem.Invalid, "collections", fmt.Sprintf("Collection %d has been disposed of already: there is nothing left to hold", id))
			}
		}
		h.Org, h.PlacedBy, h.PlacedAt = org, actor, c.now.UTC().Truncate(time.Microsecond)
		if err := c.queryRow(ctx, "INSERT INTO legal_holds (org_code, reason, covers_all, placed_by, placed_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			org, h.Reason, boolInt(h.All), actor, c.tsArg(c.now)).Scan(&h.ID); err != nil {
			return err
		}
		for _, id := range h.Collections {
			if _, err := c.exec(ctx, "INSERT INTO legal_hold_collections (hold_id, collection_id) VALUES (?, ?) ON CONFLICT DO NOTHING", h.ID, id); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, actor, "records.hold", "legal_hold", org+"/"+fmt.Sprint(h.ID), nil, h)
	})
	return h, err
}

// LiftHold lifts a hold in force, with the reason; the hold itself stays.
func (s *Store) LiftHold(ctx context.Context, actor, org string, id int64, reason string) error {
	switch {
	case len(reason) == 0:
		return problem.OnField(problem.Invalid, "reason", "Say why the hold can be lifted: the inquiry closed, the claim settled")
	case len(reason) > 2000:
		return problem.OnField(problem.Invalid, "reason", "Write 2,000 characters or fewer")
	}
	return s.tx(ctx, func(c conn) error {
		hs, err := c.holds(ctx, "WHERE h.org_code = ? AND h.id = ?", org, id)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			return problem.New(problem.NotFound, "There is no such hold on %s's records", org)
		}
		if !hs[0].InForce() {
			return problem.New(problem.Conflict, "This hold was lifted on %s", hs[0].LiftedAt.Format("2 January 2006"))
		}
		if _, err := c.exec(ctx, "INSERT INTO legal_hold_lifts (hold_id, lifted_by, lifted_at, reason) VALUES (?, ?, ?, ?)", id, actor, c.tsArg(c.now), reason); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "records.hold.lift", "legal_hold", org+"/"+fmt.Sprint(id), nil, map[string]string{"reason": reason})
	})
}

func (c conn) certificates(ctx context.Context, where string, args ...any) ([]records.Certificate, error) {
	rows, err := c.query(ctx, `SELECT id, org_code, collection_id, collection, class_code, record_type, location, volume, decision, basis,
		justification, proposed_by, approved_by, note, issued_at FROM destruction_certificates `+where+` ORDER BY issued_at DESC, id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []records.Certificate
	for rows.Next() {
		var ct records.Certificate
		if err := rows.Scan(&ct.ID, &ct.Org, &ct.CollectionID, &ct.Collection, &ct.Class, &ct.RecordType, &ct.Location, &ct.Volume, &ct.Decision,
			&ct.Basis, &ct.Justification, &ct.ProposedBy, &ct.ApprovedBy, &ct.Note, nullTime{&ct.IssuedAt}); err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, rows.Err()
}

// Certificate returns one of an organisation's certificates.
func (s *Store) Certificate(ctx context.Context, org string, id int64) (records.Certificate, error) {
	cs, err := s.reader().certificates(ctx, "WHERE org_code = ? AND id = ?", org, id)
	if err != nil {
		return records.Certificate{}, err
	}
	if len(cs) == 0 {
		return records.Certificate{}, problem.New(problem.NotFound, "There is no such certificate for %s", org)
	}
	return cs[0], nil
}
