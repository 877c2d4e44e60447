package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// feature is a part of OnePC shown on the home page, with an honest
// note while it is not built yet.
type feature struct {
	Title, Text string
}

// plannedFor says, per role, what each coming capability will do for them.
var plannedFor = map[people.Role][]feature{
	people.PracticeManager: {
		{"Local services and claims", "One monthly return for every local service your practice provides: open your practice and choose “Monthly return”."},
		{"Access and performance", "Your appointment figures compared with similar practices. Not available yet: no appointments data has been loaded."},
		{"Population profile", "Your registered patients by age and sex against your Place, and your needs-weighted list: open your practice and choose “Population”."},
		{"Records register", "What your practice keeps, when each collection comes up for review or disposal, holds and certificates: open your practice and choose “Records register”."},
	},
	people.PracticeStaff: {
		{"Capability reviews", "Score your practice's capability for improvement with your team: open your practice and choose “Capability reviews”."},
		{"Must-do tracker", "Deadlines your practice has to meet. Not available yet."},
	},
	people.PCNManager: {
		{"Member practice returns", "Which member practices have submitted their monthly returns: open your PCN and choose “Monthly return”."},
		{"PCN services", "Claims for services the PCN provides, on the PCN's own monthly return."},
	},
	people.PCNClinicalDirector: {
		{"Access across the PCN", "Each member practice's access measures against its peers. Not available yet: no appointments data has been loaded."},
		{"Shared plan", "The plan your PCN, Place and ICB have agreed. Not available yet."},
	},
	people.Commissioner: {
		{"Services you commission", "Specifications, offers, claims and payment runs in one place: open your Place and choose “Local services commissioned”."},
		{"Access and improvement", "Measures from the published appointments data, with peer percentiles and change over time. Not available yet."},
		{"Records registers", "Which practices keep a records register, what is overdue for review, holds and certificates: open your Place and choose “Records register”."},
		{"Population needs", "Each practice's population and needs-weighted list, side by side: open your Place and choose “Population”."},
	},
	people.FinanceOfficer: {
		{"Finance approval", "Claims approved by the commissioner that wait for finance: open your Place, choose “Local services commissioned”, then “Claims to review”."},
		{"Payment runs", "Preview a month's run (what it pays, and what it leaves out and why), confirm it, and reverse a run made in error: open your Place and choose “Payment runs”."},
	},
	people.Admin: {
		{"Users and roles", "Add people and give them roles at organisations."},
		{"Audit log", "Every change, who made it and when, in a chain that shows tampering."},
	},
}

type homeData struct {
	User    people.User `json:"user"`
	Planned []feature   `json:"-"`
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	d := homeData{User: rq.user}
	seen := map[people.Role]bool{}
	for _, g := range rq.user.Grants {
		if !seen[g.Role] {
			seen[g.Role] = true
			d.Planned = append(d.Planned, plannedFor[g.Role]...)
		}
	}
	return s.render(w, r, rq, http.StatusOK, "home", page{Title: "Home", Nav: "home", Data: d})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, rq *request) error {
	return writeJSON(w, http.StatusOK, rq.user)
}

type browserData struct {
	Text   string         `json:"text"`
	Kind   orgs.Kind      `json:"kind"`
	Kinds  []orgs.Kind    `json:"-"`
	Orgs   []orgs.Org     `json:"orgs"`
	Total  int            `json:"total"`
	Pager  pager          `json:"-"`
	Grants []people.Grant `json:"-"`
}

func (s *Server) orgBrowser(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	d := browserData{Text: strings.TrimSpace(q.Get("q")), Kind: orgs.Kind(q.Get("kind")), Kinds: orgs.Kinds, Grants: rq.user.Grants}
	if d.Kind != "" && !validKind(d.Kind) {
		return problem.OnField(problem.Invalid, "kind", "Choose a type of organisation from the list")
	}
	var err error
	d.Orgs, d.Total, err = s.store.SearchOrgs(r.Context(), store.OrgQuery{Roots: roots(rq.user, people.ViewOrg),
		On: rq.today, Text: d.Text, Kind: d.Kind, Limit: pageSize, Offset: offsetFrom(r)})
	if err != nil {
		return err
	}
	d.Pager = newPager(r, d.Total)
	return s.render(w, r, rq, http.StatusOK, "orgs", page{Title: "Organisations", Nav: "orgs", Data: d})
}

func validKind(k orgs.Kind) bool { return slices.Contains(orgs.Kinds, k) }

type orgData struct {
	Org         orgs.Org          `json:"org"`
	On          time.Time         `json:"on"`
	Today       bool              `json:"-"`
	Trail       []orgs.Org        `json:"above"` // the organisations above it that the user may open, top first
	PCN         *orgs.Org         `json:"pcn,omitempty"`
	Children    []store.Child     `json:"children"`
	Memberships []orgs.Membership `json:"pcn_history,omitempty"`
	ChildLabel  string            `json:"-"`
	Chart       *barChart         `json:"-"`
}

// orgPage shows one organisation as at a chosen day (?on=YYYY-MM-DD, today
// by default): its details, what sits below it then, and a practice's PCN history.
func (s *Server) orgPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	d := orgData{On: rq.today, Today: true}
	if v := r.URL.Query().Get("on"); v != "" {
		on, err := time.Parse(time.DateOnly, v)
		if err != nil {
			msg := "Enter a real date for “as at”, for example 2025-04-01"
			return problem.OnField(problem.Invalid, "on", msg)
		}
		d.On, d.Today = on, on.Equal(rq.today)
	}
	var err error
	if d.Org, err = s.store.Org(ctx, code); err != nil {
		return err
	}
	chain := rq.chain
	if !d.Today {
		if chain, err = s.store.Ancestry(ctx, code, d.On); err != nil {
			return err
		}
	}
	for _, above := range chain[1:] {
		o, err := s.store.Org(ctx, above)
		if err != nil {
			return err
		}
		if o.Kind == orgs.PCN && d.Org.Kind == orgs.Practice {
			d.PCN = &o
		}
		if ok, err := s.can(ctx, rq, people.ViewOrg, above); err != nil {
			return err
		} else if ok {
			d.Trail = append(d.Trail, o)
		}
	}
	sortTrail(d.Trail)
	if d.Children, err = s.store.Children(ctx, d.Org, d.On); err != nil {
		return err
	}
	if d.Org.Kind == orgs.Practice {
		if d.Memberships, err = s.store.Memberships(ctx, code); err != nil {
			return err
		}
	}
	d.ChildLabel = childLabel(d.Org.Kind)
	d.Chart = listSizeChart(d.Children)
	return s.render(w, r, rq, http.StatusOK, "org", page{Title: d.Org.Name, Nav: "orgs", Data: d})
}

// sortTrail orders the breadcrumb from the top of the hierarchy down.
func sortTrail(t []orgs.Org) {
	slices.SortStableFunc(t, func(a, b orgs.Org) int {
		return slices.Index(orgs.Kinds, a.Kind) - slices.Index(orgs.Kinds, b.Kind)
	})
}

func childLabel(k orgs.Kind) string {
	switch k {
	case orgs.Region:
		return "Integrated Care Boards"
	case orgs.ICB:
		return "Places (sub-ICB locations)"
	case orgs.Place:
		return "Primary Care Networks and practices"
	case orgs.PCN:
		return "Member practices"
	}
	return ""
}
