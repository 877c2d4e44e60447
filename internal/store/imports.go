package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// ensureOrg creates o unless an organisation with its code is known (in
// known, which it keeps up to date), and reports whether it created it. A
// known code of another kind is a conflict, reported as at where (a file, or
// a file and line). An empty code is nothing to create; a missing name
// becomes the code.
func (c conn) ensureOrg(ctx context.Context, actor, where string, known map[string]orgs.Org, o orgs.Org) (bool, error) {
	var plan orgPlan
	if err := plan.org(where, known, o); err != nil || len(plan.orgs) == 0 {
		return false, err
	}
	return true, c.createPlanned(ctx, actor, plan)
}

// orgPlan gathers organisations (parents first) and PCN memberships first
// met in an import, to be written together by createPlanned.
type orgPlan struct {
	orgs    []orgs.Org
	members []orgs.Membership
}

// org plans o as ensureOrg would create it.
func (p *orgPlan) org(where string, known map[string]orgs.Org, o orgs.Org) error {
	if o.Code == "" {
		return nil
	}
	if k, ok := known[o.Code]; ok {
		if k.Kind != o.Kind {
			return problem.New(problem.Conflict, "%s: %s is already known as %s, not %s", where, o.Code, k.Kind.ALabel(), o.Kind.ALabel())
		}
		return nil
	}
	if o.Name == "" {
		o.Name = o.Code
	}
	known[o.Code] = o
	p.orgs = append(p.orgs, o)
	return nil
}

// createPlanned writes the planned organisations and memberships, which
// are new, with an audit entry each, in a few statements.
func (c conn) createPlanned(ctx context.Context, actor string, p orgPlan) error {
	if len(p.orgs)+len(p.members) > 0 {
		c.referenceChanged()
	}
	cols := strings.Split(strings.Join(strings.Fields(orgInsertColumns), ""), ",")
	if err := c.bulkInsert(ctx, "orgs", cols, len(p.orgs), func(i int) []any { return c.orgArgs(p.orgs[i]) }); err != nil {
		return err
	}
	err := c.bulkInsert(ctx, "pcn_memberships", []string{"practice_code", "pcn_code", "start_date", "end_date"}, len(p.members),
		func(i int) []any {
			m := p.members[i]
			return []any{m.PracticeCode, m.PCNCode, dateArg(m.Start), dateArg(m.End)}
		})
	if err != nil {
		return err
	}
	items := make([]auditItem, 0, len(p.orgs)+len(p.members))
	for _, o := range p.orgs {
		items = append(items, auditItem{"org.import", "org", o.Code, nil, o})
	}
	for _, m := range p.members {
		items = append(items, auditItem{"membership.add", "membership", m.PracticeCode + "/" + m.PCNCode + "/" + m.Start.Format(time.DateOnly), nil, stripNames(m)})
	}
	return c.appendAudits(ctx, actor, items)
}

// ImportResult counts what an import did.
type ImportResult struct {
	File      string      `json:"file"`
	Added     int         `json:"added"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Skipped   int         `json:"skipped"` // rows left out (other prescribing settings)
	BySetting map[int]int `json:"skipped_by_setting,omitempty"`
	Created   int         `json:"created_parents"` // regions, ICBs, Places, PCNs or practices first met here
}

// ImportPractices applies a parsed epraccur file in one transaction: every
// practice is added or updated in place, and regions, ICBs and Places first
// met are created. Importing the same file again changes nothing.
func (s *Store) ImportPractices(ctx context.Context, actor string, pf *orgs.PracticeFile, file string) (ImportResult, error) {
	res := ImportResult{File: file, Skipped: pf.Skipped, BySetting: pf.BySetting}
	err := s.tx(ctx, func(c conn) error {
		known, err := c.allOrgs(ctx)
		if err != nil {
			return err
		}
		ensure := func(code string, kind orgs.Kind, parent string) error {
			if code == "" {
				return nil
			}
			if o, ok := known[code]; ok {
				if o.Kind != kind {
					return problem.New(problem.Conflict, "%s: %s is already known as a %s, not a %s",
						file, code, o.Kind.Label(), kind.Label())
				}
				if parent == "" || o.ParentCode == parent {
					return nil
				}
				before := o
				o.ParentCode = parent
				if _, err := c.upsertOrg(ctx, actor, "org.import", &before, o); err != nil {
					return err
				}
				known[code] = o
				return nil
			}
			o := orgs.Org{Code: code, Kind: kind, Name: code, ParentCode: parent, Status: orgs.StatusActive}
			if _, err := c.upsertOrg(ctx, actor, "org.import", nil, o); err != nil {
				return err
			}
			known[code] = o
			res.Created++
			return nil
		}
		for _, p := range pf.Practices {
			if err := ensure(p.RegionCode, orgs.Region, ""); err != nil {
				return err
			}
			if err := ensure(p.ICBCode, orgs.ICB, p.RegionCode); err != nil {
				return err
			}
			if err := ensure(p.SubICBCode, orgs.Place, p.ICBCode); err != nil {
				return err
			}
			o := p.Org
			var before *orgs.Org
			if b, ok := known[o.Code]; ok {
				before = &b
				// epraccur has no list sizes: keep the ones other sources gave.
				o.ListSize, o.ListSizeDate = b.ListSize, b.ListSizeDate
			}
			changed, err := c.upsertOrg(ctx, actor, "org.import", before, o)
			if err != nil {
				return err
			}
			switch {
			case before == nil:
				res.Added++
			case changed:
				res.Updated++
			default:
				res.Unchanged++
			}
			known[o.Code] = o
		}
		return c.appendAudit(ctx, actor, "import.ods-practices", "import", file, nil, res)
	})
	return res, err
}

// dropSupersededSpells removes stored spells of the file's practices that the
// file does not list and that overlap a spell it does: the file is the newer
// word on those days. Older history that no file spell covers is kept.
func (c conn) dropSupersededSpells(ctx context.Context, actor string, ms []orgs.MembershipRecord) error {
	byPractice := map[string][]orgs.Membership{}
	for _, m := range ms {
		byPractice[m.PracticeCode] = append(byPractice[m.PracticeCode], m.Membership)
	}
	for practice, fileSpells := range byPractice {
		stored, err := c.memberships(ctx, practice)
		if err != nil {
			return err
		}
		for _, old := range stored {
			listed, clash := false, false
			for _, f := range fileSpells {
				listed = listed || (f.PCNCode == old.PCNCode && f.Start.Equal(old.Start))
				clash = clash || f.Overlaps(old)
			}
			if listed || !clash {
				continue
			}
			if _, err := c.exec(ctx, "DELETE FROM pcn_memberships WHERE practice_code = ? AND pcn_code = ? AND start_date = ?",
				old.PracticeCode, old.PCNCode, dateArg(old.Start)); err != nil {
				return err
			}
			c.referenceChanged()
			if err := c.appendAudit(ctx, actor, "membership.remove", "membership",
				old.PracticeCode+"/"+old.PCNCode+"/"+old.Start.Format("2006-01-02"), stripNames(old), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// ImportMemberships applies parsed practice–PCN spells in one transaction.
// PCNs, Places and practices not yet known are created from the file's own
// codes and names; known practices keep their epraccur details. Spells are
// keyed by practice, PCN and start date, so that history is kept and a
// re-import updates end dates in place.
func (s *Store) ImportMemberships(ctx context.Context, actor string, ms []orgs.MembershipRecord, file string) (ImportResult, error) {
	res := ImportResult{File: file}
	err := s.tx(ctx, func(c conn) error {
		known, err := c.allOrgs(ctx)
		if err != nil {
			return err
		}
		create := func(line int, o orgs.Org) error {
			created, err := c.ensureOrg(ctx, actor, fmt.Sprintf("%s: line %d", file, line), known, o)
			if created {
				res.Created++
			}
			return err
		}
		if err := c.dropSupersededSpells(ctx, actor, ms); err != nil {
			return err
		}
		for _, m := range ms {
			steps := []orgs.Org{
				{Code: m.PracticeSubICBCode, Kind: orgs.Place, Name: m.PracticeSubICBName, Status: orgs.StatusActive},
				{Code: m.PCNSubICBCode, Kind: orgs.Place, Name: m.PCNSubICBName, Status: orgs.StatusActive},
				{Code: m.PCNCode, Kind: orgs.PCN, Name: m.PCNName, ParentCode: m.PCNSubICBCode, Status: orgs.StatusActive},
				{Code: m.PracticeCode, Kind: orgs.Practice, Name: m.PracticeName, ParentCode: m.PracticeSubICBCode,
					Status: orgs.StatusActive, Setting: orgs.SettingGPPractice},
			}
			for _, o := range steps {
				if o.Code == "" {
					continue
				}
				if err := create(m.Line, o); err != nil {
					return err
				}
			}
			changed, err := c.upsertMembership(ctx, actor, m.Membership)
			if err != nil {
				return fmt.Errorf("%s: line %d: %w", file, m.Line, err)
			}
			if changed {
				res.Added++
			} else {
				res.Unchanged++
			}
		}
		return c.appendAudit(ctx, actor, "import.pcn-members", "import", file, nil, res)
	})
	return res, err
}
