package store

import (
	"context"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/problem"
)

// StoredFramework is an uploaded framework file, as uploaded.
type StoredFramework struct {
	ID, Body   string
	Version    int
	UploadedBy string
	UploadedAt time.Time
}

// UploadedFrameworks returns every uploaded framework version.
func (s *Store) UploadedFrameworks(ctx context.Context) ([]StoredFramework, error) {
	rows, err := s.reader().query(ctx, "SELECT id, version, body, uploaded_by, uploaded_at FROM capability_frameworks ORDER BY id, version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredFramework
	for rows.Next() {
		var f StoredFramework
		if err := rows.Scan(&f.ID, &f.Version, &f.Body, &f.UploadedBy, nullTime{&f.UploadedAt}); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SaveFramework keeps an uploaded framework, already checked
// (capability.Parse); a version once kept never changes.
func (s *Store) SaveFramework(ctx context.Context, actor string, f capability.Framework, body string) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "INSERT INTO capability_frameworks (id, version, body, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?)",
			f.ID, f.Version, body, actor, c.tsArg(c.now))
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.OnField(problem.Conflict, "file", fmt.Sprintf("Version %d of %s is kept already: raise the version to change it", f.Version, f.ID))
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.framework", "capability_framework", f.ID, nil, map[string]any{"version": f.Version, "title": f.Title})
	})
}

const reviewColumns = "id, org_code, framework, framework_version, year, mode, closed, shared, started_by, started_at, closed_by, closed_at"

func scanReview(sc interface{ Scan(...any) error }) (capability.Review, error) {
	var r capability.Review
	err := sc.Scan(&r.ID, &r.Org, &r.Framework, &r.FrameworkVersion, &r.Year, &r.Mode, &r.Closed, &r.Shared, &r.StartedBy, nullTime{&r.StartedAt}, &r.ClosedBy, nullTime{&r.ClosedAt})
	return r, err
}

// StartReview starts a review (checked by capability.NewReview) of an organisation.
func (s *Store) StartReview(ctx context.Context, actor, org string, r capability.Review) (capability.Review, error) {
	err := s.tx(ctx, func(c conn) error {
		r.Org, r.StartedBy, r.StartedAt = org, actor, c.now.UTC().Truncate(time.Microsecond)
		err := c.queryRow(ctx, `INSERT INTO capability_reviews (org_code, framework, framework_version, year, mode, started_by, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, org, r.Framework, r.FrameworkVersion, r.Year, string(r.Mode), actor, c.tsArg(c.now)).Scan(&r.ID)
		if problem.KindOf(mapError(err)) == problem.Conflict {
			return problem.OnField(problem.Conflict, "year", fmt.Sprintf("%s already has a %s review for %d: open it instead", org, r.Framework, r.Year))
		}
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.start", "capability_review", org+"/"+fmt.Sprint(r.ID), nil, r)
	})
	return r, err
}

// CapabilityReviews lists the reviews of the organisations named, newest first.
func (s *Store) CapabilityReviews(ctx context.Context, orgCodes ...string) ([]capability.Review, error) {
	if len(orgCodes) == 0 {
		return nil, nil
	}
	in, args := inClause(orgCodes)
	rows, err := s.reader().query(ctx, "SELECT "+reviewColumns+" FROM capability_reviews WHERE org_code IN "+in+" ORDER BY year DESC, framework, org_code", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []capability.Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CapabilityReview returns one review of an organisation.
func (s *Store) CapabilityReview(ctx context.Context, org string, id int64) (capability.Review, error) {
	r, err := scanReview(s.reader().queryRow(ctx, "SELECT "+reviewColumns+" FROM capability_reviews WHERE org_code = ? AND id = ?", org, id))
	return r, notFound(err, "There is no such review of %s", org)
}

// Previous returns the organisation's last closed review against the same
// framework before this one's year, if any.
func (s *Store) Previous(ctx context.Context, r capability.Review) (capability.Review, bool, error) {
	p, err := scanReview(s.reader().queryRow(ctx, "SELECT "+reviewColumns+` FROM capability_reviews
		WHERE org_code = ? AND framework = ? AND year < ? AND closed = 1 ORDER BY year DESC LIMIT 1`, r.Org, r.Framework, r.Year))
	if problem.KindOf(notFound(err, "")) == problem.NotFound {
		return p, false, nil
	}
	return p, err == nil, err
}

// review loads a review inside a transaction, for a change.
func (c conn) review(ctx context.Context, org string, id int64) (capability.Review, error) {
	r, err := scanReview(c.queryRow(ctx, "SELECT "+reviewColumns+" FROM capability_reviews WHERE org_code = ? AND id = ?", org, id))
	return r, notFound(err, "There is no such review of %s", org)
}

// SetScore records a team member's level for an item of an open review, in
// place of their earlier one.
func (s *Store) SetScore(ctx context.Context, person, org string, id int64, f capability.Framework, item string, level int) error {
	return s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		if r.Mode != capability.Facilitated {
			return problem.New(problem.Conflict, "This review is not a facilitated session: one person records its levels")
		}
		if err := capability.CheckScore(f, r, item, level); err != nil {
			return err
		}
		_, err = c.exec(ctx, `INSERT INTO capability_scores (review_id, item, person, level, scored_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (review_id, item, person) DO UPDATE SET level = excluded.level, scored_at = excluded.scored_at`, id, item, person, level, c.tsArg(c.now))
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, person, "capability.score", "capability_review", org+"/"+fmt.Sprint(id), nil, map[string]any{"item": item, "level": level})
	})
}

// Scores returns a review's individual scores.
func (s *Store) Scores(ctx context.Context, id int64) ([]capability.Score, error) {
	rows, err := s.reader().query(ctx, "SELECT item, person, level, scored_at FROM capability_scores WHERE review_id = ? ORDER BY item, person", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []capability.Score
	for rows.Next() {
		var sc capability.Score
		if err := rows.Scan(&sc.Item, &sc.Person, &sc.Level, nullTime{&sc.At}); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// Agree records the level the team agreed for an item (checked by
// capability.CheckAgreed), in place of an earlier agreement.
func (s *Store) Agree(ctx context.Context, actor, org string, id int64, f capability.Framework, a capability.Agreed, measureKnown func(string) bool) (capability.Agreed, error) {
	err := s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		if a, err = capability.CheckAgreed(f, r, a, measureKnown); err != nil {
			return err
		}
		a.AgreedBy = actor
		_, err = c.exec(ctx, `INSERT INTO capability_agreed (review_id, item, level, rationale, confidence, note, link, measure, agreed_by, agreed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (review_id, item) DO UPDATE SET level = excluded.level, rationale = excluded.rationale, confidence = excluded.confidence,
			note = excluded.note, link = excluded.link, measure = excluded.measure, agreed_by = excluded.agreed_by, agreed_at = excluded.agreed_at`,
			id, a.Item, a.Level, a.Rationale, a.Confidence, a.Note, a.Link, a.Measure, actor, c.tsArg(c.now))
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.agree", "capability_review", org+"/"+fmt.Sprint(id), nil, a)
	})
	return a, err
}

// Agreed returns the agreed levels of reviews, by review and item.
func (s *Store) Agreed(ctx context.Context, ids ...int64) (map[int64]map[string]capability.Agreed, error) {
	out := map[int64]map[string]capability.Agreed{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inClause(ids)
	rows, err := s.reader().query(ctx, `SELECT review_id, item, level, rationale, confidence, note, link, measure, snapshot, panel_level, panel_note, agreed_by
		FROM capability_agreed WHERE review_id IN `+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a capability.Agreed
		if err := rows.Scan(&id, &a.Item, &a.Level, &a.Rationale, &a.Confidence, &a.Note, &a.Link, &a.Measure, &a.Snapshot, &a.PanelLevel, &a.PanelNote, &a.AgreedBy); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]capability.Agreed{}
		}
		out[id][a.Item] = a
	}
	return out, rows.Err()
}

// CloseReview closes a review whose every item is agreed
// (capability.CheckClose), keeping each measure's value as it stands now
// (snapshots, by item) beside the evidence, and creating an improvement
// action for each low item that has none (capability.ActionsForLow), owned
// by the person closing it and due in three months.
func (s *Store) CloseReview(ctx context.Context, actor, org string, id int64, f capability.Framework, snapshots map[string]string) error {
	agreed, err := s.Agreed(ctx, id)
	if err != nil {
		return err
	}
	existing, err := s.Actions(ctx, id)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		if err := capability.CheckClose(f, r, agreed[id]); err != nil {
			return err
		}
		for item, snap := range snapshots {
			if _, err := c.exec(ctx, "UPDATE capability_agreed SET snapshot = ? WHERE review_id = ? AND item = ?", snap, id, item); err != nil {
				return err
			}
		}
		if err := c.addActions(ctx, actor, id, capability.ActionsForLow(f, agreed[id], existing, actor, c.now.UTC().Truncate(24*time.Hour).AddDate(0, 3, 0))); err != nil {
			return err
		}
		res, err := c.exec(ctx, "UPDATE capability_reviews SET closed = 1, closed_by = ?, closed_at = ? WHERE id = ? AND closed = 0", actor, c.tsArg(c.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "This review is closed already")
		}
		return c.appendAudit(ctx, actor, "capability.close", "capability_review", org+"/"+fmt.Sprint(id), nil, map[string]any{"snapshots": snapshots})
	})
}

// ShareReview sets how far up a review is shared.
func (s *Store) ShareReview(ctx context.Context, actor, org string, id int64, share capability.Share) error {
	return s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE capability_reviews SET shared = ? WHERE id = ?", string(share), id); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.share", "capability_review", org+"/"+fmt.Sprint(id), map[string]string{"shared": string(r.Shared)}, map[string]string{"shared": string(share)})
	})
}

// Moderate records a moderating panel's level for an item, beside the
// organisation's own, which stays as it was.
func (s *Store) Moderate(ctx context.Context, actor, org string, id int64, f capability.Framework, item string, level int, note string) error {
	return s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		r.Closed = false // a panel moderates a closed review
		if err := capability.CheckScore(f, r, item, level); err != nil {
			return err
		}
		res, err := c.exec(ctx, "UPDATE capability_agreed SET panel_level = ?, panel_note = ? WHERE review_id = ? AND item = ?", level, note, id, item)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.New(problem.Conflict, "The organisation has not agreed a level for %s yet", item)
		}
		return c.appendAudit(ctx, actor, "capability.moderate", "capability_review", org+"/"+fmt.Sprint(id), nil, map[string]any{"item": item, "panel_level": level, "note": note})
	})
}

// AddAction adds an improvement action (checked by capability.CheckAction).
func (s *Store) AddAction(ctx context.Context, actor, org string, id int64, a capability.Action) (capability.Action, error) {
	err := s.tx(ctx, func(c conn) error {
		if _, err := c.review(ctx, org, id); err != nil {
			return err
		}
		if err := c.queryRow(ctx, `INSERT INTO capability_actions (review_id, item, title, owner, due, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			id, a.Item, a.Title, a.Owner, dateArg(a.Due), actor, c.tsArg(c.now)).Scan(&a.ID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.action", "capability_review", org+"/"+fmt.Sprint(id), nil, a)
	})
	return a, err
}

// Actions lists a review's improvement actions, soonest due first.
func (s *Store) Actions(ctx context.Context, id int64) ([]capability.Action, error) {
	rows, err := s.reader().query(ctx, "SELECT id, item, title, owner, due, done FROM capability_actions WHERE review_id = ? ORDER BY due, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []capability.Action
	for rows.Next() {
		var a capability.Action
		if err := rows.Scan(&a.ID, &a.Item, &a.Title, &a.Owner, nullTime{&a.Due}, &a.Done); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveEvidenceFile keeps a file (checked by capability.CheckEvidence) as
// evidence for an item of an open review, in place of an earlier one.
func (s *Store) SaveEvidenceFile(ctx context.Context, actor, org string, id int64, item, name string, data []byte) error {
	return s.tx(ctx, func(c conn) error {
		r, err := c.review(ctx, org, id)
		if err != nil {
			return err
		}
		ctype, err := capability.CheckEvidence(r, data)
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `INSERT INTO capability_files (review_id, item, name, content_type, data, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (review_id, item) DO UPDATE SET name = excluded.name, content_type = excluded.content_type, data = excluded.data,
			uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at`, id, item, name, ctype, data, actor, c.tsArg(c.now))
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "capability.evidence", "capability_review", org+"/"+fmt.Sprint(id), nil, map[string]any{"item": item, "file": name, "bytes": len(data)})
	})
}

// EvidenceFiles names the evidence files of a review, by item.
func (s *Store) EvidenceFiles(ctx context.Context, id int64) (map[string]string, error) {
	rows, err := s.reader().query(ctx, "SELECT item, name FROM capability_files WHERE review_id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var item, name string
		if err := rows.Scan(&item, &name); err != nil {
			return nil, err
		}
		out[item] = name
	}
	return out, rows.Err()
}

// EvidenceFile returns an item's evidence file.
func (s *Store) EvidenceFile(ctx context.Context, id int64, item string) (name, contentType string, data []byte, err error) {
	err = s.reader().queryRow(ctx, "SELECT name, content_type, data FROM capability_files WHERE review_id = ? AND item = ?", id, item).
		Scan(&name, &contentType, &data)
	return name, contentType, data, notFound(err, "This item has no evidence file")
}

// addActions adds several actions in one transaction (a closing review's).
func (c conn) addActions(ctx context.Context, actor string, id int64, as []capability.Action) error {
	for _, a := range as {
		if _, err := c.exec(ctx, `INSERT INTO capability_actions (review_id, item, title, owner, due, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, a.Item, a.Title, a.Owner, dateArg(a.Due), actor, c.tsArg(c.now)); err != nil {
			return err
		}
	}
	return nil
}
