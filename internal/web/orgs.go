package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// feature is a part of OnePC shown on the home page: where to find it.
// Access marks the one whose note says what appointments data is loaded.
type feature struct {
	Title, Text string
	Access      bool
}

// featuresFor says, per role, where each part of OnePC is for them.
var featuresFor = map[people.Role][]feature{
	people.PracticeManager: {
		{Title: "Local services and claims", Text: "One monthly return for every local service your practice provides: open your practice and choose “Monthly returns”."},
		{Title: "Access and performance", Text: "Your appointment figures compared with every practice, and with a year before: open your practice and choose “Access”.", Access: true},
		{Title: "Population profile", Text: "Your registered patients by age and sex against your Place, and your needs-weighted list: open your practice and choose “Population”."},
		{Title: "Records register", Text: "What your practice keeps, when each collection comes up for review or disposal, holds and certificates: open your practice and choose “Records register”."},
	},
	people.PracticeStaff: {
		{Title: "Capability reviews", Text: "Score your practice's capability for improvement with your team: open your practice and choose “Capability reviews”."},
		{Title: "Must-dos", Text: "Deadlines your practice has to meet, and yours: see “My week”."},
	},
	people.PCNManager: {
		{Title: "Member practice returns", Text: "Which member practices have submitted their monthly returns: open your PCN and choose “Monthly returns”."},
		{Title: "PCN services", Text: "Claims for services the PCN provides, on the PCN's own monthly return."},
	},
	people.PCNClinicalDirector: {
		{Title: "Access across the PCN", Text: "Each member practice's access measures against its peers: open your PCN and choose “Access”.", Access: true},
		{Title: "Shared plan", Text: "The plan your PCN, Place and ICB agree: not built yet."},
	},
	people.Commissioner: {
		{Title: "Services you commission", Text: "Specifications, offers, claims and payment runs in one place: open your Place and choose “Local services commissioned”."},
		{Title: "Access and improvement", Text: "Measures from the published appointments data, with peer percentiles and change over time: open your Place and choose “Access”.", Access: true},
		{Title: "Records registers", Text: "Which practices keep a records register, what is overdue for review, holds and certificates: open your Place and choose “Records register”."},
		{Title: "Population needs", Text: "Each practice's population and needs-weighted list, side by side: open your Place and choose “Population”."},
	},
	people.FinanceOfficer: {
		{Title: "Finance approval", Text: "Claims approved by the commissioner that wait for finance: open your Place, choose “Local services commissioned”, then “Claims to review”."},
		{Title: "Payment runs", Text: "Preview a month's run (what it pays, and what it leaves out and why), confirm it, and reverse a run made in error: open your Place and choose “Payment runs”."},
	},
	people.Admin: {
		{Title: "Users and roles", Text: "Add people and give them roles at organisations."},
		{Title: "Audit log", Text: "Every change, who made it and when, in a chain that shows tampering."},
	},
}

// todo is something a person has to do now, worked out from the data.
type todo struct {
	Text   string `json:"text"`
	Link   string `json:"link"`
	Urgent bool   `json:"urgent"`
}

type homeData struct {
	User       people.User `json:"user"`
	Todos      []todo      `json:"todo"`
	Features   []feature   `json:"-"`
	AccessNote string      `json:"-"` // what appointments data is loaded, for the access features
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	d := homeData{User: rq.user}
	seen := map[people.Role]bool{}
	for _, g := range rq.user.Grants {
		if !seen[g.Role] {
			seen[g.Role] = true
			d.Features = append(d.Features, featuresFor[g.Role]...)
		}
	}
	months, err := s.store.AppointmentMonths(ctx)
	if err != nil {
		return err
	}
	d.AccessNote = "No appointments data has been loaded yet: an administrator loads NHS England's monthly files."
	if n := len(months); n > 0 {
		d.AccessNote = fmt.Sprintf("%s to %s loaded.", months[0].Format("January 2006"), months[n-1].Format("January 2006"))
	}
	if d.Todos, err = s.todos(ctx, rq); err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "home", page{Title: "Home", Nav: "home", Data: d})
}

// todos works out, for each organisation the person has a role at, what
// they have to do now: returns overdue, due or queried; offers to answer;
// a practice's sustained declines in its access measures; claims to review
// or to approve for finance.
func (s *Server) todos(ctx context.Context, rq *request) ([]todo, error) {
	var out []todo
	done := map[string]bool{}
	var ms []access.Measure // read once, for the first practice that needs them
	for _, g := range rq.user.Grants {
		if done[g.OrgCode] {
			continue
		}
		done[g.OrgCode] = true
		here := func(p people.Permission) bool { return people.AuthorizeHere(rq.user.Grants, p, g.OrgCode) }
		o, err := s.store.Org(ctx, g.OrgCode)
		if err != nil {
			return nil, err
		}
		if (o.Kind == orgs.Practice || o.Kind == orgs.PCN) && here(people.SubmitClaims) {
			months, err := s.monthsDue(ctx, o, nil, rq.today)
			if err != nil {
				return nil, err
			}
			for _, m := range months {
				link := "/orgs/" + o.Code + "/returns/" + m.Month.Format("2006-01")
				switch m.State {
				case "queried":
					out = append(out, todo{fmt.Sprintf("%s: your commissioner asked about %s on %s's return: answer it", o.Name, countOf(m.Queried, "a claim", "claims"), m.Month.Format("January 2006")), link, true})
				case "overdue":
					out = append(out, todo{fmt.Sprintf("%s: %s's return is overdue: it was due by %s", o.Name, m.Month.Format("January 2006"), formatDate(m.Deadline)), link, true})
				case "due":
					out = append(out, todo{fmt.Sprintf("%s: %s's return is due by %s", o.Name, m.Month.Format("January 2006"), formatDate(m.Deadline)), link, false})
				}
			}
		}
		if (o.Kind == orgs.Practice || o.Kind == orgs.PCN) && here(people.RespondOffers) {
			offers, err := s.store.Offers(ctx, 0, o.Code)
			if err != nil {
				return nil, err
			}
			pending := 0
			for _, f := range offers {
				if f.Status == claims.Pending {
					pending++
				}
			}
			if pending > 0 {
				out = append(out, todo{fmt.Sprintf("%s: %s of local services %s for your answer", o.Name, countOf(pending, "an offer", "offers"), map[bool]string{true: "waits", false: "wait"}[pending == 1]), "/orgs/" + o.Code + "/services", false})
			}
		}
		if o.Kind == orgs.Practice {
			if ms == nil {
				if ms, err = s.store.Measures(ctx); err != nil {
					return nil, err
				}
			}
			alerts, err := s.declines(ctx, rq, o, ms)
			if err != nil {
				return nil, err
			}
			out = append(out, alerts...)
		}
		if o.Kind.Commissions() {
			for _, c := range []struct {
				perm   people.Permission
				status claims.Status
				what   string
			}{
				{people.ManageServices, claims.Submitted, "for your review"},
				{people.ApproveFinance, claims.Approved, "for finance approval"},
			} {
				if !here(c.perm) {
					continue
				}
				_, total, err := s.store.ClaimsTotalled(ctx, store.ClaimQuery{Commissioners: []string{o.Code}, Status: c.status, Limit: 1})
				if err != nil {
					return nil, err
				}
				if total.Claims > 0 {
					out = append(out, todo{fmt.Sprintf("%s: %s (%s) %s %s", o.Name, countOf(total.Claims, "a claim", "claims"), payrules.Pounds(total.Pence),
						map[bool]string{true: "waits", false: "wait"}[total.Claims == 1], c.what), "/orgs/" + o.Code + "/claims?status=" + string(c.status), false})
				}
			}
		}
	}
	more, err := s.mustDos(ctx, rq)
	return append(out, more...), err
}

// mustDos are the person's must-dos overdue and due within 7 days, as My
// week lists them; claims are left out, as the returns above name them.
func (s *Server) mustDos(ctx context.Context, rq *request) ([]todo, error) {
	wk, err := s.week(ctx, rq)
	if err != nil {
		return nil, err
	}
	count := func(list []dueView) int {
		n := 0
		for _, v := range list {
			if !strings.HasPrefix(v.Code, mustdo.ClaimPrefix) {
				n++
			}
		}
		return n
	}
	var out []todo
	if n := count(wk.Overdue); n > 0 {
		out = append(out, todo{countOf(n, "A must-do is", "must-dos are") + " overdue: see My week", "/my-week", true})
	}
	if n := count(wk.Week); n > 0 {
		out = append(out, todo{countOf(n, "A must-do is", "must-dos are") + " due in the next 7 days: see My week", "/my-week", false})
	}
	return out, nil
}

// declines are a practice's sustained falls in measures where higher is
// better (or rises where lower is), as the access page's CUSUM finds them.
func (s *Server) declines(ctx context.Context, rq *request, o orgs.Org, ms []access.Measure) ([]todo, error) {
	var out []todo
	for _, m := range ms {
		t, err := s.measureTable(ctx, rq, m.ID)
		if err != nil {
			return nil, err
		}
		a, ok := access.DetectChange(t.Percentiles(o.Code))
		if better := access.Better(m, a.Rising); !ok || better == nil || *better {
			continue
		}
		out = append(out, todo{fmt.Sprintf("%s: a sustained decline in “%s” since %s (average percentile %.0f in its first year, %.0f since): look at it with your team",
			o.Name, m.Title, t.Months[a.Start].Format("January 2006"), a.From, a.To), "/orgs/" + o.Code + "/access", false})
	}
	return out, nil
}

// countOf is n things in words: "a claim" for one, else "3 claims".
func countOf(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
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
		on, err := parseDay(v)
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
