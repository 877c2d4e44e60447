package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/tally"
)

// planViewer is where the person asking stands towards one planning round,
// as plans.AccessFor decides it (or as its guest), once a request.
type planViewer struct {
	round plans.Round
	plans.Access
	guest   *plans.Guest // a guest of this round
	members map[string]plans.ConstituencyKind
	names   map[string]string
}

// participant says whether the viewer takes part: proposes, endorses, votes.
func (v planViewer) participant() bool { return v.guest != nil || len(v.Seats) > 0 }

// voter is who votes, and for which constituency: a guest for theirs; a
// person for the constituency of their first seat (signing seats first).
func (v planViewer) voter(rq *request) (plans.Voter, bool) {
	switch {
	case v.guest != nil:
		return plans.Voter{Key: v.guest.Key(), Name: v.guest.Display(), Constituency: v.guest.Constituency}, true
	case len(v.Seats) > 0:
		return plans.Voter{Key: "user:" + strconv.FormatInt(rq.user.ID, 10), Name: rq.user.Name, Constituency: v.Seats[0].Kind}, true
	}
	return plans.Voter{}, false
}

// signingSeats are the seats the viewer signs for: a role that signs for a
// member organisation, or a guest with a signatory's code.
func (v planViewer) signingSeats() []plans.Seat {
	if v.guest != nil {
		if v.guest.Signatory {
			return []plans.Seat{{Kind: v.guest.Constituency}}
		}
		return nil
	}
	var out []plans.Seat
	for _, st := range v.Seats {
		if st.CanSign(v.round) && !slices.ContainsFunc(out, func(o plans.Seat) bool { return o.Org == st.Org }) {
			out = append(out, st)
		}
	}
	return out
}

func errNoRound(id string) error {
	return problem.New(problem.NotFound, "There is no planning round %s, or you do not take part in it.", id)
}

// planView loads the round named in the path and asks plans.AccessFor what
// the person asking may do in it. Someone with no part in it is told it
// does not exist, in the words used for one that does not.
func (s *Server) planView(r *http.Request, rq *request) (planViewer, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return planViewer{}, errNoRound(raw)
	}
	if rq.guest != nil && rq.guest.Round != id {
		return planViewer{}, errNoRound(raw) // a guest sees their own round and nothing else
	}
	round, err := s.store.Round(r.Context(), id)
	if problem.KindOf(err) == problem.NotFound {
		return planViewer{}, errNoRound(raw)
	}
	if err != nil {
		return planViewer{}, err
	}
	v := planViewer{round: round, guest: rq.guest}
	chain, err := s.ancestry(r.Context(), rq, round.Footprint)
	if err != nil {
		return v, err
	}
	below, err := s.scope(r.Context(), rq, []string{round.Footprint})
	if err != nil {
		return v, err
	}
	if v.members, v.names, err = s.store.PlanMembers(r.Context(), round, below, chain, rq.today); err != nil {
		return v, err
	}
	if rq.guest != nil {
		return v, nil
	}
	v.Access, err = plans.AccessFor(round, rq.user.Grants, chain, v.members, func(org string) ([]string, error) { return s.ancestry(r.Context(), rq, org) })
	if err != nil {
		return v, err
	}
	if !v.Sees() {
		return v, errNoRound(raw)
	}
	return v, nil
}

// planFacilitator is planView for what only a facilitator may do.
func (s *Server) planFacilitator(r *http.Request, rq *request) (planViewer, error) {
	v, err := s.planView(r, rq)
	if err != nil {
		return v, err
	}
	if !v.Facilitator {
		return v, problem.New(problem.Forbidden, "Only a commissioner of %s or above facilitates this round.", v.round.FootprintName)
	}
	return v, nil
}

// memberCounts is each constituency's number of members for the adoption
// rule: organisations, or the guests given a signatory's code.
func (s *Server) memberCounts(ctx context.Context, v planViewer) (map[plans.ConstituencyKind]int, error) {
	out := map[plans.ConstituencyKind]int{}
	for _, k := range v.members {
		out[k]++
	}
	g, err := s.store.GuestSignatories(ctx, v.round.ID)
	for k, n := range g {
		out[k] += n
	}
	return out, err
}

type roundsData struct {
	Rounds  []plans.Round `json:"rounds"`
	CanOpen bool          `json:"-"`
}

// plansPage lists the rounds the person takes part in or oversees.
func (s *Server) plansPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	seen := map[string]bool{}
	for _, g := range rq.user.Grants {
		chain, err := s.ancestry(r.Context(), rq, g.OrgCode)
		if err != nil {
			return err
		}
		for _, c := range chain {
			seen[c] = true
		}
		below, err := s.scope(r.Context(), rq, []string{g.OrgCode})
		if err != nil {
			return err
		}
		for c := range below {
			seen[c] = true
		}
	}
	rounds, err := s.store.RoundsIn(r.Context(), slices.Sorted(maps.Keys(seen)))
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "plans", page{Title: "Shared plans", Nav: "plans",
		Data: roundsData{Rounds: rounds, CanOpen: people.Authorize(rq.user.Grants, people.ManagePlans, nil)}})
}

type newRoundData struct {
	Footprints []string // value, label pairs
	Roles      []string
	Kinds      []plans.ConstituencyKind
	Phases     []plans.Phase
	Form       map[string]string
}

// footprintOptions are the organisations where the person may open a
// round from the form: those where they hold plans.manage (a round for one
// below them is opened through the API, naming its code).
func (s *Server) footprintOptions(ctx context.Context, rq *request) ([]string, error) {
	var out []string
	for _, code := range roots(rq.user, people.ManagePlans) {
		o, err := s.store.Org(ctx, code)
		if err != nil {
			return nil, err
		}
		out = append(out, o.Code, o.Name+" ("+o.Kind.Label()+")")
	}
	return out, nil
}

func (s *Server) newRoundPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderNewRound(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderNewRound(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	opts, err := s.footprintOptions(r.Context(), rq)
	if err != nil {
		return err
	}
	if form == nil {
		start := rq.today.AddDate(0, 0, 7)
		y := claims.FinancialYear(start)
		form = map[string]string{"from_year": strconv.Itoa(y + 1), "to_year": strconv.Itoa(y + 3), "cap": strconv.Itoa(plans.DefaultCap),
			"sign_icb": string(people.Commissioner), "sign_place": string(people.Commissioner), "sign_pcns": string(people.PCNClinicalDirector),
			"sign_practices": string(people.PracticeManager), "need_icb": "all", "need_place": "all", "need_pcns": "2/3", "need_practices": "none",
			"need_local_authority": "none", "need_patients": "none", "need_voluntary": "none",
			"take_place": "1", "take_pcns": "1", "take_practices": "1", "take_patients": "1"}
		for _, pp := range plans.ChainFrom(start, map[plans.Phase]int{plans.Proposing: 28, plans.Shortlisting: 14, plans.Deciding: 14,
			plans.Drafting: 28, plans.Consulting: 42, plans.Signing: 28}, nil) {
			form["on_"+string(pp.Phase)] = "1"
			form["start_"+string(pp.Phase)] = pp.Start.Format(time.DateOnly)
			form["end_"+string(pp.Phase)] = pp.End.Format(time.DateOnly)
		}
		if len(opts) > 0 {
			form["footprint"] = opts[0]
		}
	}
	var roles []string
	for _, ro := range people.Roles {
		roles = append(roles, string(ro), ro.Label())
	}
	return s.render(w, r, rq, status, "plan_new", page{Title: "Open a planning round", Nav: "plans", Errors: errs,
		Data: newRoundData{Footprints: opts, Roles: roles, Kinds: plans.ConstituencyKinds, Phases: plans.Phases[:len(plans.Phases)-1], Form: form}})
}

// createRound opens a round from the form (or the same fields as JSON).
func (s *Server) createRound(w http.ResponseWriter, r *http.Request, rq *request) error {
	fields := []string{"footprint", "title", "from_year", "to_year", "cap"}
	for _, p := range plans.Phases[:len(plans.Phases)-1] {
		fields = append(fields, "on_"+string(p), "start_"+string(p), "end_"+string(p))
	}
	for _, k := range plans.ConstituencyKinds {
		fields = append(fields, "take_"+string(k), "sign_"+string(k), "need_"+string(k))
	}
	form, err := decodeOnly(r, fields...)
	if err != nil {
		return err
	}
	var errs problem.Fields
	in := plans.RoundInput{Title: form["title"]}
	num := func(name, msg string) int {
		n, err := wholeNumber(form[name])
		if (err != nil || n > 1_000_000) && strings.TrimSpace(form[name]) != "" {
			errs.Add(name, msg)
			return 0
		}
		return n
	}
	in.FromYear = num("from_year", "Enter the first year as four digits, like 2027")
	in.ToYear = num("to_year", "Enter the last year as four digits, like 2029")
	in.Cap = num("cap", "Enter the most priorities as a whole number, like 5")
	for _, p := range plans.Phases[:len(plans.Phases)-1] {
		pp := plans.PhasePlan{Phase: p, On: form["on_"+string(p)] != ""}
		if pp.On {
			for _, part := range []struct {
				name string
				dst  *time.Time
			}{{"start_" + string(p), &pp.Start}, {"end_" + string(p), &pp.End}} {
				if t, err := parseDay(strings.TrimSpace(form[part.name])); err == nil {
					*part.dst = t
				} else if form[part.name] != "" {
					errs.Add(part.name, fmt.Sprintf("%s: enter a date like 2027-01-04", p.Label()))
				}
			}
		}
		in.Phases = append(in.Phases, pp)
	}
	for _, k := range plans.ConstituencyKinds {
		if form["take_"+string(k)] == "" {
			continue
		}
		c := plans.Constituency{Kind: k}
		if k.OrgKind() != "" {
			c.SignRole = people.Role(form["sign_"+string(k)])
		}
		var err error
		if c.NeedNum, c.NeedDen, err = plans.ParseShare(form["need_"+string(k)]); err != nil {
			errs.Add("need_"+string(k), k.Label()+": "+err.Error())
			c.NeedDen = 1
		}
		in.Constituencies = append(in.Constituencies, c)
	}
	fp := strings.TrimSpace(form["footprint"])
	o, err := s.store.Org(r.Context(), fp)
	if problem.KindOf(err) == problem.NotFound {
		errs.Add("footprint", "Choose the organisation the plan is for")
	} else if err != nil {
		return err
	} else if ok, err := s.can(r.Context(), rq, people.ManagePlans, fp); err != nil {
		return err
	} else if !ok {
		errs.Add("footprint", "You can open a round only for an organisation where you are a commissioner, or one below it")
	}
	round, err := plans.NewRound(in, fp, o.Kind)
	if err != nil {
		errs = append(errs, problem.FieldsOf(err)...)
	}
	if len(errs) > 0 {
		if wantsJSON(r) {
			return errs.Err()
		}
		return s.renderNewRound(w, r, rq, http.StatusUnprocessableEntity, form, errs)
	}
	id, err := s.store.CreateRound(r.Context(), rq.actor(), round)
	if err != nil {
		return err
	}
	round.ID = id
	return s.done(w, r, fmt.Sprintf("/plans/%d", id), "opened", round)
}

// priorityView is a priority on the round page.
type priorityView struct {
	plans.Priority
	Endorsed bool
	Evidence []evidenceView
	Comments []plans.Comment
}

type evidenceView struct {
	Label string
	Value string
	Trend string
}

type roundData struct {
	Round             plans.Round               `json:"round"`
	Priorities        []plans.Priority          `json:"priorities"`
	Comments          map[int64][]plans.Comment `json:"comments"` // by priority
	Decisions         []plans.Decision          `json:"decisions"`
	Guests            []plans.Guest             `json:"guests,omitempty"`
	Seats             []plans.Seat              `json:"seats"`
	Facilitator       bool                      `json:"facilitator"`
	Views             []priorityView            `json:"-"`
	Open              []priorityView            `json:"-"`
	Adopted           int                       `json:"-"`
	Next              plans.Phase               `json:"-"`
	Overdue           int                       `json:"-"`
	Participant       bool                      `json:"-"`
	CanPropose        bool                      `json:"-"`
	CanEndorse        bool                      `json:"-"`
	CanModerate       bool                      `json:"-"`
	CanAdopt          bool                      `json:"-"`
	CanDecide         bool                      `json:"-"`
	Measures          []string                  `json:"-"` // value, label pairs for evidence
	EvidenceOrg       []string                  `json:"-"`
	Methods           []tally.Method            `json:"-"`
	Form              map[string]string         `json:"-"`
	GuestName         string                    `json:"-"`
	DecisionTyped     map[string]string         `json:"-"` // the decision form as sent, when it is drawn again
	Ticked            map[int64]bool            `json:"-"` // its priorities ticked, then
	GuestConstituency plans.ConstituencyKind    `json:"-"`
}

// roundPage is a round: its phase, priorities, decisions and (for the
// facilitator) its guests.
func (s *Server) roundPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	return s.renderRound(w, r, rq, v, http.StatusOK, nil, nil, nil)
}

// renderRound draws the round page: form is a form drawn again with what was
// typed; decision, the decision form drawn again (its boxes ticked as sent).
func (s *Server) renderRound(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, status int, form, decision map[string]string, errs problem.Fields) error {
	ctx := r.Context()
	ps, err := s.store.Priorities(ctx, v.round.ID)
	if err != nil {
		return err
	}
	ds, err := s.store.Decisions(ctx, v.round.ID)
	if err != nil {
		return err
	}
	v.round.CreatedBy = v.staffName(v.round.CreatedBy)
	for i := range ds {
		ds[i].OpenedBy = v.staffName(ds[i].OpenedBy)
	}
	d := roundData{Round: v.round, Priorities: ps, Decisions: ds, Seats: v.Seats, Facilitator: v.Facilitator, Participant: v.participant(),
		Methods: tally.Methods, Form: form, Overdue: v.round.Overdue(rq.today)}
	d.Next, _ = v.round.Next()
	d.CanPropose = v.participant() && v.round.Allows(plans.Propose) == nil
	d.CanEndorse = v.participant() && v.round.Allows(plans.Endorse) == nil
	d.CanModerate = v.Facilitator && v.round.Allows(plans.Moderate) == nil
	d.CanAdopt = v.Facilitator && v.round.Allows(plans.AdoptPriority) == nil
	d.CanDecide = v.Facilitator && v.round.Allows(plans.Decide) == nil
	if v.Facilitator {
		if d.Guests, err = s.store.Guests(ctx, v.round.ID); err != nil {
			return err
		}
	}
	if decision != nil {
		d.DecisionTyped, d.Ticked = decision, map[int64]bool{}
		for _, o := range r.PostForm["option"] {
			if id, err := strconv.ParseInt(o, 10, 64); err == nil {
				d.Ticked[id] = true
			}
		}
	}
	if d.Comments, err = s.store.Comments(ctx, v.round.ID); err != nil {
		return err
	}
	var endorsed map[int64]bool
	if vt, ok := v.voter(rq); ok {
		if endorsed, err = s.store.Endorsed(ctx, v.round.ID, vt.Key); err != nil {
			return err
		}
	}
	for _, p := range ps {
		pv := priorityView{Priority: p, Endorsed: endorsed[p.ID], Comments: d.Comments[p.ID]}
		for _, e := range p.Evidence {
			ev, err := s.evidenceView(ctx, rq, e)
			if err != nil {
				return err
			}
			pv.Evidence = append(pv.Evidence, ev)
		}
		if p.Status == plans.Chosen {
			d.Adopted++
		}
		d.Views = append(d.Views, pv)
		if p.Status == plans.Open {
			d.Open = append(d.Open, pv)
		}
	}
	if d.CanPropose {
		if d.Measures, err = s.measureOptions(ctx); err != nil {
			return err
		}
		d.EvidenceOrg = evidenceOrgs(v)
	}
	if rq.guest != nil {
		d.GuestName, d.GuestConstituency = rq.guest.Display(), rq.guest.Constituency
	}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "plan_round", page{Title: v.round.Title, Nav: "plans", Errors: errs, Data: d, Notice: planNotice(r)})
}

// evidenceOrgs are the organisations a figure may be attached for: the
// footprint and its members, by name.
func evidenceOrgs(v planViewer) []string {
	out := []string{v.round.Footprint, v.round.FootprintName}
	codes := slices.Sorted(maps.Keys(v.members))
	for _, c := range codes {
		if c != v.round.Footprint {
			out = append(out, c, v.names[c])
		}
	}
	return out
}

// roundProblem shows a bad form on the round page, or the error.
func (s *Server) roundProblem(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, err error) error {
	return redraw(r, err, "priorities", nil, func(status int, typed map[string]string, fs problem.Fields) error {
		return s.renderRound(w, r, rq, v, status, typed, nil, fs)
	})
}

// decisionProblem shows a bad decision form on the round page, on its own
// fields (the page's other title field is the proposal's), or the error.
func (s *Server) decisionProblem(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, err error) error {
	for i, f := range problem.FieldsOf(err) {
		if f.Name == "title" {
			problem.FieldsOf(err)[i].Name = "decision-title"
		}
	}
	return redraw(r, err, "priorities", nil, func(status int, typed map[string]string, fs problem.Fields) error {
		return s.renderRound(w, r, rq, v, status, nil, typed, fs)
	})
}

// redraw shows a problem with a form on the page it came from, with what was
// typed (typed, or else the form as posted), its messages on their fields
// (or on field); any other error, and any answer to a JSON client, is
// returned as it is.
func redraw(r *http.Request, err error, field string, typed map[string]string, draw func(status int, typed map[string]string, fs problem.Fields) error) error {
	if k := problem.KindOf(err); (k != problem.Invalid && k != problem.Conflict) || wantsJSON(r) {
		return err
	}
	fs := problem.FieldsOf(err)
	if len(fs) == 0 {
		fs = problem.Fields{{Name: field, Message: problem.Message(err)}}
	}
	if typed == nil && readForm(r) == nil {
		typed = map[string]string{}
		for k := range r.PostForm {
			typed[k] = r.PostForm.Get(k)
		}
	}
	return draw(statusOf(problem.KindOf(err)), typed, fs)
}

// advancePhase moves the round to its next phase that is switched on.
func (s *Server) advancePhase(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		From string `form:"from"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if in.From != "" && plans.Phase(in.From) != v.round.Phase {
		return errRoundMovedOn
	}
	next, ok := v.round.Next()
	if !ok {
		return problem.New(problem.Conflict, "The round is at its last phase before adoption: it is adopted when enough constituencies sign.")
	}
	if err := s.store.SetPhase(r.Context(), rq.actor(), v.round, next); err != nil {
		return err
	}
	v.round.Phase = next
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), "phase", v.round)
}

var errRoundMovedOn = &problem.Error{Kind: problem.Conflict, Message: "The round moved on while you were looking: reload the page to see where it stands."}

// changeCap changes the most priorities the plan may adopt, with a reason.
func (s *Server) changeCap(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Cap    int    `form:"cap"`
		Reason string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	var errs problem.Fields
	if err := plans.CheckCap(in.Cap, 0); err != nil {
		errs = append(errs, problem.FieldsOf(err)...)
	}
	reason, f := plans.PlainText("reason", "the reason for the change", in.Reason, 500, true)
	if f != nil {
		errs = append(errs, *f)
	}
	if len(errs) > 0 {
		return s.roundProblem(w, r, rq, v, errs.Err())
	}
	if err := s.store.SetCap(r.Context(), rq.actor(), v.round, in.Cap, reason); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), "cap", map[string]int{"cap": in.Cap})
}

// publishPlan publishes an adopted plan.
func (s *Server) publishPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	if err := v.round.CanPublish(); err != nil {
		return err
	}
	if err := s.store.PublishRound(r.Context(), rq.actor(), v.round); err != nil {
		return err
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d/plan", v.round.ID), "published", map[string]bool{"published": true})
}

// planNotices are the success banners after a plan form, by the done=
// its redirect carries.
var planNotices = map[string]string{
	"opened": "Done.", "phase": "The round has moved on.", "cap": "The most priorities the plan may adopt is changed, and the reason kept in the moderation log.",
	"proposed": "Your priority is proposed. Others can now read and endorse it.", "seeded": "The priorities in the file are added.",
	"endorsed": "Your endorsement is counted.", "commented": "Your comment is added.", "merge": "The priorities are folded together; their endorsements and evidence are kept.",
	"split": "The priority is split into its parts.", "decline": "The priority is declined, with your reason.", "reopen": "The priority is open again.", "adopt": "The priority is adopted into the plan.",
	"drop": "The priority is dropped from the plan.", "voted": "Your vote is counted.", "closed": "The vote is closed: its result shows now.",
	"paper": "The paper ballots are entered.", "pushed": "The question is on everyone's screen.", "cleared": "Nothing is on anyone's screen now.", "saved": "A new version of the plan is saved.",
	"frozen": "The version is frozen: each constituency's signatory can sign it now.", "signed": "Your signature is recorded.",
	"adopted": "Your signature is recorded, and with it the plan is adopted.", "published": "The plan is published.",
	"step": "The required step is added.", "step-done": "The step is marked done.", "owner": "The objective's owner is changed.",
	"action": "The action is saved.", "indicator": "The indicator is added: its progress is read from the data.",
}

// planNotice is the banner for the form just sent, if any.
func planNotice(r *http.Request) string { return planNotices[r.URL.Query().Get("done")] }

// staffName is how a member of staff is named to the viewer: as they are,
// but to a guest, by their part only (a guest is not shown staff addresses).
func (v planViewer) staffName(email string) string {
	if v.guest != nil && email != "" {
		return "the facilitator"
	}
	return email
}

// measureOptions are the measures in use, as value, label pairs for a select.
func (s *Server) measureOptions(ctx context.Context) ([]string, error) {
	ms, err := s.store.Measures(ctx)
	var out []string
	for _, m := range ms {
		if m.Retired.IsZero() {
			out = append(out, m.ID, m.Title)
		}
	}
	return out, err
}

// titlesOf maps each priority to its title.
func titlesOf(ps []plans.Priority) map[int64]string {
	out := map[int64]string{}
	for _, p := range ps {
		out[p.ID] = p.Title
	}
	return out
}
