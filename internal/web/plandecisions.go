package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/tally"
)

// openDecision puts a question on some open priorities to the round.
func (s *Server) openDecision(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	if err := v.round.Allows(plans.Decide); err != nil {
		return s.decisionProblem(w, r, rq, v, err)
	}
	all, err := decodeAll(r) // a form's option boxes are then in r.PostForm too
	if err != nil {
		return err
	}
	in := plans.DecisionInput{Title: all["title"], Method: all["method"], Criteria: all["criteria"]}
	for _, b := range []struct {
		field string
		dst   *bool
	}{{"anonymous", &in.Anonymous}, {"show_while_open", &in.ShowWhileOn}} {
		val, ok := boolField(all[b.field])
		if !ok {
			return s.decisionProblem(w, r, rq, v, problem.OnField(problem.Invalid, b.field, fmt.Sprintf("%s is ticked or not: send true or false, not %q", b.field, all[b.field])))
		}
		*b.dst = val
	}
	if all["dots"] != "" {
		n, err := wholeNumber(all["dots"])
		if err != nil {
			return s.decisionProblem(w, r, rq, v, problem.OnField(problem.Invalid, "dots", "Enter the dots each person has as a whole number, like 8"))
		}
		in.Dots = n
	}
	// The options: ticked boxes (option=3&option=5) or "options": "3,5".
	var raw []string
	if r.PostForm != nil {
		raw = r.PostForm["option"]
	}
	if o := all["options"]; o != "" {
		raw = append(raw, strings.Split(o, ",")...)
	}
	for _, x := range raw {
		id, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return s.decisionProblem(w, r, rq, v, problem.OnField(problem.Invalid, "options", fmt.Sprintf("%q is not a priority's number", x)))
		}
		in.Options = append(in.Options, id)
	}
	ps, err := s.store.Priorities(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	open := map[int64]bool{}
	for _, p := range ps {
		open[p.ID] = p.Decidable()
	}
	d, err := plans.NewDecision(in, open)
	if err != nil {
		return s.decisionProblem(w, r, rq, v, err)
	}
	if d.ID, err = s.store.OpenDecision(r.Context(), rq.actor(), v.round, d); err != nil {
		return err
	}
	d.Round, d.OpenedBy, d.OpenedAt = v.round.ID, rq.actor(), s.now()
	return s.done(w, r, fmt.Sprintf("/plans/%d/decisions/%d", v.round.ID, d.ID), "opened", d)
}

// boolField reads a tick box (as a form or JSON sends it): ok is false for
// anything that is neither ticked nor unticked, so that "yes" is not read
// as no.
func boolField(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "on":
		return true, true
	case "", "0", "false", "off":
		return false, true
	}
	return false, false
}

// viewDecision is planView and the decision named in the path.
func (s *Server) viewDecision(r *http.Request, rq *request) (planViewer, plans.Decision, error) {
	v, err := s.planView(r, rq)
	if err != nil {
		return v, plans.Decision{}, err
	}
	d, err := s.decisionOf(r, v)
	return v, d, err
}

// decisionOf loads the decision named in the path, of the viewer's round.
func (s *Server) decisionOf(r *http.Request, v planViewer) (plans.Decision, error) {
	id, err := strconv.ParseInt(r.PathValue("did"), 10, 64)
	if err != nil {
		return plans.Decision{}, problem.New(problem.NotFound, "There is no such decision.")
	}
	return s.store.Decision(r.Context(), v.round.ID, id)
}

// visibleResult is the one place a decision's count is made for anyone to
// see: nil while the decision is open and its results hidden, so that no
// page, export, API answer or live event can show what it does not have.
func (s *Server) visibleResult(ctx context.Context, v planViewer, d plans.Decision) (*tally.Result, error) {
	if !d.ShowResults() {
		return nil, nil
	}
	ballots, err := s.store.Ballots(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	res := tally.Count(d.Tally(), v.round.ConstituencyNames(), ballots)
	if d.Anonymous {
		if res.Voters < plans.MinGroup {
			return nil, nil // with one or two voters, the count is their ballots
		}
		plans.HideSmallGroups(&res)
	}
	return &res, nil
}

type optionView struct {
	ID    int64
	Title string
	Value string // what the viewer typed, when a form is redrawn
	Parts []string
}

type decisionData struct {
	Round        plans.Round            `json:"round"`
	Decision     plans.Decision         `json:"decision"`
	Titles       map[int64]string       `json:"titles"`
	Turnout      map[string]int         `json:"turnout"`
	Roll         []store.VoterRow       `json:"voter_roll"`
	Result       *tally.Result          `json:"result,omitempty"`
	Voted        bool                   `json:"voted"`
	CanVote      bool                   `json:"-"`
	Facilitator  bool                   `json:"-"`
	Options      []optionView           `json:"-"`
	Answers      []string               `json:"-"`
	Places       []int                  `json:"-"`
	Scores       []int                  `json:"-"`
	Form         map[string]string      `json:"-"`
	Explain      string                 `json:"-"`
	Constituency plans.ConstituencyKind `json:"-"`
	Live         bool                   `json:"-"` // drawn inside the workshop page
	Paper        map[string]string      `json:"-"` // the paper ballots form as sent, when it is drawn again with a problem
}

func (s *Server) decisionPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, d, err := s.viewDecision(r, rq)
	if err != nil {
		return err
	}
	return s.renderDecision(w, r, rq, v, d, http.StatusOK, nil, nil)
}

func (s *Server) decisionData(ctx context.Context, rq *request, v planViewer, d plans.Decision, form map[string]string) (decisionData, error) {
	v.round.CreatedBy, d.OpenedBy = v.staffName(v.round.CreatedBy), v.staffName(d.OpenedBy)
	dd := decisionData{Round: v.round, Decision: d, Titles: map[int64]string{}, Facilitator: v.Facilitator, Form: form,
		Answers: d.Method.Answers(), Explain: d.Method.Explain(), Scores: []int{0, 1, 2, 3, 4, 5}}
	if d.ID == 0 { // the away day's screen with no question up
		return dd, nil
	}
	ps, err := s.store.Priorities(ctx, v.round.ID)
	if err != nil {
		return dd, err
	}
	dd.Titles = titlesOf(ps)
	for i := range d.Options {
		dd.Places = append(dd.Places, i+1)
	}
	for _, o := range d.Options {
		dd.Options = append(dd.Options, optionView{ID: o, Title: dd.Titles[o]})
	}
	if dd.Turnout, err = s.store.Turnout(ctx, d.ID); err != nil {
		return dd, err
	}
	if dd.Roll, err = s.store.Voters(ctx, d.ID); err != nil {
		return dd, err
	}
	if vt, ok := v.voter(rq); ok {
		dd.Constituency = vt.Constituency
		if dd.Voted, err = s.store.HasVoted(ctx, d.ID, vt.Key); err != nil {
			return dd, err
		}
		dd.CanVote = !dd.Voted && !d.Closed
	}
	dd.Result, err = s.visibleResult(ctx, v, d)
	return dd, err
}

func (s *Server) renderDecision(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, d plans.Decision, status int, form map[string]string, errs problem.Fields) error {
	dd, err := s.decisionData(r.Context(), rq, v, d, form)
	if err != nil {
		return err
	}
	return s.drawDecision(w, r, rq, d, dd, status, errs)
}

// renderDecisionPaper draws the decision with the paper ballots form as
// sent, and one's own ballot empty.
func (s *Server) renderDecisionPaper(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, d plans.Decision, status int, paper map[string]string, errs problem.Fields) error {
	dd, err := s.decisionData(r.Context(), rq, v, d, nil)
	if err != nil {
		return err
	}
	dd.Paper = paper
	return s.drawDecision(w, r, rq, d, dd, status, errs)
}

func (s *Server) drawDecision(w http.ResponseWriter, r *http.Request, rq *request, d plans.Decision, dd decisionData, status int, errs problem.Fields) error {
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, dd)
	}
	return s.render(w, r, rq, status, "plan_decision", page{Title: d.Title, Nav: "plans", Errors: errs, Data: dd, Notice: planNotice(r)})
}

// ballotFrom reads a ballot from the form's fields: dots_<id>, rank_<id>,
// answer_<id>, or score_<id>_<criterion>.
func ballotFrom(d plans.Decision, all map[string]string) (tally.Ballot, error) {
	b := tally.Ballot{Weight: 1, Marks: map[int64]int{}, Scores: map[int64][]int{}}
	// A mark for something not on the ballot is refused, not dropped.
	for k := range all {
		for _, prefix := range []string{"dots_", "rank_", "answer_", "score_"} {
			rest, ok := strings.CutPrefix(k, prefix)
			if !ok {
				continue
			}
			idText, _, _ := strings.Cut(rest, "_")
			id, err := strconv.ParseInt(idText, 10, 64)
			if err != nil || !slices.Contains(d.Options, id) {
				return b, problem.OnField(problem.Invalid, "ballot", fmt.Sprintf("%s is not part of this decision: vote only on the priorities it lists", k))
			}
		}
	}
	num := func(field string) (int, bool, error) {
		raw := strings.TrimSpace(all[field])
		if raw == "" {
			return 0, false, nil
		}
		n, err := wholeNumber(raw)
		if err != nil {
			return 0, false, problem.OnField(problem.Invalid, field, fmt.Sprintf("Enter a whole number, not %q", raw))
		}
		return n, true, nil
	}
	prefix := map[tally.Method]string{tally.Dots: "dots_", tally.Ranked: "rank_"}[d.Method]
	if prefix == "" {
		prefix = "answer_"
	}
	for _, o := range d.Options {
		id := strconv.FormatInt(o, 10)
		if d.Method != tally.Score {
			n, ok, err := num(prefix + id)
			if err != nil {
				return b, err
			}
			if ok {
				b.Marks[o] = n
			}
			continue
		}
		for ci := range d.Criteria {
			n, ok, err := num(fmt.Sprintf("score_%s_%d", id, ci))
			if err != nil {
				return b, err
			}
			if ok {
				b.Scores[o] = append(b.Scores[o], n)
			}
		}
	}
	return b, nil
}

// vote casts the participant's ballot, once, while the decision is open.
func (s *Server) vote(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, d, err := s.viewDecision(r, rq)
	if err != nil {
		return err
	}
	vt, ok := v.voter(rq)
	if !ok {
		return problem.New(problem.Forbidden, "Only those taking part in the round vote, each for their own constituency.")
	}
	all, err := decodeAll(r)
	if err != nil {
		return err
	}
	again := func(err error) error {
		return redraw(r, err, "ballot", all, func(status int, typed map[string]string, fs problem.Fields) error {
			return s.renderDecision(w, r, rq, v, d, status, typed, fs)
		})
	}
	if d.Closed {
		return again(problem.New(problem.Conflict, "This decision has closed: votes are no longer taken."))
	}
	if err := v.round.Allows(plans.Decide); err != nil {
		return again(err)
	}
	if k := plans.ConstituencyKind(all["constituency"]); k != "" && k != vt.Constituency {
		// Someone with seats in several constituencies chooses which to
		// vote for; nobody votes for one they have no seat in.
		if !slices.ContainsFunc(v.Seats, func(st plans.Seat) bool { return st.Kind == k }) {
			return problem.New(problem.Forbidden, "You vote for %s: you have no seat in %s, so cannot vote for it.", vt.Constituency.Label(), k.Label())
		}
		vt.Constituency = k
	}
	b, err := ballotFrom(d, all)
	if err != nil {
		return again(err)
	}
	b.Constituency = string(vt.Constituency)
	if err := d.Tally().Check(b, func(int64) string { return "" }); err != nil {
		// Read the titles only for a ballot that is wrong, to name them.
		ps, perr := s.store.Priorities(r.Context(), v.round.ID)
		if perr != nil {
			return perr
		}
		titles := titlesOf(ps)
		err = d.Tally().Check(b, func(o int64) string { return titles[o] })
		return again(problem.OnField(problem.Invalid, "ballot", plans.Capital(err.Error())))
	}
	if err := s.store.CastBallot(r.Context(), v.round, d, vt, b); err != nil {
		return again(err)
	}
	to := fmt.Sprintf("/plans/%d/decisions/%d", v.round.ID, d.ID)
	if all["back"] == "workshop" {
		to = fmt.Sprintf("/plans/%d/workshop", v.round.ID)
	}
	return s.done(w, r, to, "voted", map[string]any{"decision": d.ID, "voted": true})
}

// facilitatorDecision reads, for a facilitator's form on a decision, the
// round, the decision and what was sent.
func (s *Server) facilitatorDecision(r *http.Request, rq *request) (planViewer, plans.Decision, map[string]string, error) {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return v, plans.Decision{}, nil, err
	}
	d, err := s.decisionOf(r, v)
	if err != nil {
		return v, d, nil, err
	}
	all, err := decodeAll(r)
	return v, d, all, err
}

// closeDecision closes a decision: its results show from now on.
func (s *Server) closeDecision(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, d, all, err := s.facilitatorDecision(r, rq)
	if err != nil {
		return err
	}
	if err := s.store.CloseDecision(r.Context(), rq.actor(), v.round, d); err != nil {
		return err
	}
	to := fmt.Sprintf("/plans/%d/decisions/%d", v.round.ID, d.ID)
	if all["back"] == "console" {
		to = fmt.Sprintf("/plans/%d/workshop/console", v.round.ID)
	}
	return s.done(w, r, to, "closed", map[string]any{"decision": d.ID, "closed": true})
}

// enterPaper records paper ballots for a constituency, with a reason.
func (s *Server) enterPaper(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, d, all, err := s.facilitatorDecision(r, rq)
	if err != nil {
		return err
	}
	again := func(err error) error {
		return redraw(r, err, "paper", all, func(status int, typed map[string]string, fs problem.Fields) error {
			for i := range fs {
				fs[i].Name = "paper" // the form's problems are shown on it, not on one's own ballot
			}
			return s.renderDecisionPaper(w, r, rq, v, d, status, typed, fs)
		})
	}
	count, err := wholeNumber(all["count"])
	if err != nil {
		return again(problem.OnField(problem.Invalid, "count", "Enter how many identical paper ballots, as a whole number"))
	}
	p := plans.PaperTally{Constituency: plans.ConstituencyKind(all["constituency"]), Count: count, Reason: strings.TrimSpace(all["reason"])}
	if err := plans.CheckPaper(p, v.round); err != nil {
		return again(err)
	}
	b, err := ballotFrom(d, all)
	if err != nil {
		return again(err)
	}
	b.Constituency = string(p.Constituency)
	if err := d.Tally().Check(b, func(o int64) string { return "priority " + strconv.FormatInt(o, 10) }); err != nil {
		return again(problem.OnField(problem.Invalid, "ballot", plans.Capital(err.Error())))
	}
	if err := s.store.EnterPaper(r.Context(), rq.actor(), v.round, d, p, b); err != nil {
		return again(err)
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d/decisions/%d", v.round.ID, d.ID), "paper", map[string]any{"decision": d.ID, "entered": count})
}

// resultsCSV downloads a closed decision's count (or, while its results are
// hidden, refuses: the export shows nothing a page would not).
func (s *Server) resultsCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, d, err := s.viewDecision(r, rq)
	if err != nil {
		return err
	}
	res, err := s.visibleResult(r.Context(), v, d)
	if err != nil {
		return err
	}
	if res == nil && d.Closed {
		return problem.New(problem.Conflict, "Fewer than %d people voted in this anonymous vote, so its result is not shown: it would show how they voted.", plans.MinGroup)
	}
	if res == nil {
		return problem.New(problem.Conflict, "The results of this decision are hidden until it closes.")
	}
	ps, err := s.store.Priorities(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	titles := titlesOf(ps)
	cw := csvDownload(w, fmt.Sprintf("decision-%d-results.csv", d.ID))
	head := []string{"Place", "Priority", "Consensus score"}
	switch d.Method {
	case tally.Dots:
		head = append(head, "Dots")
	case tally.Score:
		head = append(head, "Mean score")
		head = append(head, d.Criteria...)
	case tally.Ranked:
		head = append(head, "First choices")
	default:
		head = append(head, d.Method.Answers()...)
	}
	for _, k := range v.round.ConstituencyNames() {
		head = append(head, plans.ConstituencyKind(k).Label()+" support", plans.ConstituencyKind(k).Label()+" voters")
	}
	cw.Write(head)
	for _, o := range res.Options {
		row := []string{strconv.Itoa(o.Place), titles[o.ID], strconv.FormatFloat(o.Consensus, 'f', 4, 64)}
		switch d.Method {
		case tally.Dots:
			row = append(row, strconv.Itoa(o.Dots))
		case tally.Score:
			row = append(row, strconv.FormatFloat(o.Mean, 'f', 2, 64))
			for _, m := range o.CriterionMeans {
				row = append(row, strconv.FormatFloat(m, 'f', 2, 64))
			}
		case tally.Ranked:
			row = append(row, strconv.Itoa(o.FirstChoices))
		default:
			for _, c := range o.Counts {
				row = append(row, strconv.Itoa(c))
			}
		}
		for _, k := range v.round.ConstituencyNames() {
			sp := o.ByConstituency[k]
			if sp.Withheld {
				row = append(row, "not shown", "fewer than 3")
				continue
			}
			row = append(row, strconv.Itoa(sp.Agree), strconv.Itoa(sp.Votes))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
