package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

const orgColumns = `o.code, o.kind, o.name, o.parent_code, o.address, o.postcode, o.status, o.open_date,
	o.close_date, o.phone, o.prescribing_setting, o.list_size, o.list_size_date`

func scanOrg(sc interface{ Scan(...any) error }) (orgs.Org, error) {
	var o orgs.Org
	var parent sql.NullString
	var address string
	var setting, list sql.NullInt64
	err := sc.Scan(&o.Code, &o.Kind, &o.Name, &parent, &address, &o.Postcode, &o.Status,
		nullTime{&o.OpenDate}, nullTime{&o.CloseDate}, &o.Phone, &setting, &list, nullTime{&o.ListSizeDate})
	o.ParentCode = parent.String
	if address != "" {
		o.Address = strings.Split(address, "\n")
	}
	o.Setting, o.ListSize = int(setting.Int64), int(list.Int64)
	return o, err
}

func (c conn) orgList(ctx context.Context, query string, args ...any) ([]orgs.Org, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgs.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Org returns one organisation.
func (s *Store) Org(ctx context.Context, code string) (orgs.Org, error) {
	o, err := scanOrg(s.reader().queryRow(ctx, "SELECT "+orgColumns+" FROM orgs o WHERE o.code = ?", code))
	return o, notFound(err, "There is no organisation with the code %s", code)
}

// edges is every parent→child link on a day: the ODS parent of each
// organisation, and each PCN's member practices. It takes the day twice.
const edges = `edges(parent, child) AS (
	SELECT parent_code, code FROM orgs WHERE parent_code IS NOT NULL
	UNION ALL
	SELECT pcn_code, practice_code FROM pcn_memberships
	 WHERE start_date <= ? AND (end_date IS NULL OR end_date >= ?))`

// Ancestry returns code followed by every organisation above it on day on:
// its Place, ICB and region, and for a practice its PCN then (and that PCN's
// Place). This is the chain people.Authorize checks grants against, asked on
// every request, so it walks up by indexed look-ups rather than a recursive
// query over every organisation. An unknown code gives NotFound.
func (s *Store) Ancestry(ctx context.Context, code string, on time.Time) ([]string, error) {
	c := s.reader()
	d := dateArg(on)
	chain := []string{}
	seen := map[string]bool{}
	queue := []string{code}
	for len(queue) > 0 && len(chain) < 50 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] {
			continue
		}
		var parent sql.NullString
		var kind string
		err := c.queryRow(ctx, "SELECT parent_code, kind FROM orgs WHERE code = ?", cur).Scan(&parent, &kind)
		if err == sql.ErrNoRows {
			if cur == code {
				return nil, problem.New(problem.NotFound, "There is no organisation with the code %s", code)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		seen[cur] = true
		chain = append(chain, cur)
		if parent.Valid {
			queue = append(queue, parent.String)
		}
		if kind == string(orgs.Practice) {
			rows, err := c.query(ctx, `SELECT pcn_code FROM pcn_memberships WHERE practice_code = ? AND start_date <= ?
				AND (end_date IS NULL OR end_date >= ?)`, cur, d, d)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var pcn string
				if err := rows.Scan(&pcn); err != nil {
					rows.Close()
					return nil, err
				}
				queue = append(queue, pcn)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return chain, nil
}

// scopeCTE defines scope(code): every organisation at or below roots on day
// on. SQLite works a recursive query one row at a time, so there each step
// is two indexed look-ups (children by parent, members by PCN) rather than a
// scan of every edge: for a national scope that is the difference between a
// page in milliseconds and one in half a second. PostgreSQL works a level at
// a time with a hash join, and takes the edges as one relation.
func (d Dialect) scopeCTE(roots []string, on time.Time) (string, []any) {
	in, args := inClause(roots)
	day := dateArg(on)
	if d == SQLite {
		return `WITH RECURSIVE scope(code) AS (SELECT code FROM orgs WHERE code IN ` + in + `
			UNION SELECT o.code FROM orgs o JOIN scope s ON o.parent_code = s.code
			UNION SELECT m.practice_code FROM pcn_memberships m JOIN scope s ON m.pcn_code = s.code
			 WHERE m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?))`,
			append(args, day, day)
	}
	return `WITH RECURSIVE ` + edges + `,
		scope(code) AS (SELECT code FROM orgs WHERE code IN ` + in + `
			UNION SELECT e.child FROM edges e JOIN scope s ON e.parent = s.code)`,
		append([]any{day, day}, args...)
}

// OrgQuery filters a search of organisations.
type OrgQuery struct {
	Roots  []string  // only at or below these (a user's grants)
	On     time.Time // the day memberships are taken on
	Text   string    // matches code or name, any case
	Kind   orgs.Kind // "" for all
	Limit  int
	Offset int
}

// SearchOrgs returns one page of the organisations in scope matching q, by
// name, and how many match in all.
func (s *Store) SearchOrgs(ctx context.Context, q OrgQuery) ([]orgs.Org, int, error) {
	c := s.reader()
	cte, args := s.dialect.scopeCTE(q.Roots, q.On)
	where := " WHERE o.code IN (SELECT code FROM scope)"
	if q.Text != "" {
		where += " AND (LOWER(o.name) LIKE ? ESCAPE '\\' OR LOWER(o.code) LIKE ? ESCAPE '\\' OR LOWER(o.postcode) LIKE ? ESCAPE '\\')"
		like := "%" + escapeLike(strings.ToLower(strings.TrimSpace(q.Text))) + "%"
		args = append(args, like, like, like)
	}
	if q.Kind != "" {
		where += " AND o.kind = ?"
		args = append(args, string(q.Kind))
	}
	var total int
	if err := c.queryRow(ctx, cte+" SELECT COUNT(*) FROM orgs o"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	list, err := c.orgList(ctx, cte+" SELECT "+orgColumns+" FROM orgs o"+where+
		" ORDER BY o.name, o.code LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset)...)
	return list, total, err
}

// Child is an organisation directly below another, with the number of
// practices under it and their total list size (where known) on the day asked.
type Child struct {
	orgs.Org
	Practices int `json:"practices"`
	ListTotal int `json:"list_total"`
}

// Children returns the organisations directly below code on day on: a
// region's ICBs, an ICB's Places, a Place's PCNs then its practices in no PCN,
// a PCN's member practices.
func (s *Store) Children(ctx context.Context, o orgs.Org, on time.Time) ([]Child, error) {
	c := s.reader()
	d := dateArg(on)
	var list []orgs.Org
	var err error
	switch o.Kind {
	case orgs.PCN:
		list, err = c.orgList(ctx, `SELECT `+orgColumns+` FROM orgs o JOIN pcn_memberships m ON m.practice_code = o.code
			WHERE m.pcn_code = ? AND m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?)
			ORDER BY o.name`, o.Code, d, d)
	case orgs.Place:
		list, err = c.orgList(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_code = ?
			AND (o.kind = 'pcn' OR NOT EXISTS (SELECT 1 FROM pcn_memberships m WHERE m.practice_code = o.code
				AND m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?)))
			ORDER BY CASE o.kind WHEN 'pcn' THEN 0 ELSE 1 END, o.name`, o.Code, d, d)
	default:
		list, err = c.orgList(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.parent_code = ? ORDER BY o.name`, o.Code)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Child, len(list))
	for i, ch := range list {
		out[i].Org = ch
		if ch.Kind == orgs.Practice {
			out[i].Practices, out[i].ListTotal = 1, ch.ListSize
			continue
		}
		out[i].Practices, out[i].ListTotal, err = s.practiceTotals(ctx, ch.Code, on)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// practiceTotals counts the practices at or below code open on day on
// (orgs.Org.Open decides) and adds up their list sizes.
func (s *Store) practiceTotals(ctx context.Context, code string, on time.Time) (int, int, error) {
	cte, args := s.dialect.scopeCTE([]string{code}, on)
	list, err := s.reader().orgList(ctx, cte+" SELECT "+orgColumns+" FROM orgs o WHERE o.kind = 'practice' AND o.code IN (SELECT code FROM scope)", args...)
	if err != nil {
		return 0, 0, err
	}
	n, total := 0, 0
	for _, o := range list {
		if o.Open(on) {
			n, total = n+1, total+o.ListSize
		}
	}
	return n, total, nil
}

// Memberships returns every PCN spell of a practice, newest first, with the
// PCNs' names.
func (s *Store) Memberships(ctx context.Context, practice string) ([]orgs.Membership, error) {
	return s.reader().memberships(ctx, practice)
}

func (c conn) memberships(ctx context.Context, practice string) ([]orgs.Membership, error) {
	rows, err := c.query(ctx, `SELECT m.practice_code, p.name, m.pcn_code, n.name, m.start_date, m.end_date
		FROM pcn_memberships m JOIN orgs p ON p.code = m.practice_code JOIN orgs n ON n.code = m.pcn_code
		WHERE m.practice_code = ? ORDER BY m.start_date DESC`, practice)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgs.Membership
	for rows.Next() {
		var m orgs.Membership
		if err := rows.Scan(&m.PracticeCode, &m.PracticeName, &m.PCNCode, &m.PCNName,
			nullTime{&m.Start}, nullTime{&m.End}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Scope returns the codes of every organisation at or below roots on day on.
func (s *Store) Scope(ctx context.Context, roots []string, on time.Time) (map[string]bool, error) {
	cte, args := s.dialect.scopeCTE(roots, on)
	rows, err := s.reader().query(ctx, cte+" SELECT code FROM scope", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// upsertOrg inserts or updates o and audits the change; it reports whether
// anything changed. before is the stored row, or nil.
func (c conn) upsertOrg(ctx context.Context, actor, action string, before *orgs.Org, o orgs.Org) (bool, error) {
	if before != nil && orgEqual(*before, o) {
		return false, nil
	}
	if before != nil && before.Kind != o.Kind {
		return false, problem.New(problem.Conflict, "%s is already known as a %s, not a %s",
			o.Code, before.Kind.Label(), o.Kind.Label())
	}
	c.referenceChanged()
	_, err := c.exec(ctx, `INSERT INTO orgs (`+orgInsertColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name,
		parent_code = excluded.parent_code, address = excluded.address, postcode = excluded.postcode,
		status = excluded.status, open_date = excluded.open_date, close_date = excluded.close_date,
		phone = excluded.phone, prescribing_setting = excluded.prescribing_setting,
		list_size = excluded.list_size, list_size_date = excluded.list_size_date, updated_at = excluded.updated_at`,
		c.orgArgs(o)...)
	if err != nil {
		return false, fmt.Errorf("save organisation %s: %w", o.Code, err)
	}
	var b any
	if before != nil {
		b = *before
	}
	return true, c.appendAudit(ctx, actor, action, "org", o.Code, b, o)
}

const orgInsertColumns = `code, kind, name, parent_code, address, postcode, status, open_date,
		close_date, phone, prescribing_setting, list_size, list_size_date, updated_at`

// orgArgs are o's values for orgInsertColumns.
func (c conn) orgArgs(o orgs.Org) []any {
	var setting, list, parent any
	if o.Setting != 0 {
		setting = o.Setting
	}
	if o.ListSize != 0 {
		list = o.ListSize
	}
	if o.ParentCode != "" {
		parent = o.ParentCode
	}
	return []any{o.Code, string(o.Kind), o.Name, parent, strings.Join(o.Address, "\n"), o.Postcode, o.Status,
		dateArg(o.OpenDate), dateArg(o.CloseDate), o.Phone, setting, list, dateArg(o.ListSizeDate), c.tsArg(c.now)}
}

func orgEqual(a, b orgs.Org) bool {
	return a.Code == b.Code && a.Kind == b.Kind && a.Name == b.Name && a.ParentCode == b.ParentCode &&
		strings.Join(a.Address, "\n") == strings.Join(b.Address, "\n") && a.Postcode == b.Postcode &&
		a.Status == b.Status && a.OpenDate.Equal(b.OpenDate) && a.CloseDate.Equal(b.CloseDate) &&
		a.Phone == b.Phone && a.Setting == b.Setting && a.ListSize == b.ListSize && a.ListSizeDate.Equal(b.ListSizeDate)
}

// allOrgs loads every organisation keyed by code, so that an import compares
// in memory instead of querying row by row.
func (c conn) allOrgs(ctx context.Context) (map[string]orgs.Org, error) {
	list, err := c.orgList(ctx, "SELECT "+orgColumns+" FROM orgs o")
	if err != nil {
		return nil, err
	}
	m := make(map[string]orgs.Org, len(list))
	for _, o := range list {
		m[o.Code] = o
	}
	return m, nil
}

// SaveOrgs inserts or updates organisations (parents before children) in one
// transaction, auditing each change; for the demo and for tests.
func (s *Store) SaveOrgs(ctx context.Context, actor string, list ...orgs.Org) error {
	return s.tx(ctx, func(c conn) error {
		known, err := c.allOrgs(ctx)
		if err != nil {
			return err
		}
		for _, o := range list {
			var before *orgs.Org
			if b, ok := known[o.Code]; ok {
				before = &b
			}
			if _, err := c.upsertOrg(ctx, actor, "org.save", before, o); err != nil {
				return err
			}
			known[o.Code] = o
		}
		return nil
	})
}

// SaveMemberships records practice–PCN spells in one transaction.
func (s *Store) SaveMemberships(ctx context.Context, actor string, ms ...orgs.Membership) error {
	return s.tx(ctx, func(c conn) error {
		for _, m := range ms {
			if _, err := c.upsertMembership(ctx, actor, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// upsertMembership saves one spell, keyed by practice, PCN and start; it
// reports whether anything changed.
func (c conn) upsertMembership(ctx context.Context, actor string, m orgs.Membership) (bool, error) {
	var before orgs.Membership
	err := c.queryRow(ctx, `SELECT practice_code, pcn_code, start_date, end_date FROM pcn_memberships
		WHERE practice_code = ? AND pcn_code = ? AND start_date = ?`, m.PracticeCode, m.PCNCode, dateArg(m.Start)).
		Scan(&before.PracticeCode, &before.PCNCode, nullTime{&before.Start}, nullTime{&before.End})
	switch {
	case err == sql.ErrNoRows:
		c.referenceChanged()
		if _, err := c.exec(ctx, `INSERT INTO pcn_memberships (practice_code, pcn_code, start_date, end_date)
			VALUES (?, ?, ?, ?)`, m.PracticeCode, m.PCNCode, dateArg(m.Start), dateArg(m.End)); err != nil {
			return false, fmt.Errorf("save membership of %s in %s: %w", m.PracticeCode, m.PCNCode, err)
		}
		return true, c.appendAudit(ctx, actor, "membership.add", "membership",
			m.PracticeCode+"/"+m.PCNCode+"/"+m.Start.Format(time.DateOnly), nil, stripNames(m))
	case err != nil:
		return false, err
	case before.End.Equal(m.End):
		return false, nil
	}
	c.referenceChanged()
	if _, err := c.exec(ctx, `UPDATE pcn_memberships SET end_date = ? WHERE practice_code = ? AND pcn_code = ?
		AND start_date = ?`, dateArg(m.End), m.PracticeCode, m.PCNCode, dateArg(m.Start)); err != nil {
		return false, err
	}
	return true, c.appendAudit(ctx, actor, "membership.update", "membership",
		m.PracticeCode+"/"+m.PCNCode+"/"+m.Start.Format(time.DateOnly), before, stripNames(m))
}

func stripNames(m orgs.Membership) orgs.Membership {
	m.PracticeName, m.PCNName = "", ""
	return m
}

// OrgNames returns the names of the organisations with the given codes, in
// one query a thousand codes (pages that list many practices would
// otherwise ask once for each).
func (s *Store) OrgNames(ctx context.Context, codes []string) (map[string]string, error) {
	out := make(map[string]string, len(codes))
	for start := 0; start < len(codes); start += 1000 {
		in, args := inClause(codes[start:min(start+1000, len(codes))])
		rows, err := s.reader().query(ctx, "SELECT code, name FROM orgs WHERE code IN "+in, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var code, name string
			if err := rows.Scan(&code, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[code] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OrgsByCode returns the organisations with these codes, by name.
func (s *Store) OrgsByCode(ctx context.Context, codes []string) ([]orgs.Org, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	in, args := inClause(codes)
	return s.reader().orgList(ctx, "SELECT "+orgColumns+" FROM orgs o WHERE o.code IN "+in+" ORDER BY o.name, o.code", args...)
}

// Orphans lists the organisations that sit under no one (a registered-
// patients file with no sub-ICB column makes practices so, and a totals
// file Places with no ICB): no Place or ICB role reaches them until an
// administrator places them, or an ODS file does.
func (s *Store) Orphans(ctx context.Context) ([]orgs.Org, error) {
	return s.reader().orgList(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.kind <> 'region' AND (o.parent_code IS NULL OR o.parent_code = '')
		ORDER BY o.kind, o.code LIMIT 1000`)
}

// PlaceOrg puts an organisation under a parent of the right kind (a
// practice or PCN under a Place, a Place under an ICB, an ICB under a region).
func (s *Store) PlaceOrg(ctx context.Context, actor, code, parent string) error {
	return s.tx(ctx, func(c conn) error {
		known, err := c.allOrgs(ctx)
		if err != nil {
			return err
		}
		o, ok := known[strings.ToUpper(code)]
		if !ok || o.ParentCode != "" || o.Kind == orgs.Region { // the rest are placed by ODS's files
			return problem.New(problem.NotFound, "No organisation with the code %s sits under no one", code)
		}
		p, ok := known[strings.ToUpper(strings.TrimSpace(parent))]
		want := o.Kind.ParentKind()
		switch {
		case !ok:
			return problem.BadField("parent", "There is no organisation with the code %q", parent)
		case p.Kind != want:
			return problem.BadField("parent", "%s is %s: put it under %s, not %s", o.Code, o.Kind.ALabel(), want.ALabel(), p.Kind.ALabel())
		}
		before := o
		o.ParentCode = p.Code
		if _, err := c.exec(ctx, "UPDATE orgs SET parent_code = ? WHERE code = ?", p.Code, o.Code); err != nil {
			return err
		}
		c.referenceChanged()
		return c.appendAudit(ctx, actor, "org.place", "org", o.Code, before, o)
	})
}
