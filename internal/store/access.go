package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// EnsureMeasures writes the shipped measures: those missing are added, and
// those a release has changed are updated; the values of both are worked
// out for every month loaded, in the same transaction.
func (s *Store) EnsureMeasures(ctx context.Context) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.lockMeasures(ctx); err != nil {
			return err
		}
		// Every definition in one read; a commissioner's own measure that
		// happens to have a shipped id is theirs, left alone.
		type stored struct {
			def     string
			builtin bool
		}
		have := map[string]stored{}
		rows, err := c.query(ctx, "SELECT id, definition, builtin FROM measures")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var st stored
			var builtin int
			if err := rows.Scan(&id, &st.def, &builtin); err != nil {
				rows.Close()
				return err
			}
			st.builtin = builtin == 1
			have[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		changed := map[string]bool{}
		for _, m := range access.Shipped {
			def, _ := json.Marshal(m)
			st, ok := have[m.ID]
			switch {
			case !ok:
				_, err = c.exec(ctx, "INSERT INTO measures (id, definition, builtin, created_by, created_at) VALUES (?, ?, 1, 'onepc', ?)",
					m.ID, string(def), c.tsArg(c.now))
			case st.builtin && st.def != string(def):
				_, err = c.exec(ctx, "UPDATE measures SET definition = ? WHERE id = ?", string(def), m.ID)
			default:
				continue
			}
			if err != nil {
				return err
			}
			changed[m.ID] = true
		}
		if len(changed) == 0 {
			return nil
		}
		if err := c.recomputeMeasures(ctx, func(m access.Measure) bool { return changed[m.ID] }, time.Time{}); err != nil {
			return err
		}
		c.referenceChanged()
		return nil
	})
}

const measureColumns = "definition, builtin, retired_at, retired_reason, created_by"

func scanMeasure(sc interface{ Scan(...any) error }) (access.Measure, error) {
	var def string
	var builtin int
	var m access.Measure
	var retired time.Time
	var reason, by string
	if err := sc.Scan(&def, &builtin, nullTime{&retired}, &reason, &by); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		return m, err
	}
	m.Builtin, m.Retired, m.RetiredReason, m.CreatedBy = builtin == 1, retired, reason, by
	return m, nil
}

// measureDefinitions lists every measure's definition, retired ones too
// (their values are kept worked out). It reads the definition only, as
// every schema since migration 004 has it: a migration's own step
// (006's) works measures out too.
func (c conn) measureDefinitions(ctx context.Context) ([]access.Measure, error) {
	rows, err := c.query(ctx, "SELECT definition FROM measures ORDER BY builtin DESC, created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Measure
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		var m access.Measure
		if err := json.Unmarshal([]byte(def), &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// measures lists every measure, retired ones too (their values are kept
// worked out), shipped ones first.
func (c conn) measures(ctx context.Context) ([]access.Measure, error) {
	rows, err := c.query(ctx, "SELECT "+measureColumns+" FROM measures ORDER BY builtin DESC, created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Measure
	for rows.Next() {
		m, err := scanMeasure(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Measures lists the measures in use (not retired), shipped ones first.
func (s *Store) Measures(ctx context.Context) ([]access.Measure, error) {
	all, err := s.reader().measures(ctx)
	return slices.DeleteFunc(all, func(m access.Measure) bool { return !m.Retired.IsZero() }), err
}

// Measure returns one measure, retired or not.
func (s *Store) Measure(ctx context.Context, id string) (access.Measure, error) {
	m, err := scanMeasure(s.reader().queryRow(ctx, "SELECT "+measureColumns+" FROM measures WHERE id = ?", id))
	if err != nil {
		return access.Measure{}, notFound(err, "There is no measure %q", id)
	}
	return m, nil
}

// MeasureChange is one change to a measure, as kept in its history.
type MeasureChange struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Change string    `json:"change"` // reworded, retired, restored
	Reason string    `json:"reason"`
}

// checkReason is a change's reason: said, in at most 500 characters.
func checkReason(reason string) error {
	switch n := len([]rune(strings.TrimSpace(reason))); {
	case n < 5:
		return problem.BadField("reason", "Say why, in a few words: the change is kept with its reason")
	case n > 500:
		return problem.BadField("reason", "Say why in at most 500 characters")
	}
	return nil
}

// RewordMeasure changes a commissioner's measure's title, description,
// reason for being and which way is better (what it counts stays: a
// different count is a new measure), keeping the old definition in its
// history.
func (s *Store) RewordMeasure(ctx context.Context, actor string, m access.Measure, reason string) error {
	if err := checkReason(reason); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		old, err := scanMeasure(c.queryRow(ctx, "SELECT "+measureColumns+" FROM measures WHERE id = ?", m.ID))
		if err != nil {
			return notFound(err, "There is no measure %q", m.ID)
		}
		if old.Builtin {
			return problem.New(problem.Conflict, "%s is shipped with OnePC as NHS England defines it: it can be retired, not reworded", old.Title)
		}
		next := old
		next.Title, next.Description, next.Why, next.Direction = strings.TrimSpace(m.Title), strings.TrimSpace(m.Description), strings.TrimSpace(m.Why), m.Direction
		if err := next.Validate(); err != nil {
			return err
		}
		// A target says which way is good: a measure with targets keeps a side.
		if next.Direction == access.Neutral && old.Direction != access.Neutral {
			var n int
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM measure_targets WHERE measure_id = ?", m.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return problem.BadField("direction", "%s has targets set (%s), which a measure where neither way is better could not judge: clear them first, on the access pages that set them", old.Title, numfmt.Count(int64(n)))
			}
		}
		if err := c.keepMeasureHistory(ctx, actor, old, "reworded", reason); err != nil {
			return err
		}
		next.Builtin, next.Retired, next.RetiredReason, next.CreatedBy = false, time.Time{}, "", ""
		def, _ := json.Marshal(next)
		if _, err := c.exec(ctx, "UPDATE measures SET definition = ? WHERE id = ?", string(def), m.ID); err != nil {
			return err
		}
		c.referenceChanged()
		return c.appendAudit(ctx, actor, "measure.update", "measure", m.ID, old, next)
	})
}

// RetireMeasure retires a measure (retire) or brings it back: a retired
// one is no longer listed, its page says so, and its values and history
// are kept.
func (s *Store) RetireMeasure(ctx context.Context, actor, id string, retire bool, reason string) error {
	if err := checkReason(reason); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		old, err := scanMeasure(c.queryRow(ctx, "SELECT "+measureColumns+" FROM measures WHERE id = ?", id))
		if err != nil {
			return notFound(err, "There is no measure %q", id)
		}
		if retire == !old.Retired.IsZero() {
			return problem.New(problem.Conflict, "%s is %s already", old.Title, map[bool]string{true: "retired", false: "in use"}[retire])
		}
		change, at := "restored", any(nil)
		if retire {
			change, at = "retired", c.tsArg(c.now)
		}
		if err := c.keepMeasureHistory(ctx, actor, old, change, reason); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "UPDATE measures SET retired_at = ?, retired_reason = ? WHERE id = ?", at, map[bool]string{true: strings.TrimSpace(reason)}[retire], id); err != nil {
			return err
		}
		c.referenceChanged()
		return c.appendAudit(ctx, actor, "measure."+map[bool]string{true: "retire", false: "restore"}[retire], "measure", id, nil, map[string]string{"reason": reason})
	})
}

func (c conn) keepMeasureHistory(ctx context.Context, actor string, old access.Measure, change, reason string) error {
	old.Builtin, old.Retired, old.RetiredReason, old.CreatedBy = false, time.Time{}, "", ""
	def, _ := json.Marshal(old)
	_, err := c.exec(ctx, "INSERT INTO measure_history (measure_id, changed_at, changed_by, change, reason, definition) VALUES (?, ?, ?, ?, ?, ?)",
		old.ID, c.tsArg(c.now), actor, change, strings.TrimSpace(reason), string(def))
	return err
}

// MeasureHistory lists a measure's changes, newest first.
func (s *Store) MeasureHistory(ctx context.Context, id string) ([]MeasureChange, error) {
	rows, err := s.reader().query(ctx, "SELECT changed_at, changed_by, change, reason FROM measure_history WHERE measure_id = ? ORDER BY id DESC", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MeasureChange
	for rows.Next() {
		var h MeasureChange
		if err := rows.Scan(nullTime{&h.At}, &h.By, &h.Change, &h.Reason); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// TargetChange is one setting (or clearing: Milli nil) of a target.
type TargetChange struct {
	Measure string    `json:"measure_id"`
	Milli   *int64    `json:"target_milli"`
	At      time.Time `json:"at"`
	By      string    `json:"by"`
}

// TargetHistory lists the targets set at an organisation, newest first.
func (s *Store) TargetHistory(ctx context.Context, org string) ([]TargetChange, error) {
	rows, err := s.reader().query(ctx, "SELECT measure_id, target_pm, set_at, set_by FROM target_history WHERE org_code = ? ORDER BY id DESC LIMIT 200", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TargetChange
	for rows.Next() {
		var h TargetChange
		var pm sql.NullInt64
		if err := rows.Scan(&h.Measure, &pm, nullTime{&h.At}, &h.By); err != nil {
			return nil, err
		}
		if pm.Valid {
			h.Milli = &pm.Int64
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// AppointmentMonths lists the months loaded, oldest first.
func (s *Store) AppointmentMonths(ctx context.Context) ([]time.Time, error) {
	return s.reader().dates(ctx, "SELECT month FROM appointment_months ORDER BY month")
}

// MeasureValues returns a measure's values for every practice loaded, in
// the months from..to inclusive.
func (s *Store) MeasureValues(ctx context.Context, id string, from, to time.Time) ([]access.Value, error) {
	// Values are keyed by month first: one look-up a month, each a run of
	// the measure's practices in order.
	months := monthStarts(from, to)
	var rows *sql.Rows
	var err error
	if len(months) == 0 || len(months) > maxMonthLookups {
		rows, err = s.reader().query(ctx, `SELECT month, practice_code, numerator, denominator FROM practice_measure_values
			WHERE month >= ? AND month <= ? AND measure_id = ? ORDER BY month, practice_code`, dateArg(from), dateArg(to), id)
	} else {
		in, args := inClause(months)
		rows, err = s.reader().query(ctx, `SELECT month, practice_code, numerator, denominator FROM practice_measure_values
			WHERE month IN `+in+` AND measure_id = ? ORDER BY month, practice_code`, append(args, id)...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Value
	for rows.Next() {
		var v access.Value
		var den sql.NullInt64
		if err := rows.Scan(nullTime{&v.Month}, &v.Practice, &v.Num, &den); err != nil {
			return nil, err
		}
		v.Den, v.HasDen = den.Int64, den.Valid
		out = append(out, v)
	}
	return out, rows.Err()
}

// maxMonthLookups bounds the months MeasureValues looks up one by one; a
// longer span is read as a range.
const maxMonthLookups = 240

// monthStarts lists the first days of the months from..to holds (values
// are stored against their month's first day), or nil for more than
// maxMonthLookups of them.
func monthStarts(from, to time.Time) []string {
	var out []string
	m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.Before(from) {
		m = m.AddDate(0, 1, 0)
	}
	for ; !m.After(to); m = m.AddDate(0, 1, 0) {
		if len(out) == maxMonthLookups {
			return nil
		}
		out = append(out, m.Format(time.DateOnly))
	}
	return out
}

// CreateMeasure adds a commissioner's measure and works out its values for
// every month loaded, in one transaction.
func (s *Store) CreateMeasure(ctx context.Context, actor string, m access.Measure) error {
	if err := m.Validate(); err != nil {
		return &problem.Error{Kind: problem.Invalid, Message: "The measure was not saved", Fields: problem.FieldsOf(err)}
	}
	return s.tx(ctx, func(c conn) error {
		if err := c.lockMeasures(ctx); err != nil {
			return err
		}
		def, _ := json.Marshal(m)
		if _, err := c.exec(ctx, "INSERT INTO measures (id, definition, builtin, created_by, created_at) VALUES (?, ?, 0, ?, ?)",
			m.ID, string(def), actor, c.tsArg(c.now)); err != nil {
			if problem.KindOf(mapError(err)) == problem.Conflict {
				msg := "There is already a measure called " + m.ID
				return problem.OnField(problem.Conflict, "id", msg)
			}
			return err
		}
		if err := c.recomputeMeasures(ctx, func(x access.Measure) bool { return x.ID == m.ID }, time.Time{}); err != nil {
			return err
		}
		c.referenceChanged()
		return c.appendAudit(ctx, actor, "measure.create", "measure", m.ID, nil, m)
	})
}

// Target is a commissioner's target for a measure at a Place or ICB, in
// thousandths of the measure's unit (62500 is 62.5%).
type Target struct {
	Measure string `json:"measure_id"`
	Org     string `json:"org_code"`
	Milli   int64  `json:"target_milli"`
}

// SetTarget sets (or, with clear, removes) a measure's target at an organisation.
func (s *Store) SetTarget(ctx context.Context, actor string, t Target, clear bool) error {
	return s.tx(ctx, func(c conn) error {
		var kind orgs.Kind
		if err := c.queryRow(ctx, "SELECT kind FROM orgs WHERE code = ?", t.Org).Scan(&kind); err != nil {
			return notFound(err, "There is no organisation with the code %s", t.Org)
		}
		if !kind.Commissions() {
			return problem.New(problem.Invalid, "Targets are set for a Place or an ICB; %s is %s", t.Org, kind.ALabel())
		}
		var kept any = t.Milli // the history keeps every setting, and each clearing (NULL)
		if clear {
			kept = nil
		}
		if _, err := c.exec(ctx, "INSERT INTO target_history (measure_id, org_code, target_pm, set_at, set_by) VALUES (?, ?, ?, ?, ?)",
			t.Measure, t.Org, kept, c.tsArg(c.now), actor); err != nil {
			return err
		}
		if clear {
			if _, err := c.exec(ctx, "DELETE FROM measure_targets WHERE measure_id = ? AND org_code = ?", t.Measure, t.Org); err != nil {
				return err
			}
			return c.appendAudit(ctx, actor, "measure.target.clear", "measure", t.Measure+"/"+t.Org, t, nil)
		}
		if _, err := c.exec(ctx, `INSERT INTO measure_targets (measure_id, org_code, target_pm) VALUES (?, ?, ?)
			ON CONFLICT (measure_id, org_code) DO UPDATE SET target_pm = excluded.target_pm`, t.Measure, t.Org, t.Milli); err != nil {
			return mapError(err)
		}
		return c.appendAudit(ctx, actor, "measure.target", "measure", t.Measure+"/"+t.Org, nil, t)
	})
}

// Targets returns the targets set at any of the organisations, by measure:
// the nearest wins when several are given (the chain's order).
func (s *Store) Targets(ctx context.Context, chain []string) (map[string]Target, error) {
	in, args := inClause(chain)
	rows, err := s.reader().query(ctx, "SELECT measure_id, org_code, target_pm FROM measure_targets WHERE org_code IN "+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rank := map[string]int{}
	for i, c := range chain {
		rank[c] = i
	}
	out := map[string]Target{}
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.Measure, &t.Org, &t.Milli); err != nil {
			return nil, err
		}
		if old, ok := out[t.Measure]; !ok || rank[t.Org] < rank[old.Org] {
			out[t.Measure] = t
		}
	}
	return out, rows.Err()
}
