package store

import (
	"context"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// MustDoCatalogue returns the catalogue in force, seeding it from the
// binary's on a database that has none.
func (s *Store) MustDoCatalogue(ctx context.Context) ([]mustdo.Obligation, error) {
	cs, err := s.reader().mustDoCatalogue(ctx)
	if err != nil || len(cs) > 0 {
		return cs, err
	}
	err = s.tx(ctx, func(c conn) error {
		for _, o := range mustdo.Shipped() {
			if err := c.insertObligation(ctx, o, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().mustDoCatalogue(ctx)
}

func (c conn) mustDoCatalogue(ctx context.Context) ([]mustdo.Obligation, error) {
	rows, err := c.query(ctx, `SELECT code, title, guidance, owner, recurrence, month, day, open_month, open_day, nth_working_day, one_off_date,
		evidence, source, checked, withdrawn_at IS NOT NULL FROM mustdo_catalogue ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mustdo.Obligation
	for rows.Next() {
		var o mustdo.Obligation
		if err := rows.Scan(&o.Code, &o.Title, &o.Guidance, &o.Owner, &o.Recurrence, &o.Month, &o.Day, &o.OpenMonth, &o.OpenDay, &o.Nth, &o.Date,
			&o.Evidence, &o.Source, &o.Checked, &o.Withdrawn); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (c conn) insertObligation(ctx context.Context, o mustdo.Obligation, seeding bool) error {
	if err := c.mustDosChanged(ctx); err != nil {
		return err
	}
	conflict := ""
	if seeding { // several servers may seed at once: the first wins
		conflict = " ON CONFLICT (code) DO NOTHING"
	}
	_, err := c.exec(ctx, `INSERT INTO mustdo_catalogue (code, title, guidance, owner, recurrence, month, day, open_month, open_day, nth_working_day,
		one_off_date, evidence, source, checked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+conflict,
		o.Code, o.Title, o.Guidance, string(o.Owner), string(o.Recurrence), o.Month, o.Day, o.OpenMonth, o.OpenDay, o.Nth, o.Date, boolInt(o.Evidence), o.Source, o.Checked)
	return err
}

// ImportMustDoCatalogue replaces the catalogue with os (checked by
// mustdo.ParseCatalogue), whole.
func (s *Store) ImportMustDoCatalogue(ctx context.Context, actor string, os []mustdo.Obligation) error {
	if _, err := s.MustDoCatalogue(ctx); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "DELETE FROM mustdo_catalogue"); err != nil {
			return err
		}
		for _, o := range os {
			if err := c.insertObligation(ctx, o, false); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, actor, "mustdo.catalogue", "mustdo_catalogue", "", nil, map[string]int{"obligations": len(os)})
	})
}

// AddOneOff adds a one-off obligation (a contract change) to the catalogue.
func (s *Store) AddOneOff(ctx context.Context, actor string, o mustdo.Obligation) error {
	if _, err := s.MustDoCatalogue(ctx); err != nil {
		return err
	}
	return s.tx(ctx, func(c conn) error {
		if err := c.insertObligation(ctx, o, false); err != nil {
			if problem.KindOf(mapError(err)) == problem.Conflict {
				return problem.OnField(problem.Conflict, "code", "There is an obligation "+o.Code+" already: choose another code")
			}
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.add", "mustdo_catalogue", o.Code, nil, o)
	})
}

// MustDoDates returns the years' own dates, by obligation and year.
func (s *Store) MustDoDates(ctx context.Context) (map[string]map[int]mustdo.Dates, error) {
	rows, err := s.reader().query(ctx, "SELECT code, year, opens, due, sequence FROM mustdo_dates")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[int]mustdo.Dates{}
	for rows.Next() {
		var code string
		var year int
		var d mustdo.Dates
		if err := rows.Scan(&code, &year, nullTime{&d.Opens}, nullTime{&d.Due}, &d.Sequence); err != nil {
			return nil, err
		}
		if out[code] == nil {
			out[code] = map[int]mustdo.Dates{}
		}
		out[code][year] = d
	}
	return out, rows.Err()
}

// SetMustDoDates sets an obligation's own dates for a year.
func (s *Store) SetMustDoDates(ctx context.Context, actor, code string, year int, d mustdo.Dates) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO mustdo_dates (code, year, opens, due, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (code, year) DO UPDATE SET opens = excluded.opens, due = excluded.due, sequence = mustdo_dates.sequence + 1,
			set_by = excluded.set_by, set_at = excluded.set_at`, code, year, dateArg(d.Opens), dateArg(d.Due), actor, c.tsArg(c.now))
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.dates", "mustdo_catalogue", code, nil, map[string]any{"year": year, "opens": d.Opens, "due": d.Due})
	})
}

// MustDoStates returns what has happened to the items of the organisations.
func (s *Store) MustDoStates(ctx context.Context, orgCodes []string) (map[mustdo.Key]mustdo.State, error) {
	out := map[mustdo.Key]mustdo.State{}
	if len(orgCodes) == 0 {
		return out, nil
	}
	in, args := inClause(orgCodes)
	rows, err := s.reader().query(ctx, `SELECT code, org_code, person, period, done, done_by, done_at, note, link, assignee, deputy
		FROM mustdo_states WHERE org_code IN `+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k mustdo.Key
		var st mustdo.State
		if err := rows.Scan(&k.Code, &k.Org, &k.Person, nullTime{&k.Period}, &st.Done, &st.DoneBy, nullTime{&st.DoneAt}, &st.Note, &st.Link, &st.Assignee, &st.Deputy); err != nil {
			return nil, err
		}
		out[k] = st
	}
	return out, rows.Err()
}

// EvidenceFile is a file given as evidence that an item was done.
type EvidenceFile struct {
	Name, ContentType string
	Data              []byte
}

// CompleteMustDo marks an item done with its evidence (a note, a link, a
// file), all at once.
func (s *Store) CompleteMustDo(ctx context.Context, actor string, k mustdo.Key, note, link string, file *EvidenceFile) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		if file != nil {
			if _, err := c.exec(ctx, `INSERT INTO mustdo_files (code, org_code, person, period, name, content_type, data) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (code, org_code, person, period) DO UPDATE SET name = excluded.name, content_type = excluded.content_type, data = excluded.data`,
				k.Code, k.Org, k.Person, dateArg(k.Period), file.Name, file.ContentType, file.Data); err != nil {
				return err
			}
		}
		_, err := c.exec(ctx, `INSERT INTO mustdo_states (code, org_code, person, period, done, done_by, done_at, note, link) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
			ON CONFLICT (code, org_code, person, period) DO UPDATE SET done = 1, done_by = excluded.done_by, done_at = excluded.done_at,
			note = excluded.note, link = excluded.link`, k.Code, k.Org, k.Person, dateArg(k.Period), actor, c.tsArg(c.now), note, link)
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.done", "mustdo_item", k.Org+"/"+k.Code+"/"+k.Period.Format(time.DateOnly), nil, map[string]string{"note": note, "link": link})
	})
}

// AssignMustDo gives an item to a person, with a deputy.
func (s *Store) AssignMustDo(ctx context.Context, actor string, k mustdo.Key, assignee, deputy string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO mustdo_states (code, org_code, person, period, assignee, deputy) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (code, org_code, person, period) DO UPDATE SET assignee = excluded.assignee, deputy = excluded.deputy`,
			k.Code, k.Org, k.Person, dateArg(k.Period), assignee, deputy)
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.assign", "mustdo_item", k.Org+"/"+k.Code+"/"+k.Period.Format(time.DateOnly), nil, map[string]string{"assignee": assignee, "deputy": deputy})
	})
}

// MustDoOrgs returns the organisations named, with the GPs at each (for
// personal items), as mustdo needs them.
func (s *Store) MustDoOrgs(ctx context.Context, codes []string) ([]mustdo.Org, error) {
	list, err := s.OrgsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	gps := map[string][]string{}
	if len(codes) > 0 {
		in, args := inClause(codes)
		rows, err := s.reader().query(ctx, "SELECT g.org_code, u.email FROM grants g JOIN users u ON u.id = g.user_id WHERE g.role = ? AND g.org_code IN "+in+" ORDER BY u.email",
			append([]any{string(people.GP)}, args...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var org, email string
			if err := rows.Scan(&org, &email); err != nil {
				rows.Close()
				return nil, err
			}
			gps[org] = append(gps[org], email)
		}
		rows.Close()
	}
	var out []mustdo.Org
	for _, o := range list {
		if o.Status == orgs.StatusClosed {
			continue
		}
		out = append(out, mustdo.Org{Code: o.Code, Name: o.Name, Kind: o.Kind, GPs: gps[o.Code]})
	}
	return out, nil
}

// WithdrawMustDo withdraws an obligation: no longer owed; calendars that
// have its items are told they are cancelled.
func (s *Store) WithdrawMustDo(ctx context.Context, actor, code string) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		res, err := c.exec(ctx, "UPDATE mustdo_catalogue SET withdrawn_at = ? WHERE code = ? AND withdrawn_at IS NULL", c.tsArg(c.now), code)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "There is no obligation %s in force", code)
		}
		return c.appendAudit(ctx, actor, "mustdo.withdraw", "mustdo_catalogue", code, nil, nil)
	})
}

// CreateFeed makes a person a new private calendar address, revoking any
// earlier one, and returns its token (kept only hashed).
func (s *Store) CreateFeed(ctx context.Context, userID int64, actor string) (string, error) {
	token := randomToken()
	err := s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "UPDATE mustdo_feeds SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", c.tsArg(c.now), userID); err != nil {
			return err
		}
		if _, err := c.exec(ctx, "INSERT INTO mustdo_feeds (token_hash, user_id, created_at) VALUES (?, ?, ?)", hashToken(token), userID, c.tsArg(c.now)); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.feed", "user", actor, nil, nil)
	})
	return token, err
}

// RevokeFeeds ends a person's calendar addresses.
func (s *Store) RevokeFeeds(ctx context.Context, userID int64, actor string) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "UPDATE mustdo_feeds SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", c.tsArg(c.now), userID); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "mustdo.feed.revoke", "user", actor, nil, nil)
	})
}

// HasFeed reports whether a person has a calendar address in force.
func (s *Store) HasFeed(ctx context.Context, userID int64) (bool, error) {
	var n int
	err := s.reader().queryRow(ctx, "SELECT COUNT(*) FROM mustdo_feeds WHERE user_id = ? AND revoked_at IS NULL", userID).Scan(&n)
	return n > 0, err
}

// FeedUserID is the id of the person whose calendar address token is;
// NotFound, saying nothing more, for an unknown or revoked token. It is
// all a feed kept from before needs.
func (s *Store) FeedUserID(ctx context.Context, token string) (int64, error) {
	var id int64
	err := s.reader().queryRow(ctx, "SELECT user_id FROM mustdo_feeds WHERE token_hash = ? AND revoked_at IS NULL", hashToken(token)).Scan(&id)
	return id, notFound(err, "There is no such calendar")
}

// AllMustDoOrgs is every open organisation that may owe obligations, with
// its GPs: what a reminder run covers.
func (s *Store) AllMustDoOrgs(ctx context.Context) ([]mustdo.Org, error) {
	rows, err := s.reader().query(ctx, "SELECT code FROM orgs WHERE kind IN ('practice', 'pcn', 'subicb', 'icb')")
	if err != nil {
		return nil, err
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		codes = append(codes, c)
	}
	rows.Close()
	return s.MustDoOrgs(ctx, codes)
}

// ReminderRecipients says, for every organisation, who keeps its
// obligations (holds a role there that does them) and, for a practice, who
// manages its PCN today.
func (s *Store) ReminderRecipients(ctx context.Context, today time.Time) (map[string]mustdo.Recipients, error) {
	out := map[string]mustdo.Recipients{}
	var roles []any
	for _, r := range people.Roles {
		if r.Allows(people.DoMustDos) {
			roles = append(roles, string(r))
		}
	}
	in, _ := inClause(roles)
	rows, err := s.reader().query(ctx, "SELECT g.org_code, g.role, u.email FROM grants g JOIN users u ON u.id = g.user_id WHERE g.role IN "+in+" ORDER BY u.email", roles...)
	if err != nil {
		return nil, err
	}
	managers := map[string][]string{}
	for rows.Next() {
		var org, role, email string
		if err := rows.Scan(&org, &role, &email); err != nil {
			rows.Close()
			return nil, err
		}
		r := out[org]
		r.Keepers = append(r.Keepers, email)
		out[org] = r
		if people.Role(role) == people.PCNManager {
			managers[org] = append(managers[org], email)
		}
	}
	rows.Close()
	ms, err := s.reader().query(ctx, "SELECT practice_code, pcn_code FROM pcn_memberships WHERE start_date <= ? AND (end_date IS NULL OR end_date >= ?)", dateArg(today), dateArg(today))
	if err != nil {
		return nil, err
	}
	defer ms.Close()
	for ms.Next() {
		var practice, pcn string
		if err := ms.Scan(&practice, &pcn); err != nil {
			return nil, err
		}
		r := out[practice]
		r.PCNManagers = append(r.PCNManagers, managers[pcn]...)
		out[practice] = r
	}
	return out, ms.Err()
}

// AllMustDoStates is what has happened to every item.
func (s *Store) AllMustDoStates(ctx context.Context) (map[mustdo.Key]mustdo.State, error) {
	rows, err := s.reader().query(ctx, "SELECT DISTINCT org_code FROM mustdo_states")
	if err != nil {
		return nil, err
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		codes = append(codes, c)
	}
	rows.Close()
	return s.MustDoStates(ctx, codes)
}

// SeedMustDoStates records many items' states in one transaction: for the
// demo's history.
func (s *Store) SeedMustDoStates(ctx context.Context, actor string, states map[mustdo.Key]mustdo.State) error {
	return s.tx(ctx, func(c conn) error {
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		for k, st := range states {
			if _, err := c.exec(ctx, `INSERT INTO mustdo_states (code, org_code, person, period, done, done_by, done_at, note, link, assignee, deputy)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, org_code, person, period) DO NOTHING`,
				k.Code, k.Org, k.Person, dateArg(k.Period), boolInt(st.Done), st.DoneBy, c.tsArg(st.DoneAt), st.Note, st.Link, st.Assignee, st.Deputy); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, actor, "mustdo.seed", "mustdo_item", "", nil, map[string]int{"items": len(states)})
	})
}

// SignedUp lists, for each of the organisations, the services it has
// accepted: whose claims it then owes by their deadlines.
func (s *Store) SignedUp(ctx context.Context, orgCodes []string) (map[string][]claims.Service, error) {
	out := map[string][]claims.Service{}
	if len(orgCodes) == 0 {
		return out, nil
	}
	all, err := s.allServices(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]claims.Service{}
	for _, sv := range all {
		byID[sv.ID] = sv
	}
	in, args := inClause(orgCodes)
	rows, err := s.reader().query(ctx, "SELECT service_id, org_code FROM offers WHERE status = 'accepted' AND org_code IN "+in+" ORDER BY org_code, service_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var org string
		if err := rows.Scan(&id, &org); err != nil {
			return nil, err
		}
		if sv, ok := byID[id]; ok {
			out[org] = append(out[org], sv)
		}
	}
	return out, rows.Err()
}

// ClaimStates are, as must-do states, the claims the organisations have
// submitted: a claim made is its must-do done.
func (s *Store) ClaimStates(ctx context.Context, orgCodes []string) (map[mustdo.Key]mustdo.State, error) {
	out := map[mustdo.Key]mustdo.State{}
	if len(orgCodes) == 0 {
		return out, nil
	}
	in, args := inClause(orgCodes)
	rows, err := s.reader().query(ctx, `SELECT sv.code, c.org_code, c.period_start, c.submitted_at FROM claims c JOIN services sv ON sv.id = c.service_id
		WHERE c.status <> 'draft' AND c.org_code IN `+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, org string
		var period, at time.Time
		if err := rows.Scan(&code, &org, nullTime{&period}, nullTime{&at}); err != nil {
			return nil, err
		}
		out[mustdo.Key{Code: mustdo.ClaimPrefix + code, Org: org, Period: period}] = mustdo.State{Done: true, DoneBy: "the claim", DoneAt: at, Note: "Claim submitted"}
	}
	return out, rows.Err()
}

// MustDoFile returns an item's evidence file.
func (s *Store) MustDoFile(ctx context.Context, k mustdo.Key) (EvidenceFile, error) {
	var f EvidenceFile
	err := s.reader().queryRow(ctx, "SELECT name, content_type, data FROM mustdo_files WHERE code = ? AND org_code = ? AND person = ? AND period = ?",
		k.Code, k.Org, k.Person, dateArg(k.Period)).Scan(&f.Name, &f.ContentType, &f.Data)
	return f, notFound(err, "This item has no evidence file")
}
