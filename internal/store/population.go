package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/problem"
)

// PopulationImport counts what a registered-patients import did.
type PopulationImport struct {
	File       string    `json:"file"`
	Extract    time.Time `json:"extract_date"`
	Practices  int       `json:"practices"`
	WithBands  int       `json:"with_age_bands"`
	Suppressed int       `json:"suppressed"`
	Skipped    int       `json:"skipped_rows"`
	Created    int       `json:"created"`
}

func sexCode(s population.Sex) string { return s.Code() }

// ImportPopulation applies one parsed file in one transaction. For each of
// its practices it replaces that extract's list size and, where the file
// carries age bands, the bands, so that importing the same extract again
// changes nothing. Practices and Places not yet known are created from the
// file's codes. Each practice's current list size follows its newest extract.
func (s *Store) ImportPopulation(ctx context.Context, actor, file string, e *population.Extract) (PopulationImport, error) {
	res := PopulationImport{File: file, Extract: e.Date, Skipped: e.Skipped, Suppressed: e.Suppressed}
	bandFile := false
	for _, p := range e.Practices {
		bandFile = bandFile || p.HasBands
	}
	err := s.tx(ctx, func(c conn) error {
		if err := c.lockMeasures(ctx); err != nil { // per-1,000 measures are worked out again below
			return err
		}
		known, err := c.allOrgs(ctx)
		if err != nil {
			return err
		}
		d := dateArg(e.Date)
		for _, p := range e.Practices {
			for _, o := range []orgs.Org{
				{Code: p.SubICB, Kind: orgs.Place, Name: p.SubICB, Status: orgs.StatusActive},
				{Code: p.Code, Kind: orgs.Practice, Name: p.Code, ParentCode: p.SubICB, Postcode: p.Postcode,
					Status: orgs.StatusActive, Setting: orgs.SettingGPPractice},
			} {
				created, err := c.ensureOrg(ctx, actor, file, known, o)
				if err != nil {
					return err
				}
				if created {
					res.Created++
				}
			}
			if p.Total > 0 {
				if _, err := c.exec(ctx, `INSERT INTO list_sizes (practice_code, extract_date, patients) VALUES (?, ?, ?)
					ON CONFLICT (practice_code, extract_date) DO UPDATE SET patients = excluded.patients`, p.Code, d, p.Total); err != nil {
					return err
				}
				if _, err := c.exec(ctx, `UPDATE orgs SET list_size = ?, list_size_date = ? WHERE code = ?
					AND (list_size_date IS NULL OR list_size_date <= ?)`, p.Total, d, p.Code, d); err != nil {
					return err
				}
			}
			if bandFile {
				if _, err := c.exec(ctx, "DELETE FROM population_bands WHERE practice_code = ? AND extract_date = ?", p.Code, d); err != nil {
					return err
				}
				if p.HasBands {
					if err := c.insertBands(ctx, p.Code, d, p.Bands); err != nil {
						return err
					}
					res.WithBands++
				}
			}
			res.Practices++
		}
		// Measures per 1,000 patients of the extract's month now have
		// their denominators.
		month := time.Date(e.Date.Year(), e.Date.Month(), 1, 0, 0, 0, 0, time.UTC)
		if err := c.recomputeMeasures(ctx, func(m access.Measure) bool { return m.Unit == access.Per1000 }, month); err != nil {
			return err
		}
		if err := c.sumExtract(ctx, e.Date); err != nil {
			return err
		}
		c.referenceChanged()
		return c.appendAudit(ctx, actor, "import.registered-patients", "import", file, nil, res)
	})
	return res, err
}

// insertBands writes a practice's 40 band counts in one statement.
func (c conn) insertBands(ctx context.Context, code string, d any, p population.Pyramid) error {
	var b strings.Builder
	b.WriteString("INSERT INTO population_bands (practice_code, extract_date, sex, band, patients) VALUES ")
	args := make([]any, 0, 5*2*population.NBands)
	for _, s := range population.Sexes {
		for band, n := range p[s] {
			if len(args) > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, code, d, sexCode(s), band, n)
		}
	}
	_, err := c.exec(ctx, b.String(), args...)
	return err
}

// Extracts lists the extract dates loaded, newest first.
func (s *Store) Extracts(ctx context.Context) ([]time.Time, error) {
	return s.reader().dates(ctx, "SELECT DISTINCT extract_date FROM list_sizes ORDER BY extract_date DESC")
}

// dates runs a query that returns one date a row.
func (c conn) dates(ctx context.Context, query string, args ...any) ([]time.Time, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(nullTime{&t}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Populations returns the practices at or below org (membership as on the
// extract date) with their list and bands in that extract, by code.
func (s *Store) Populations(ctx context.Context, org string, extract time.Time) (map[string]*population.List, error) {
	c := s.reader()
	cte, args := s.dialect.scopeCTE([]string{org}, extract)
	d := dateArg(extract)
	out := map[string]*population.List{}
	rows, err := c.query(ctx, cte+` SELECT l.practice_code, l.patients FROM list_sizes l
		WHERE l.extract_date = ? AND l.practice_code IN (SELECT code FROM scope)`, append(args, d)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		p := &population.List{}
		if err := rows.Scan(&p.Code, &p.Total); err != nil {
			rows.Close()
			return nil, err
		}
		out[p.Code] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = c.query(ctx, cte+` SELECT b.practice_code, b.sex, b.band, b.patients FROM population_bands b
		WHERE b.extract_date = ? AND b.practice_code IN (SELECT code FROM scope)`, append(args, d)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, sex string
		var band, n int
		if err := rows.Scan(&code, &sex, &band, &n); err != nil {
			return nil, err
		}
		p, ok := out[code]
		if !ok {
			p = &population.List{Code: code}
			out[code] = p
		}
		p.Bands[sexIndex(sex)][band] = n
		p.HasBands = true
	}
	return out, rows.Err()
}

func sexIndex(code string) population.Sex {
	if code == "M" {
		return population.Male
	}
	return population.Female
}

// AllBands is the bands of every practice loaded for an extract added up
// (kept by each import: see sumExtract): the reference population for
// weighting, and the "England" pyramid when the national file is loaded. It
// also says how many practices that is.
func (s *Store) AllBands(ctx context.Context, extract time.Time) (population.Pyramid, int, error) {
	var p population.Pyramid
	c := s.reader()
	rows, err := c.query(ctx, `SELECT sex, band, patients FROM extract_bands WHERE extract_date = ?`, dateArg(extract))
	if err != nil {
		return p, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var sex string
		var band int
		var n int64
		if err := rows.Scan(&sex, &band, &n); err != nil {
			return p, 0, err
		}
		p[sexIndex(sex)][band] = int(n)
	}
	if err := rows.Err(); err != nil {
		return p, 0, err
	}
	var practices int
	err = c.queryRow(ctx, `SELECT practices FROM extract_practices WHERE extract_date = ?`, dateArg(extract)).Scan(&practices)
	if errors.Is(err, sql.ErrNoRows) {
		return p, 0, nil
	}
	return p, practices, err
}

// TrendPoint is an organisation's registered list at one extract.
type TrendPoint struct {
	Date     time.Time `json:"extract_date"`
	Patients int       `json:"patients"`
}

// ListTrend returns the list of the practices at or below org (membership
// as on day on) at every extract loaded, oldest first.
func (s *Store) ListTrend(ctx context.Context, org string, on time.Time) ([]TrendPoint, error) {
	cte, args := s.dialect.scopeCTE([]string{org}, on)
	rows, err := s.reader().query(ctx, cte+` SELECT l.extract_date, SUM(l.patients) FROM list_sizes l
		WHERE l.practice_code IN (SELECT code FROM scope) GROUP BY l.extract_date ORDER BY l.extract_date`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var p TrendPoint
		var n int64
		if err := rows.Scan(nullTime{&p.Date}, &n); err != nil {
			return nil, err
		}
		p.Patients = int(n)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Weights returns the needs weights that apply at org: those set at the
// nearest Place or ICB at or above it on day on, else the default. from is
// the code of the organisation that set them, "" for the default.
func (s *Store) Weights(ctx context.Context, org string, on time.Time) (w population.Weights, from string, err error) {
	chain, err := s.Ancestry(ctx, org, on)
	if err != nil {
		return w, "", err
	}
	in, args := inClause(chain)
	rows, err := s.reader().query(ctx, `SELECT w.org_code, o.kind, w.sex, w.band, w.weight_milli FROM population_weights w
		JOIN orgs o ON o.code = w.org_code WHERE w.org_code IN `+in, args...)
	if err != nil {
		return w, "", err
	}
	defer rows.Close()
	tables := map[string]*population.Weights{}
	kinds := map[string]orgs.Kind{}
	for rows.Next() {
		var code, sex string
		var kind orgs.Kind
		var band, milli int
		if err := rows.Scan(&code, &kind, &sex, &band, &milli); err != nil {
			return w, "", err
		}
		if tables[code] == nil {
			tables[code] = &population.Weights{}
		}
		tables[code][sexIndex(sex)][band] = milli
		kinds[code] = kind
	}
	if err := rows.Err(); err != nil {
		return w, "", err
	}
	// The nearest wins: a Place's table before its ICB's, and so on up.
	codes := make([]string, 0, len(tables))
	for code := range tables {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool { return kinds[codes[i]].Level() < kinds[codes[j]].Level() })
	if len(codes) == 0 {
		return population.DefaultWeights(), "", nil
	}
	return *tables[codes[0]], codes[0], nil
}

// SaveWeights sets the needs weights of a Place or ICB (nil restores the default).
func (s *Store) SaveWeights(ctx context.Context, actor, org string, w *population.Weights) error {
	return s.tx(ctx, func(c conn) error {
		o, err := scanOrg(c.queryRow(ctx, "SELECT "+orgColumns+" FROM orgs o WHERE o.code = ?", org))
		if err != nil {
			return notFound(err, "There is no organisation with the code %s", org)
		}
		if !o.Kind.Commissions() {
			return problem.New(problem.Invalid, "Needs weights are set for a Place or an ICB; %s is %s", o.Name, o.Kind.ALabel())
		}
		if w != nil {
			if err := w.Check(); err != nil {
				return err
			}
		}
		before, err := c.weightsOf(ctx, org)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "DELETE FROM population_weights WHERE org_code = ?", org); err != nil {
			return err
		}
		if w != nil {
			for _, sx := range population.Sexes {
				for b, v := range w[sx] {
					if _, err := c.exec(ctx, "INSERT INTO population_weights (org_code, sex, band, weight_milli) VALUES (?, ?, ?, ?)",
						org, sexCode(sx), b, v); err != nil {
						return err
					}
				}
			}
		}
		var b, a any
		if before != nil {
			b = before
		}
		if w != nil {
			a = w
		}
		return c.appendAudit(ctx, actor, "population.weights", "org", org, b, a)
	})
}

func (c conn) weightsOf(ctx context.Context, org string) (*population.Weights, error) {
	rows, err := c.query(ctx, "SELECT sex, band, weight_milli FROM population_weights WHERE org_code = ?", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var w *population.Weights
	for rows.Next() {
		var sex string
		var band, milli int
		if err := rows.Scan(&sex, &band, &milli); err != nil {
			return nil, err
		}
		if w == nil {
			w = &population.Weights{}
		}
		w[sexIndex(sex)][band] = milli
	}
	return w, rows.Err()
}

// Patients is a practice's registered list for payment or measures.
type Patients struct {
	Extract  time.Time `json:"extract_date"`
	Count    int       `json:"patients"`
	Weighted int       `json:"weighted_patients"`
	// HasWeighted is false where the age breakdown is missing (suppressed).
	HasWeighted bool `json:"has_weighted"`
}

// PatientsOn returns a practice's list from the newest extract on or before
// day on, with its needs-weighted list where its age bands are known: what
// capitation payments use for a reference date. NotFound when no extract
// that early is loaded.
func (s *Store) PatientsOn(ctx context.Context, practice string, on time.Time) (Patients, error) {
	c := s.reader()
	var p Patients
	err := c.queryRow(ctx, `SELECT extract_date, patients FROM list_sizes WHERE practice_code = ? AND extract_date <= ?
		ORDER BY extract_date DESC LIMIT 1`, practice, dateArg(on)).Scan(nullTime{&p.Extract}, &p.Count)
	if err == sql.ErrNoRows {
		return p, problem.New(problem.NotFound, "No registered list for %s on or before %s has been loaded", practice, on.Format(time.DateOnly))
	}
	if err != nil {
		return p, err
	}
	pops, err := s.Populations(ctx, practice, p.Extract)
	if err != nil {
		return p, err
	}
	pp := pops[practice]
	if pp == nil || !pp.HasBands {
		return p, nil
	}
	w, _, err := s.Weights(ctx, practice, on)
	if err != nil {
		return p, err
	}
	all, _, err := s.AllBands(ctx, p.Extract)
	if err != nil {
		return p, err
	}
	p.Weighted, p.HasWeighted = population.WeightedList(pp.Bands, w, all)
	return p, nil
}

// ListSizesInMonth returns every practice's list from the extract dated in
// the month of month (extracts are dated the first of the month): the
// denominator of "per 1,000 registered patients" measures.
func (s *Store) ListSizesInMonth(ctx context.Context, month time.Time) (map[string]int, error) {
	return s.reader().listSizesInMonth(ctx, month)
}

func (c conn) listSizesInMonth(ctx context.Context, month time.Time) (map[string]int, error) {
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	rows, err := c.query(ctx, `SELECT practice_code, patients FROM list_sizes WHERE extract_date >= ? AND extract_date < ?`,
		dateArg(first), dateArg(first.AddDate(0, 1, 0)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		out[code] = n
	}
	return out, rows.Err()
}

// sumExtract writes an extract's totals by sex and band, and its count of
// practices, afresh from its practices' bands.
func (c conn) sumExtract(ctx context.Context, extract time.Time) error {
	d := dateArg(extract)
	for _, q := range []string{
		"DELETE FROM extract_bands WHERE extract_date = ?",
		"DELETE FROM extract_practices WHERE extract_date = ?",
		`INSERT INTO extract_bands (extract_date, sex, band, patients)
			SELECT extract_date, sex, band, SUM(patients) FROM population_bands WHERE extract_date = ? GROUP BY extract_date, sex, band`,
		`INSERT INTO extract_practices (extract_date, practices)
			SELECT extract_date, COUNT(DISTINCT practice_code) FROM population_bands WHERE extract_date = ? GROUP BY extract_date`,
	} {
		if _, err := c.exec(ctx, q, d); err != nil {
			return err
		}
	}
	return nil
}
