package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// AppointmentsImport counts what an appointments import did.
type AppointmentsImport struct {
	File      string      `json:"file"`
	Rows      int64       `json:"rows"`
	Blank     int64       `json:"blank_counts"`
	Months    []time.Time `json:"months"`
	Practices int         `json:"practices"`
	Created   int         `json:"created"`
}

// ImportAppointments loads one practice-level file in one transaction. It
// streams the rows (read calls add for each) into a staging table in
// batches, so memory stays flat however large the file; then, for each
// month and practice the file holds, it replaces what was there, so that
// importing a month again (or a region's split file beside another's)
// changes only what the file covers. Organisations not yet known are created
// from the file's own codes and names. Measures are worked out afresh for
// the months loaded.
func (s *Store) ImportAppointments(ctx context.Context, actor, file string, read func(add func(access.Row) error) (access.Summary, error)) (AppointmentsImport, error) {
	res := AppointmentsImport{File: file}
	err := s.tx(ctx, func(c conn) error {
		create := "CREATE TEMP TABLE appt_stage (practice_code TEXT, practice_name TEXT, pcn_code TEXT, pcn_name TEXT, sub_icb TEXT, sub_icb_name TEXT, month TEXT, status SMALLINT, hcp SMALLINT, mode SMALLINT, band SMALLINT, count BIGINT)"
		if c.dialect == Postgres {
			create += " ON COMMIT DROP"
		}
		if _, err := c.exec(ctx, "DROP TABLE IF EXISTS appt_stage"); err != nil {
			return err
		}
		if _, err := c.exec(ctx, create); err != nil {
			return err
		}
		cols := []string{"practice_code", "practice_name", "pcn_code", "pcn_name", "sub_icb", "sub_icb_name", "month", "status", "hcp", "mode", "band", "count"}
		// Rows that differ only by national category are added up as they
		// stream, in a map that is written out whenever it grows past a
		// bound: memory stays flat, and the staging table gets a fraction of
		// the rows (the GROUP BY below finishes the sum).
		type cell struct {
			practice string
			month    time.Time
			status   access.Status
			hcp      access.HCP
			mode     access.Mode
			band     access.Band
		}
		sums := map[cell]int64{}
		names := map[string]access.Row{} // practice → its names, as first read
		flush := func() error {
			if len(sums) == 0 {
				return nil
			}
			keys := make([]cell, 0, len(sums))
			for k := range sums {
				keys = append(keys, k)
			}
			err := c.bulkInsert(ctx, "appt_stage", cols, len(keys), func(i int) []any {
				k := keys[i]
				r := names[k.practice]
				return []any{k.practice, r.PracticeName, r.PCN, r.PCNName, r.SubICB, r.SubICBName, k.month.Format(time.DateOnly),
					int(k.status), int(k.hcp), int(k.mode), int(k.band), sums[k]}
			})
			clear(sums)
			clear(names)
			return err
		}
		sum, err := read(func(r access.Row) error {
			sums[cell{r.Practice, r.Month, r.Status, r.HCP, r.Mode, r.Band}] += r.Count
			if _, ok := names[r.Practice]; !ok {
				names[r.Practice] = r
			}
			if len(sums) >= 50000 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		res.Rows, res.Blank = sum.Rows, sum.Blank
		if err := c.createFromStage(ctx, actor, &res); err != nil {
			return err
		}
		dateCast := "month"
		if c.dialect == Postgres {
			dateCast = "month::date"
		}
		// Replace what the file covers: its practices in its months, found
		// once (DISTINCT) rather than probed row by row.
		if _, err := c.exec(ctx, `DELETE FROM appointments WHERE (practice_code, month) IN
			(SELECT DISTINCT practice_code, `+dateCast+` FROM appt_stage)`); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO appointments (practice_code, month, status, hcp, mode, band, count)
			SELECT practice_code, `+dateCast+`, status, hcp, mode, band, SUM(count) FROM appt_stage
			GROUP BY practice_code, month, status, hcp, mode, band`); err != nil {
			return err
		}
		rows, err := c.query(ctx, "SELECT DISTINCT month FROM appt_stage ORDER BY month")
		if err != nil {
			return err
		}
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			t, _ := time.Parse(time.DateOnly, m)
			res.Months = append(res.Months, t)
		}
		rows.Close()
		if err := c.queryRow(ctx, "SELECT COUNT(DISTINCT practice_code) FROM appt_stage").Scan(&res.Practices); err != nil {
			return err
		}
		for _, m := range res.Months {
			if err := c.computeMeasures(ctx, "", m); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, actor, "import.gpad", "import", file, nil, res)
	})
	return res, err
}

// createFromStage adds the Places, PCNs and practices the file names that
// are not known yet, with PCN membership from the first month they appear.
func (c conn) createFromStage(ctx context.Context, actor string, res *AppointmentsImport) error {
	known, err := c.allOrgs(ctx)
	if err != nil {
		return err
	}
	rows, err := c.query(ctx, `SELECT practice_code, MIN(practice_name), MIN(pcn_code), MIN(pcn_name), MIN(sub_icb), MIN(sub_icb_name), MIN(month)
		FROM appt_stage GROUP BY practice_code`)
	if err != nil {
		return err
	}
	type p struct{ code, name, pcn, pcnName, sub, subName, first string }
	var list []p
	for rows.Next() {
		var x p
		if err := rows.Scan(&x.code, &x.name, &x.pcn, &x.pcnName, &x.sub, &x.subName, &x.first); err != nil {
			rows.Close()
			return err
		}
		list = append(list, x)
	}
	rows.Close()
	add := func(o orgs.Org) error {
		created, err := c.ensureOrg(ctx, actor, res.File, known, o)
		if created {
			res.Created++
		}
		return err
	}
	for _, x := range list {
		newPractice := known[x.code].Code == ""
		steps := []orgs.Org{
			{Code: x.sub, Kind: orgs.Place, Name: x.subName, Status: orgs.StatusActive},
			{Code: x.pcn, Kind: orgs.PCN, Name: x.pcnName, ParentCode: x.sub, Status: orgs.StatusActive},
			{Code: x.code, Kind: orgs.Practice, Name: x.name, ParentCode: x.sub, Status: orgs.StatusActive, Setting: orgs.SettingGPPractice},
		}
		for _, o := range steps {
			if err := add(o); err != nil {
				return err
			}
		}
		if newPractice && x.pcn != "" {
			start, _ := time.Parse(time.DateOnly, x.first)
			if _, err := c.upsertMembership(ctx, actor, orgs.Membership{PracticeCode: x.code, PCNCode: x.pcn, Start: start}); err != nil {
				return err
			}
		}
	}
	return nil
}

// computeMeasures works out every measure (or one, id ≠ "") for one month
// from the appointments, replacing what was there, in one pass over the
// month: a pair of sums per measure. Per-1,000 measures take the registered
// list of the same month, where loaded; without it their denominator stays
// unknown rather than guessed.
func (c conn) computeMeasures(ctx context.Context, id string, month time.Time) error {
	all, err := c.measures(ctx)
	if err != nil {
		return err
	}
	var ms []access.Measure
	for _, m := range all {
		if id == "" || m.ID == id {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	d := dateArg(month)
	var sums []string
	for _, m := range ms {
		sums = append(sums, "SUM(CASE WHEN "+m.Numerator.SQL()+" THEN count ELSE 0 END)", "SUM(CASE WHEN "+m.Denominator.SQL()+" THEN count ELSE 0 END)")
	}
	rows, err := c.query(ctx, "SELECT practice_code, "+strings.Join(sums, ", ")+" FROM appointments WHERE month = ? GROUP BY practice_code", d)
	if err != nil {
		return err
	}
	type value struct {
		practice string
		v        []int64
	}
	var vals []value
	for rows.Next() {
		x := value{v: make([]int64, 2*len(ms))}
		dest := []any{&x.practice}
		for k := range x.v {
			dest = append(dest, &x.v[k])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		vals = append(vals, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	lists, err := c.listSizesInMonth(ctx, month)
	if err != nil {
		return err
	}
	for k, m := range ms {
		if _, err := c.exec(ctx, "DELETE FROM measure_values WHERE measure_id = ? AND month = ?", m.ID, d); err != nil {
			return err
		}
		err := c.bulkInsert(ctx, "measure_values", []string{"measure_id", "practice_code", "month", "num", "den"}, len(vals), func(i int) []any {
			x := vals[i]
			var den any = x.v[2*k+1]
			if m.Unit == access.Per1000 {
				den = nil
				if n, ok := lists[x.practice]; ok {
					den = n
				}
			}
			return []any{m.ID, x.practice, d, x.v[2*k], den}
		})
		if err != nil {
			return fmt.Errorf("measure %s: %w", m.ID, err)
		}
	}
	return nil
}

// EnsureMeasures writes the shipped measures if they are missing.
func (s *Store) EnsureMeasures(ctx context.Context) error {
	return s.tx(ctx, func(c conn) error {
		for _, m := range access.Shipped {
			def, _ := json.Marshal(m)
			if _, err := c.exec(ctx, `INSERT INTO measures (id, definition, builtin, created_by, created_at) VALUES (?, ?, 1, 'onepc', ?)
				ON CONFLICT (id) DO NOTHING`, m.ID, string(def), c.tsArg(c.now)); err != nil {
				return err
			}
		}
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
	return s.reader().dates(ctx, "SELECT DISTINCT month FROM measure_values ORDER BY month")
}

// MeasureValue is one practice's numerator and denominator in one month.
type MeasureValue struct {
	Practice string    `json:"practice_code"`
	Month    time.Time `json:"month"`
	Num      int64     `json:"numerator"`
	Den      int64     `json:"denominator"`
	HasDen   bool      `json:"has_denominator"`
}

// MeasureValues returns a measure's values for every practice loaded, in
// the months from..to inclusive.
func (s *Store) MeasureValues(ctx context.Context, id string, from, to time.Time) ([]MeasureValue, error) {
	rows, err := s.reader().query(ctx, `SELECT practice_code, month, num, den FROM measure_values
		WHERE measure_id = ? AND month >= ? AND month <= ? ORDER BY month, practice_code`, id, dateArg(from), dateArg(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MeasureValue
	for rows.Next() {
		var v MeasureValue
		var den sql.NullInt64
		if err := rows.Scan(&v.Practice, nullTime{&v.Month}, &v.Num, &den); err != nil {
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
	return s.tx(ctx, func(c conn) error {
		def, _ := json.Marshal(m)
		if _, err := c.exec(ctx, "INSERT INTO measures (id, definition, builtin, created_by, created_at) VALUES (?, ?, 0, ?, ?)",
			m.ID, string(def), actor, c.tsArg(c.now)); err != nil {
			if problem.KindOf(mapError(err)) == problem.Conflict {
				msg := "There is already a measure called " + m.ID
				return &problem.Error{Kind: problem.Conflict, Message: msg, Fields: problem.Fields{{Name: "id", Message: msg}}}
			}
			return err
		}
		months, err := c.dates(ctx, "SELECT DISTINCT month FROM appointments")
		if err != nil {
			return err
		}
		for _, mo := range months {
			if err := c.computeMeasures(ctx, m.ID, mo); err != nil {
				return err
			}
		}
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
