package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/onepc/onepc/internal/access"
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
		changed := map[string]bool{}
		for _, m := range access.Shipped {
			def, _ := json.Marshal(m)
			var was string
			err := c.queryRow(ctx, "SELECT definition FROM measures WHERE id = ?", m.ID).Scan(&was)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				_, err = c.exec(ctx, "INSERT INTO measures (id, definition, builtin, created_by, created_at) VALUES (?, ?, 1, 'onepc', ?)",
					m.ID, string(def), c.tsArg(c.now))
			case err == nil && was != string(def):
				_, err = c.exec(ctx, "UPDATE measures SET definition = ? WHERE id = ? AND builtin = 1", string(def), m.ID)
			case err == nil:
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

func (c conn) measures(ctx context.Context) ([]access.Measure, error) {
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

// Measures lists every measure, shipped ones first.
func (s *Store) Measures(ctx context.Context) ([]access.Measure, error) {
	return s.reader().measures(ctx)
}

// Measure returns one measure.
func (s *Store) Measure(ctx context.Context, id string) (access.Measure, error) {
	var def string
	err := s.reader().queryRow(ctx, "SELECT definition FROM measures WHERE id = ?", id).Scan(&def)
	if err != nil {
		return access.Measure{}, notFound(err, "There is no measure %q", id)
	}
	var m access.Measure
	return m, json.Unmarshal([]byte(def), &m)
}

// AppointmentMonths lists the months loaded, oldest first.
func (s *Store) AppointmentMonths(ctx context.Context) ([]time.Time, error) {
	return s.reader().dates(ctx, "SELECT month FROM appointment_months ORDER BY month")
}

// MeasureValues returns a measure's values for every practice loaded, in
// the months from..to inclusive.
func (s *Store) MeasureValues(ctx context.Context, id string, from, to time.Time) ([]access.Value, error) {
	rows, err := s.reader().query(ctx, `SELECT month, practice_code, numerator, denominator FROM practice_measure_values
		WHERE measure_id = ? AND month >= ? AND month <= ? ORDER BY month, practice_code`, id, dateArg(from), dateArg(to))
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
			return problem.New(problem.Invalid, "Targets are set for a Place or an ICB; %s is a %s", t.Org, kind.Label())
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
