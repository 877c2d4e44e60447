// Package plans holds the shared plan: planning rounds with their phases and
// constituencies, priorities and their moderation, decisions, the plan's
// objectives, indicators and versions, sign-off and adoption. Its rules are
// here, tested without SQL or HTTP; the counting of ballots is in tally.
package plans

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// Phase is where a planning round stands.
type Phase string

const (
	Proposing    Phase = "proposing"
	Shortlisting Phase = "shortlisting"
	Deciding     Phase = "deciding"
	Drafting     Phase = "drafting"
	Consulting   Phase = "consulting"
	Signing      Phase = "signing"
	Adopted      Phase = "adopted" // reached when the adoption rule is met, never by date
)

// Phases lists the phases in order; every one but Adopted has planned dates.
var Phases = []Phase{Proposing, Shortlisting, Deciding, Drafting, Consulting, Signing, Adopted}

// Label is the phase's name for people.
func (p Phase) Label() string {
	switch p {
	case Proposing:
		return "Proposing priorities"
	case Shortlisting:
		return "Shortlisting"
	case Deciding:
		return "Deciding"
	case Drafting:
		return "Drafting the plan"
	case Consulting:
		return "Consulting"
	case Signing:
		return "Signing"
	case Adopted:
		return "Adopted"
	}
	return string(p)
}

// PhasePlan is one phase's planned dates, or that it is switched off.
type PhasePlan struct {
	Phase Phase     `json:"phase"`
	On    bool      `json:"on"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ConstituencyKind is a group that takes part in a round.
type ConstituencyKind string

const (
	Practices      ConstituencyKind = "practices"
	PCNs           ConstituencyKind = "pcns"
	PlaceGroup     ConstituencyKind = "place"
	ICBGroup       ConstituencyKind = "icb"
	LocalAuthority ConstituencyKind = "local_authority"
	Patients       ConstituencyKind = "patients"
	Voluntary      ConstituencyKind = "voluntary"
)

// ConstituencyKinds lists them in the order pages show them.
var ConstituencyKinds = []ConstituencyKind{Practices, PCNs, PlaceGroup, ICBGroup, LocalAuthority, Patients, Voluntary}

// Label is the constituency's name for people.
func (k ConstituencyKind) Label() string {
	switch k {
	case Practices:
		return "Practices"
	case PCNs:
		return "PCNs"
	case PlaceGroup:
		return "The Place"
	case ICBGroup:
		return "The ICB"
	case LocalAuthority:
		return "Local authority"
	case Patients:
		return "Patient representatives"
	case Voluntary:
		return "Voluntary sector"
	}
	return string(k)
}

// ConstituencyFor is the constituency of an organisation's kind (the
// inverse of OrgKind), or "" for a region.
func ConstituencyFor(k orgs.Kind) ConstituencyKind {
	for _, c := range ConstituencyKinds {
		if c.OrgKind() == k {
			return c
		}
	}
	return ""
}

// OrgKind is the kind of organisation whose people belong to the
// constituency, or "" for those who join as guests (the local authority,
// patient representatives, the voluntary sector).
func (k ConstituencyKind) OrgKind() orgs.Kind {
	switch k {
	case Practices:
		return orgs.Practice
	case PCNs:
		return orgs.PCN
	case PlaceGroup:
		return orgs.Place
	case ICBGroup:
		return orgs.ICB
	}
	return ""
}

// Constituency is a group taking part, who signs for it, and what share of
// its members must sign for the plan to be adopted.
type Constituency struct {
	Kind ConstituencyKind `json:"kind"`
	// SignRole is the role that signs for each member organisation; for a
	// guest constituency, a guest given a signatory's join code signs.
	SignRole people.Role `json:"sign_role,omitempty"`
	NeedNum  int         `json:"need_num"` // the share that must sign: 0/1 none, 1/1 all, 2/3 …
	NeedDen  int         `json:"need_den"`
}

// Needs describes the constituency's part of the adoption rule.
func (c Constituency) Needs() string {
	switch {
	case c.NeedNum == 0:
		return "not needed"
	case c.NeedNum == c.NeedDen:
		return "all must sign"
	}
	return fmt.Sprintf("at least %d in %d must sign", c.NeedNum, c.NeedDen)
}

// MaxCap is the most priorities a plan may ever adopt.
const MaxCap = 20

// DefaultCap is how many priorities a plan adopts unless the commissioner
// says otherwise: plans fail by trying to do everything.
const DefaultCap = 5

// Round is a planning round for a footprint and period.
type Round struct {
	ID             int64          `json:"id"`
	Footprint      string         `json:"footprint"` // an organisation's ODS code
	FootprintName  string         `json:"footprint_name"`
	FootprintKind  orgs.Kind      `json:"footprint_kind"`
	Title          string         `json:"title"`
	FromYear       int            `json:"from_year"` // the first financial year: 2027 is 2027/28
	ToYear         int            `json:"to_year"`
	Phase          Phase          `json:"phase"`
	Phases         []PhasePlan    `json:"phases"`
	Constituencies []Constituency `json:"constituencies"`
	Cap            int            `json:"cap"`
	Published      bool           `json:"published"`
	CreatedBy      string         `json:"created_by"`
	CreatedAt      time.Time      `json:"created_at"`
}

// Period writes the plan's years as 2027/28–2029/30.
func (r Round) Period() string {
	if r.FromYear == r.ToYear {
		return claims.YearLabel(r.FromYear)
	}
	return claims.YearLabel(r.FromYear) + "–" + claims.YearLabel(r.ToYear)
}

// Years lists the plan's financial years.
func (r Round) Years() []int {
	var out []int
	for y := r.FromYear; y <= r.ToYear; y++ {
		out = append(out, y)
	}
	return out
}

// Constituency returns the round's constituency of kind k.
func (r Round) Constituency(k ConstituencyKind) (Constituency, bool) {
	for _, c := range r.Constituencies {
		if c.Kind == k {
			return c, true
		}
	}
	return Constituency{}, false
}

// ConstituencyNames lists the kinds taking part, as tally counts them.
func (r Round) ConstituencyNames() []string {
	var out []string
	for _, c := range r.Constituencies {
		out = append(out, string(c.Kind))
	}
	return out
}

// MemberOf says which of the round's constituencies an organisation is a
// member of, if any: one of a constituency's kind at or below the footprint
// (below), open that day if a practice; or the Place or ICB above it.
func (r Round) MemberOf(o orgs.Org, below bool, today time.Time) (ConstituencyKind, bool) {
	k := ConstituencyFor(o.Kind)
	if _, taking := r.Constituency(k); !taking || k == "" {
		return "", false
	}
	if !below && o.Kind != orgs.Place && o.Kind != orgs.ICB {
		return "", false
	}
	if o.Kind == orgs.Practice && !o.Open(today) {
		return "", false
	}
	return k, true
}

// PhasePlan returns the plan for phase p.
func (r Round) PhasePlan(p Phase) (PhasePlan, bool) {
	for _, pp := range r.Phases {
		if pp.Phase == p {
			return pp, true
		}
	}
	return PhasePlan{}, false
}

// Next is the phase after the current one that is switched on, skipping
// Adopted, which only signatures reach.
func (r Round) Next() (Phase, bool) {
	i := slices.Index(Phases, r.Phase)
	for _, p := range Phases[i+1:] {
		if p == Adopted {
			return "", false
		}
		if pp, ok := r.PhasePlan(p); ok && pp.On {
			return p, true
		}
	}
	return "", false
}

// Overdue is how many days the current phase has run past its planned end.
func (r Round) Overdue(today time.Time) int {
	pp, ok := r.PhasePlan(r.Phase)
	if !ok || pp.End.IsZero() || !today.After(pp.End) {
		return 0
	}
	return int(today.Sub(pp.End).Hours() / 24)
}

// Action is something done in a round, allowed in some phases only.
type Action string

const (
	Propose        Action = "propose"
	Endorse        Action = "endorse"
	Moderate       Action = "moderate"
	Decide         Action = "decide" // open a decision, vote in one
	AdoptPriority  Action = "adopt"
	EditPlan       Action = "edit"       // the plan's text
	EditObjectives Action = "objectives" // owners, actions, indicators, required steps: fixed once signing starts
	Freeze         Action = "freeze"
	Sign           Action = "sign"
)

// allowed names the phases each action may be taken in.
var allowed = map[Action][]Phase{
	Propose:        {Proposing},
	Endorse:        {Proposing, Shortlisting, Deciding},
	Moderate:       {Proposing, Shortlisting, Deciding},
	Decide:         {Proposing, Shortlisting, Deciding, Drafting, Consulting},
	AdoptPriority:  {Shortlisting, Deciding, Drafting},
	EditPlan:       {Drafting, Consulting, Signing},
	EditObjectives: {Shortlisting, Deciding, Drafting, Consulting},
	Freeze:         {Consulting, Signing},
	Sign:           {Signing},
}

var actionLabels = map[Action]string{
	Propose: "Priorities can be proposed", Endorse: "Priorities can be endorsed", Moderate: "Priorities can be moderated",
	Decide: "Decisions can be made", AdoptPriority: "Priorities can be adopted", EditPlan: "The plan's text can be edited",
	EditObjectives: "Objectives, actions, indicators and required steps can be changed",
	Freeze:         "A version can be frozen for signing", Sign: "The plan can be signed",
}

// Allows says whether action may be taken now, and if not, why, in words.
func (r Round) Allows(a Action) error {
	if slices.Contains(allowed[a], r.Phase) {
		return nil
	}
	var when []string
	for _, p := range allowed[a] {
		if pp, ok := r.PhasePlan(p); ok && pp.On {
			when = append(when, strings.ToLower(p.Label()))
		}
	}
	msg := fmt.Sprintf("%s only while the round is %s; it is now at %s.", actionLabels[a], strings.Join(when, " or "), strings.ToLower(r.Phase.Label()))
	if len(when) == 0 {
		msg = fmt.Sprintf("%s in no phase of this round; it is now at %s.", actionLabels[a], strings.ToLower(r.Phase.Label()))
	}
	return problem.New(problem.Conflict, "%s", msg)
}

// RoundInput is what a commissioner fills in to open a round.
type RoundInput struct {
	Title          string
	FromYear       int
	ToYear         int
	Phases         []PhasePlan // Proposing … Signing, in order
	Constituencies []Constituency
	Cap            int
}

// NewRound checks a round about to be opened for footprint (of kind kind).
// Errors name the field at fault.
func NewRound(in RoundInput, footprint string, kind orgs.Kind) (Round, error) {
	var errs problem.Fields
	r := Round{Footprint: footprint, FootprintKind: kind, Title: strings.TrimSpace(in.Title), FromYear: in.FromYear, ToYear: in.ToYear, Cap: in.Cap}
	if r.Cap == 0 {
		r.Cap = DefaultCap
	}
	switch n := utf8.RuneCountInString(r.Title); {
	case n == 0:
		errs.Add("title", "Enter a title for the round, like \"Primary care plan 2027 to 2030\"")
	case n > 120:
		errs.Add("title", "The title must be 120 characters or fewer")
	}
	switch {
	case in.FromYear < 2020 || in.FromYear > 2100:
		errs.Add("from_year", "Enter the plan's first year, like 2027 for 2027/28")
	case in.ToYear < in.FromYear || in.ToYear > in.FromYear+9:
		errs.Add("to_year", fmt.Sprintf("The last year must be from %d to %d (a plan of up to ten years)", in.FromYear, in.FromYear+9))
	}
	if err := CheckCap(r.Cap, 0); err != nil {
		errs = append(errs, problem.FieldsOf(err)...)
	}
	if err := checkPhases(in.Phases, &errs); err == nil {
		r.Phases = append(slices.Clone(in.Phases), PhasePlan{Phase: Adopted, On: true})
		for _, pp := range r.Phases {
			if pp.On {
				r.Phase = pp.Phase
				break
			}
		}
	}
	if len(in.Constituencies) == 0 {
		errs.Add("constituencies", "Choose at least one constituency to take part")
	}
	anyNeeded := false
	for _, c := range in.Constituencies {
		field := "need_" + string(c.Kind)
		if c.NeedDen < 1 || c.NeedNum < 0 || c.NeedNum > c.NeedDen {
			errs.Add(field, c.Kind.Label()+": the share that must sign is none, all, or a fraction like 2/3")
			continue
		}
		if c.NeedNum > 0 {
			anyNeeded = true
		}
		if k := c.Kind.OrgKind(); k != "" {
			if c.SignRole == "" || !slices.Contains(c.SignRole.GrantableAt(), k) {
				errs.Add("sign_"+string(c.Kind), fmt.Sprintf("%s: choose a role held at a %s to sign for it", c.Kind.Label(), strings.ToLower(k.Label())))
			}
		} else if c.SignRole != "" {
			errs.Add("sign_"+string(c.Kind), c.Kind.Label()+" join as guests: a guest given a signatory's join code signs for them")
		}
	}
	if len(in.Constituencies) > 0 && !anyNeeded {
		errs.Add("constituencies", "The adoption rule needs at least one constituency to sign")
	}
	r.Constituencies = in.Constituencies
	if err := errs.Err(); err != nil {
		return Round{}, err
	}
	return r, nil
}

// checkPhases: the phases in order, at least one on, each on phase's dates
// in order, and each starting the day after the one before it ends.
func checkPhases(ps []PhasePlan, errs *problem.Fields) error {
	before := len(*errs)
	if len(ps) != len(Phases)-1 {
		errs.Add("phases", "Give the dates of each phase from proposing to signing")
		return errs.Err()
	}
	var prev *PhasePlan
	on := 0
	for i := range ps {
		p := &ps[i]
		if p.Phase != Phases[i] {
			errs.Add("phases", "The phases must be in order, proposing to signing")
			return errs.Err()
		}
		if !p.On {
			continue
		}
		on++
		field := "start_" + string(p.Phase)
		switch {
		case p.Start.IsZero() || p.End.IsZero():
			errs.Add(field, p.Phase.Label()+": enter the day it starts and the day it ends")
		case p.End.Before(p.Start):
			errs.Add("end_"+string(p.Phase), p.Phase.Label()+": it cannot end before it starts")
		case prev != nil && !p.Start.Equal(prev.End.AddDate(0, 0, 1)):
			errs.Add(field, fmt.Sprintf("%s must start the day after %s ends (%s), so that the phases chain",
				p.Phase.Label(), strings.ToLower(prev.Phase.Label()), prev.End.AddDate(0, 0, 1).Format("2 January 2006")))
		}
		if !p.Start.IsZero() && !p.End.IsZero() {
			prev = p
		}
	}
	if on == 0 {
		errs.Add("phases", "Switch on at least one phase")
	}
	if len(*errs) > before {
		return errs.Err()
	}
	return nil
}

// ChainFrom lays out the phases switched on one after another from start,
// each lasting the given number of days: the dates a form suggests.
func ChainFrom(start time.Time, days map[Phase]int, off map[Phase]bool) []PhasePlan {
	var out []PhasePlan
	d := start
	for _, p := range Phases[:len(Phases)-1] {
		pp := PhasePlan{Phase: p, On: !off[p]}
		if pp.On {
			n := max(days[p], 1)
			pp.Start, pp.End = d, d.AddDate(0, 0, n-1)
			d = pp.End.AddDate(0, 0, 1)
		}
		out = append(out, pp)
	}
	return out
}

// CanPublish says whether the round's plan may be published: once adopted.
func (r Round) CanPublish() error {
	if r.Phase != Adopted {
		return problem.New(problem.Conflict, "Only an adopted plan is published: it is adopted when enough constituencies have signed.")
	}
	return nil
}

// ParseShare reads an adoption share: "none", "all", or "2/3".
func ParseShare(s string) (num, den int, err error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "none", "0":
		return 0, 1, nil
	case "all", "1", "1/1":
		return 1, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	if ok {
		n, errN := strconv.Atoi(strings.TrimSpace(a))
		d, errD := strconv.Atoi(strings.TrimSpace(b))
		if errN == nil && errD == nil && d > 0 && n >= 0 && n <= d {
			return n, d, nil
		}
	}
	return 0, 0, fmt.Errorf("%q is not a share: write none, all, or a fraction like 2/3", s)
}
