package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

const serviceColumns = `sv.id, sv.code, sv.year, sv.name, sv.spec, sv.commissioner_org, sv.frequency, sv.deadline_days,
	sv.eligibility, sv.sign_up, sv.needs_declaration, sv.needs_approval, sv.needs_finance, sv.fields_json, sv.rule_json,
	(SELECT f.name FROM service_files f WHERE f.service_id = sv.id), sv.starts_on, sv.ends_on, sv.same_finance, sv.status,
	sv.withdrawn_on, sv.withdrawn_reason, sv.created_at`

func scanService(sc interface{ Scan(...any) error }) (claims.Service, error) {
	var s claims.Service
	var signUp, decl, appr, fin, same int
	var fieldsJSON, ruleJSON, status string
	var file sql.NullString
	err := sc.Scan(&s.ID, &s.Code, &s.Year, &s.Name, &s.Spec, &s.Commissioner, &s.Frequency, &s.DeadlineDays,
		&s.Eligibility, &signUp, &decl, &appr, &fin, &fieldsJSON, &ruleJSON, &file, nullTime{&s.Starts}, nullTime{&s.Ends}, &same, &status,
		nullTime{&s.Withdrawn}, &s.WithdrawnReason, nullTime{&s.Created})
	if err != nil {
		return s, err
	}
	s.SignUp, s.NeedsDeclaration, s.NeedsApproval, s.NeedsFinance, s.SameFinance = signUp == 1, decl == 1, appr == 1, fin == 1, same == 1
	s.SpecFile = file.String
	s.Draft = status == "draft"
	if err := json.Unmarshal([]byte(fieldsJSON), &s.Fields); err != nil {
		return s, fmt.Errorf("service %s fields: %w", s.Code, err)
	}
	if err := json.Unmarshal([]byte(ruleJSON), &s.Rule); err != nil {
		return s, fmt.Errorf("service %s rule: %w", s.Code, err)
	}
	return s, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateService adds a service to the catalogue after checking it.
func (s *Store) CreateService(ctx context.Context, actor string, sv claims.Service) (claims.Service, error) {
	if err := sv.Validate(); err != nil {
		return sv, err
	}
	err := s.tx(ctx, func(c conn) error {
		if err := c.checkServiceOrgs(ctx, sv); err != nil {
			return err
		}
		fields, _ := json.Marshal(sv.Fields)
		rule, _ := json.Marshal(sv.Rule)
		err := c.queryRow(ctx, `INSERT INTO services (code, year, name, spec, commissioner_org, frequency, deadline_days,
			eligibility, sign_up, needs_declaration, needs_approval, needs_finance, fields_json, rule_json, created_at, starts_on, ends_on, same_finance, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			sv.Code, sv.Year, sv.Name, sv.Spec, sv.Commissioner, string(sv.Frequency), sv.DeadlineDays, string(sv.Eligibility),
			b2i(sv.SignUp), b2i(sv.NeedsDeclaration), b2i(sv.NeedsApproval), b2i(sv.NeedsFinance), string(fields), string(rule),
			c.tsArg(c.now), dateArg(sv.Starts), dateArg(sv.Ends), b2i(sv.SameFinance), map[bool]string{true: "draft", false: "live"}[sv.Draft]).Scan(&sv.ID)
		if err != nil {
			if problem.KindOf(mapError(err)) == problem.Conflict {
				msg := fmt.Sprintf("There is already a service %s in %s", sv.Code, claims.YearLabel(sv.Year))
				return problem.OnField(problem.Conflict, "code", msg)
			}
			return err
		}
		for _, o := range sv.Chosen {
			if _, err := c.exec(ctx, "INSERT INTO service_orgs (service_id, org_code) VALUES (?, ?)", sv.ID, o); err != nil {
				return err
			}
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		return c.appendAudit(ctx, actor, "service.create", "service", fmt.Sprint(sv.ID), nil, sv)
	})
	return sv, err
}

// checkServiceOrgs makes sure the commissioner commissions (a Place or an
// ICB), and that the chosen organisations exist, are of the kind the
// eligibility needs and lie within the commissioner's area: a commissioner
// cannot put a service (and so claims, messages and payments) on another
// area's practices.
func (c conn) checkServiceOrgs(ctx context.Context, sv claims.Service) error {
	var kind orgs.Kind
	if err := c.queryRow(ctx, "SELECT kind FROM orgs WHERE code = ?", sv.Commissioner).Scan(&kind); err != nil {
		return notFound(err, "There is no organisation with the code %s", sv.Commissioner)
	}
	if !kind.Commissions() {
		return problem.New(problem.Invalid, "Services are commissioned by a Place or an ICB; %s is %s", sv.Commissioner, kind.ALabel())
	}
	inArea, err := c.within(ctx, sv.Commissioner, sv.Chosen)
	if err != nil {
		return err
	}
	want := "practice"
	if sv.Eligibility == claims.PCNs {
		want = "pcn"
	}
	for _, code := range sv.Chosen {
		var kind string
		err := c.queryRow(ctx, "SELECT kind FROM orgs WHERE code = ?", code).Scan(&kind)
		if err == sql.ErrNoRows {
			msg := "There is no organisation with the code " + code
			return problem.OnField(problem.Invalid, "chosen", msg)
		}
		if err != nil {
			return err
		}
		if kind != want {
			msg := fmt.Sprintf("%s is not a %s", code, map[string]string{"practice": "GP practice", "pcn": "PCN"}[want])
			return problem.OnField(problem.Invalid, "chosen", msg)
		}
		if !inArea[code] {
			return problem.OnField(problem.Invalid, "chosen", fmt.Sprintf("%s is not in %s's area: a service can only be offered to practices and PCNs below its commissioner", code, sv.Commissioner))
		}
	}
	return nil
}

// within returns which of codes lie at or below root today.
func (c conn) within(ctx context.Context, root string, codes []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(codes) == 0 {
		return out, nil
	}
	cte, args := c.dialect.scopeCTE([]string{root}, c.now)
	in, codeArgs := inClause(codes)
	rows, err := c.query(ctx, cte+" SELECT code FROM scope WHERE code IN "+in, append(args, codeArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, err
		}
		out[code] = true
	}
	return out, rows.Err()
}

// Service returns one service with its chosen organisations, if it is within
// the reach of chain's first organisation (chain is it and every
// organisation above it, as the route checked): commissioned by one of them,
// chosen for it, or offered to it. Any other id is NotFound.
func (s *Store) Service(ctx context.Context, chain []string, id int64) (claims.Service, error) {
	if len(chain) == 0 {
		return claims.Service{}, problem.New(problem.NotFound, "There is no such service")
	}
	in, args := inClause(chain)
	return s.reader().service(ctx, ` AND (sv.commissioner_org IN `+in+`
		OR EXISTS (SELECT 1 FROM service_orgs so WHERE so.service_id = sv.id AND so.org_code = ?)
		OR EXISTS (SELECT 1 FROM offers f WHERE f.service_id = sv.id AND f.org_code = ?))`, id, append(args, chain[0], chain[0])...)
}

// service reads one service by id, with more conditions on sv (a scope).
func (c conn) service(ctx context.Context, scope string, id int64, args ...any) (claims.Service, error) {
	sv, err := scanService(c.queryRow(ctx, "SELECT "+serviceColumns+" FROM services sv WHERE sv.id = ?"+scope, append([]any{id}, args...)...))
	if err != nil {
		return sv, notFound(err, "There is no such service")
	}
	if sv.Chosen, err = c.serviceOrgs(ctx, id); err != nil {
		return sv, err
	}
	changes, err := c.ruleChanges(ctx, id)
	sv.RuleChanges = changes[id]
	return sv, err
}

// ruleChanges reads the payment rules' changes, of one service (id > 0) or
// of all, by service, oldest first.
func (c conn) ruleChanges(ctx context.Context, id int64) (map[int64][]claims.RuleChange, error) {
	where, args := "", []any{}
	if id > 0 {
		where, args = " WHERE service_id = ?", []any{id}
	}
	rows, err := c.query(ctx, "SELECT service_id, from_date, rule_json, set_by FROM service_rules"+where+" ORDER BY service_id, from_date", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]claims.RuleChange{}
	for rows.Next() {
		var sid int64
		var ch claims.RuleChange
		var rule string
		if err := rows.Scan(&sid, nullTime{&ch.From}, &rule, &ch.By); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rule), &ch.Rule); err != nil {
			return nil, fmt.Errorf("service %d rule from %s: %w", sid, ch.From.Format(time.DateOnly), err)
		}
		out[sid] = append(out[sid], ch)
	}
	return out, rows.Err()
}

// ChangeRule sets a service's payment rule (checked by
// claims.Service.CheckRuleChange): a draft's whole, or a live service's
// from the first day of a period.
func (s *Store) ChangeRule(ctx context.Context, actor string, id int64, r payrules.Rule, from time.Time) error {
	return s.tx(ctx, func(c conn) error {
		sv, err := c.service(ctx, "", id)
		if err != nil {
			return err
		}
		if err := sv.CheckRuleChange(r, from, orgs.Today(c.now)); err != nil {
			return err
		}
		rule, _ := json.Marshal(r)
		if sv.Draft {
			_, err = c.exec(ctx, "UPDATE services SET rule_json = ? WHERE id = ?", string(rule), id)
		} else {
			_, err = c.exec(ctx, `INSERT INTO service_rules (service_id, from_date, rule_json, set_at, set_by) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (service_id, from_date) DO UPDATE SET rule_json = excluded.rule_json, set_at = excluded.set_at, set_by = excluded.set_by`,
				id, dateArg(from), string(rule), c.tsArg(c.now), actor)
		}
		if err != nil {
			return err
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		after := sv
		after.RuleChanges = append(after.RuleChanges, claims.RuleChange{From: from, Rule: r, By: actor})
		if sv.Draft {
			after.Rule, after.RuleChanges = r, sv.RuleChanges
		}
		return c.appendAudit(ctx, actor, "service.rule", "service", fmt.Sprint(id), sv, after)
	})
}

// PublishService makes a draft service live: it can then be offered and claimed.
func (s *Store) PublishService(ctx context.Context, actor string, id int64) error {
	return s.tx(ctx, func(c conn) error {
		sv, err := c.service(ctx, "", id)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, "UPDATE services SET status = 'live' WHERE id = ? AND status = 'draft' AND withdrawn_on IS NULL", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if sv.IsWithdrawn() {
				return problem.New(problem.Conflict, "%s was withdrawn on %s, so it cannot be published", sv.Name, sv.Withdrawn.Format("2 January 2006"))
			}
			return problem.New(problem.Conflict, "%s is published already", sv.Name)
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		after := sv
		after.Draft = false
		return c.appendAudit(ctx, actor, "service.publish", "service", fmt.Sprint(id), sv, after)
	})
}

func (c conn) serviceOrgs(ctx context.Context, id int64) ([]string, error) {
	rows, err := c.query(ctx, "SELECT org_code FROM service_orgs WHERE service_id = ? ORDER BY org_code", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (c conn) bumpCatalogue(ctx context.Context) error {
	_, err := c.exec(ctx, "UPDATE catalogue_version SET version = version + 1 WHERE id = 1")
	return err
}

// catalogue is one server's copy of every service, valid while the
// database's catalogue version is unchanged.
type catalogue struct {
	mu       sync.Mutex
	version  int64
	loaded   bool
	services []claims.Service
}

// Services lists the catalogue of a financial year (0 for every year),
// limited to services commissioned by the given organisations (nil for all),
// newest year first, then by code. Every monthly return asks for it, so it is
// served from memory while the catalogue version in the database stands.
func (s *Store) Services(ctx context.Context, commissioners []string, year int) ([]claims.Service, error) {
	all, err := s.allServices(ctx)
	if err != nil {
		return nil, err
	}
	var out []claims.Service
	for _, sv := range all {
		if (year == 0 || sv.Year == year) && (commissioners == nil || slices.Contains(commissioners, sv.Commissioner)) {
			out = append(out, sv)
		}
	}
	return out, nil
}

func (s *Store) allServices(ctx context.Context) ([]claims.Service, error) {
	c := s.reader()
	var version int64
	if err := c.queryRow(ctx, "SELECT version FROM catalogue_version WHERE id = 1").Scan(&version); err != nil {
		return nil, err
	}
	s.catalogue.mu.Lock()
	defer s.catalogue.mu.Unlock()
	if s.catalogue.loaded && s.catalogue.version == version {
		return s.catalogue.services, nil
	}
	rows, err := c.query(ctx, "SELECT "+serviceColumns+" FROM services sv ORDER BY sv.year DESC, sv.code")
	if err != nil {
		return nil, err
	}
	var out []claims.Service
	for rows.Next() {
		sv, err := scanService(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, sv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	byID := map[int64]*claims.Service{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	rows, err = c.query(ctx, "SELECT service_id, org_code FROM service_orgs ORDER BY org_code")
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
		if sv := byID[id]; sv != nil {
			sv.Chosen = append(sv.Chosen, org)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	changes, err := c.ruleChanges(ctx, 0)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].RuleChanges = changes[out[i].ID]
	}
	s.catalogue.services, s.catalogue.version, s.catalogue.loaded = out, version, true
	return out, nil
}

// CopyService copies a service (as read by Service), its fields, rule and chosen organisations
// into another financial year. Offers and claims are not copied.
func (s *Store) CopyService(ctx context.Context, actor string, sv claims.Service, year int) (claims.Service, error) {
	sv.ID, sv.Year = 0, year
	sv.Starts, sv.Ends = time.Time{}, time.Time{} // the whole of the new year
	sv.Rule = sv.RuleFor(claims.Period{Start: time.Date(year, time.April, 1, 0, 0, 0, 0, time.UTC)})
	sv.RuleChanges = nil
	sv.Draft = true // to edit (its fee, say) before it is offered
	return s.CreateService(ctx, actor, sv)
}

// specUpload is what the audit log keeps of a specification uploaded.
type specUpload struct {
	File         string `json:"file"`
	Bytes        int    `json:"bytes"`
	Commissioner string `json:"commissioner"`
}

// SaveSpecFile attaches (or replaces) a service's specification PDF.
func (s *Store) SaveSpecFile(ctx context.Context, actor string, id int64, name, contentType string, data []byte) error {
	return s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO service_files (service_id, name, content_type, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (service_id) DO UPDATE SET name = excluded.name, content_type = excluded.content_type, data = excluded.data`,
			id, name, contentType, data); err != nil {
			return err
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		var commissioner string // the entry is about the commissioner's organisation (auditOrg)
		if err := c.queryRow(ctx, "SELECT commissioner_org FROM services WHERE id = ?", id).Scan(&commissioner); err != nil {
			return notFound(err, "There is no such service")
		}
		return c.appendAudit(ctx, actor, "service.specification", "service", fmt.Sprint(id), nil,
			specUpload{File: name, Bytes: len(data), Commissioner: commissioner})
	})
}

// SpecFile returns a service's specification file.
func (s *Store) SpecFile(ctx context.Context, id int64) (name, contentType string, data []byte, err error) {
	err = s.reader().queryRow(ctx, "SELECT name, content_type, data FROM service_files WHERE service_id = ?", id).
		Scan(&name, &contentType, &data)
	return name, contentType, data, notFound(err, "This service has no specification file")
}

// OfferService offers a service to organisations; offers already made stay
// as they are. It returns how many were new.
func (s *Store) OfferService(ctx context.Context, actor string, id int64, orgCodes []string, from time.Time) (int, error) {
	sv, err := s.reader().service(ctx, "", id)
	if err != nil {
		return 0, err
	}
	if !from.IsZero() {
		if err := sv.CheckOfferStart(from); err != nil {
			return 0, err
		}
	}
	today := s.now()
	for _, code := range orgCodes {
		o, err := s.Org(ctx, code)
		if err != nil {
			return 0, err
		}
		chain, err := s.Ancestry(ctx, code, today)
		if err != nil {
			return 0, err
		}
		if err := sv.Offerable(o, chain, today); err != nil {
			return 0, err
		}
	}
	n := 0
	err = s.tx(ctx, func(c conn) error {
		for _, o := range orgCodes {
			res, err := c.exec(ctx, `INSERT INTO offers (service_id, org_code, status, offered_at, offered_start) VALUES (?, ?, 'pending', ?, ?)
				ON CONFLICT (service_id, org_code) DO NOTHING`, id, o, c.tsArg(c.now), dateArg(from))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
				if err := c.appendAudit(ctx, actor, "offer.make", "offer", fmt.Sprintf("%d/%s", id, o), nil,
					claims.Offer{ServiceID: id, Org: o, Status: claims.Pending, From: from}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// RespondToOffer accepts (from day start) or declines a pending offer.
func (s *Store) RespondToOffer(ctx context.Context, actor string, id int64, org string, accept bool, start time.Time) error {
	return s.tx(ctx, func(c conn) error {
		before := claims.Offer{ServiceID: id, Org: org}
		err := c.queryRow(ctx, "SELECT status, offered_start FROM offers WHERE service_id = ? AND org_code = ?", id, org).Scan(&before.Status, nullTime{&before.From})
		if err != nil {
			return notFound(err, "This service has not been offered to %s", org)
		}
		after, err := before.Respond(accept, start)
		if err != nil {
			return err
		}
		// Compare-and-set: of two answers at once, the second finds it answered.
		res, err := c.exec(ctx, "UPDATE offers SET status = ?, responded_at = ?, start_date = ? WHERE service_id = ? AND org_code = ? AND status = ?",
			string(after.Status), c.tsArg(c.now), dateArg(after.Start), id, org, string(before.Status))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return problem.New(problem.Conflict, "This offer was answered while you were looking at it. Reload the page to see the answer.")
		}
		return c.appendAudit(ctx, actor, "offer."+string(after.Status), "offer", fmt.Sprintf("%d/%s", id, org), before, after)
	})
}

// Offers lists offers of a service (id > 0) or to an organisation (org ≠ "").
func (s *Store) Offers(ctx context.Context, id int64, org string) ([]claims.Offer, error) {
	where, args := " WHERE 1=1", []any{}
	if id > 0 {
		where += " AND f.service_id = ?"
		args = append(args, id)
	}
	if org != "" {
		where += " AND f.org_code = ?"
		args = append(args, org)
	}
	rows, err := s.reader().query(ctx, `SELECT f.service_id, sv.code, sv.name, f.org_code, o.name, f.status, f.start_date, f.offered_start, f.responded_at
		FROM offers f JOIN services sv ON sv.id = f.service_id JOIN orgs o ON o.code = f.org_code`+where+
		" ORDER BY sv.year DESC, sv.code, o.name", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claims.Offer
	for rows.Next() {
		var f claims.Offer
		if err := rows.Scan(&f.ServiceID, &f.ServiceCode, &f.ServiceName, &f.Org, &f.OrgName, &f.Status, nullTime{&f.Start}, nullTime{&f.From}, nullTime{&f.Answered}); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// EndService sets a service's last day (checked by claims.Service.CheckEnd)
// and tells the people who keep each practice's or PCN's claims, by email
// through the outbox: those signed up, or chosen, or (for a service open to
// every practice of an area) every practice there. It returns how many
// were told.
func (s *Store) EndService(ctx context.Context, actor string, id int64, ends time.Time, link func(org string) string) (int, error) {
	told := 0
	err := s.tx(ctx, func(c conn) error {
		sv, err := c.service(ctx, "", id)
		if err != nil {
			return err
		}
		if err := sv.CheckEnd(ends, orgs.Today(c.now)); err != nil {
			return err
		}
		before := sv
		if _, err := c.exec(ctx, "UPDATE services SET ends_on = ? WHERE id = ?", dateArg(ends), id); err != nil {
			return err
		}
		claimants, err := c.claimants(ctx, sv)
		if err != nil {
			return err
		}
		var notes []mustdo.Reminder
		for _, who := range claimants {
			notes = append(notes, mustdo.Reminder{
				Key: fmt.Sprintf("service-end/%d/%s/%s/%s", id, ends.Format(time.DateOnly), who.org, who.email), To: who.email,
				Subject: fmt.Sprintf("%s ends on %s", sv.Name, ends.Format("2 January 2006")),
				Body: fmt.Sprintf("%s has ended %s (%s) for %s. %s can be claimed for periods up to %s; claims for those periods are made as before.\n\n%s\n",
					sv.Commissioner, sv.Name, sv.Code, who.orgName, sv.Name, ends.Format("2 January 2006"), link(who.org)),
			})
		}
		if told, err = c.queueMail(ctx, notes); err != nil {
			return err
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		after := sv
		after.Ends = ends
		return c.appendAudit(ctx, actor, "service.end", "service", fmt.Sprint(id), before, after)
	})
	return told, err
}

// claimant is a person who keeps an organisation's claims for a service.
type claimant struct{ email, org, orgName string }

// claimants are the people who keep each practice's or PCN's claims for
// sv: of those signed up, or chosen, or (for a service open to every
// practice of an area) of every practice there.
func (c conn) claimants(ctx context.Context, sv claims.Service) ([]claimant, error) {
	var query string
	var args []any
	switch {
	case sv.SignUp:
		query, args = "SELECT org_code FROM offers WHERE service_id = ? AND status = 'accepted'", []any{sv.ID}
	case sv.Eligibility == claims.AllPractices:
		cte, cteArgs := c.dialect.scopeCTE([]string{sv.Commissioner}, c.now)
		query, args = cte+" SELECT code FROM scope JOIN orgs USING (code) WHERE kind = 'practice'", cteArgs
	default:
		query, args = "SELECT org_code FROM service_orgs WHERE service_id = ?", []any{sv.ID}
	}
	var roles []any
	for _, r := range people.Roles {
		if r.Allows(people.SubmitClaims) {
			roles = append(roles, string(r))
		}
	}
	in, _ := inClause(roles)
	rows, err := c.query(ctx, `SELECT DISTINCT u.email, o.code, o.name FROM grants g JOIN users u ON u.id = g.user_id JOIN orgs o ON o.code = g.org_code
		WHERE g.role IN `+in+` AND g.org_code IN (`+query+`) ORDER BY u.email, o.code`, append(roles, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claimant
	for rows.Next() {
		var who claimant
		if err := rows.Scan(&who.email, &who.org, &who.orgName); err != nil {
			return nil, err
		}
		out = append(out, who)
	}
	return out, rows.Err()
}

// queueMail puts notices in the outbox, each once (by its key), and
// returns how many were new.
func (c conn) queueMail(ctx context.Context, notes []mustdo.Reminder) (int, error) {
	n, err := c.bulkInsertNew(ctx, "mustdo_outbox", []string{"key", "to_addr", "subject", "body", "created_at"}, "key", len(notes), func(i int) []any {
		return []any{notes[i].Key, notes[i].To, notes[i].Subject, notes[i].Body, c.tsArg(c.now)}
	})
	return int(n), err
}

// WithdrawService withdraws a service (see claims.CheckWithdraw): from
// today it is claimed for no period; its submitted and queried claims are
// rejected with the reason; everyone who claims it is told by email. It is
// refused, and nothing changes, if any claim for it has been approved or
// paid. It returns how many were told.
func (s *Store) WithdrawService(ctx context.Context, actor string, id int64, reason string, link func(org string) string) (int, error) {
	reason = strings.TrimSpace(reason)
	told := 0
	err := s.tx(ctx, func(c conn) error {
		sv, err := c.service(ctx, "", id)
		if err != nil {
			return err
		}
		if err := sv.CheckWithdraw(reason, 0); err != nil {
			return err
		}
		today := orgs.Today(c.now)
		msg := claims.WithdrawnMessage(reason, today)
		// Marked first: the row lock makes a claim being written wait (see
		// writeClaim), and one written before is seen by the reads below.
		if _, err := c.exec(ctx, "UPDATE services SET withdrawn_on = ?, withdrawn_reason = ? WHERE id = ?", dateArg(today), reason, id); err != nil {
			return err
		}
		// Its claims locked first, as a review locks its own (lockClaims).
		if err := c.lockClaims(ctx, "service_id = ? AND status IN ('submitted', 'queried')", id); err != nil {
			return err
		}
		open, err := c.claimList(ctx, " WHERE c.service_id = ? AND c.status IN ('submitted', 'queried')", id)
		if err != nil {
			return err
		}
		for _, cl := range open {
			if err := c.moveClaim(ctx, cl, "status = ?, message = ?", string(claims.Rejected), msg); err != nil {
				return err
			}
			after := cl
			after.Status, after.Message = claims.Rejected, msg
			if err := c.appendAudit(ctx, actor, "claim.reject", "claim", fmt.Sprint(cl.ID), cl, after); err != nil {
				return err
			}
		}
		// Counted after the moves, so that an approval committed meanwhile
		// is seen and undoes the lot.
		var approved int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM claims WHERE service_id = ? AND (status IN ('approved', 'finance_approved', 'paid') OR ready_seq IS NOT NULL)`, id).Scan(&approved); err != nil {
			return err
		}
		if err := sv.CheckWithdraw(reason, approved); err != nil {
			return err
		}
		var claimants []claimant
		if !sv.Draft { // a draft was never offered: nobody to tell
			if claimants, err = c.claimants(ctx, sv); err != nil {
				return err
			}
		}
		var notes []mustdo.Reminder
		for _, who := range claimants {
			notes = append(notes, mustdo.Reminder{
				Key: fmt.Sprintf("service-withdrawn/%d/%s/%s", id, who.org, who.email), To: who.email,
				Subject: fmt.Sprintf("%s is withdrawn", sv.Name),
				Body: fmt.Sprintf("%s has withdrawn %s (%s) for %s, from %s: %s\n\nIt can no longer be claimed for any period, and claims for it that were waiting for review have been rejected with this reason.\n\n%s\n",
					sv.Commissioner, sv.Name, sv.Code, who.orgName, today.Format("2 January 2006"), reason, link(who.org)),
			})
		}
		if told, err = c.queueMail(ctx, notes); err != nil {
			return err
		}
		if err := c.bumpCatalogue(ctx); err != nil {
			return err
		}
		after := sv
		after.Withdrawn, after.WithdrawnReason = today, reason
		return c.appendAudit(ctx, actor, "service.withdraw", "service", fmt.Sprint(id), sv, after)
	})
	return told, err
}
