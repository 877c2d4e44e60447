package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
)

// seedLimit is the most a seeding CSV may hold.
const seedLimit = 2 << 20

// propose adds a priority to the round, from a participant, with the
// figures attached as evidence.
func (s *Server) propose(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	vt, ok := v.voter(rq)
	if !ok && !v.Facilitator {
		return problem.New(problem.Forbidden, "Only those taking part in the round propose priorities.")
	}
	if err := v.round.Allows(plans.Propose); err != nil && !(v.Facilitator && v.round.Allows(plans.Moderate) == nil) {
		return s.roundProblem(w, r, rq, v, err)
	}
	var in struct {
		Title       string `form:"title"`
		Problem     string `form:"problem"`
		Measure     string `form:"evidence_measure"`
		Population  bool   `form:"evidence_population"`
		EvidenceOrg string `form:"evidence_org"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	p, err := plans.NewPriority(in.Title, in.Problem)
	if err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	if in.Measure != "" || in.Population {
		org := in.EvidenceOrg
		if org == "" {
			org = v.round.Footprint
		}
		if _, ok := v.members[org]; !ok && org != v.round.Footprint {
			return s.roundProblem(w, r, rq, v, problem.OnField(problem.Invalid, "evidence_org", "Choose an organisation taking part in this round for the figure"))
		}
		if in.Measure != "" {
			if _, err := s.store.Measure(r.Context(), in.Measure); err != nil {
				return s.roundProblem(w, r, rq, v, problem.OnField(problem.Invalid, "evidence_measure", "Choose one of the access measures"))
			}
			p.Evidence = append(p.Evidence, plans.Evidence{Kind: plans.MeasureFigure, Measure: in.Measure, Org: org})
		}
		if in.Population {
			p.Evidence = append(p.Evidence, plans.Evidence{Kind: plans.PopulationFigure, Org: org})
		}
	}
	if ok {
		p.Constituency, p.ProposedBy, p.ProposerName = vt.Constituency, rq.actor(), vt.Name
	} else { // a facilitator seeding one
		p.Constituency, p.ProposedBy, p.ProposerName = plans.ConstituencyFor(v.round.FootprintKind), rq.actor(), rq.user.Name+" (facilitator)"
	}
	ids, err := s.store.AddPriorities(r.Context(), rq.actor(), v.round, []plans.Priority{p})
	if err != nil {
		return err
	}
	p.ID = ids[0]
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), "proposed", p)
}

// seedPriorities adds priorities from a CSV (Title, Problem), all or none.
func (s *Server) seedPriorities(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	if err := v.round.Allows(plans.Moderate); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	if err := readForm(r); err != nil {
		return err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return s.roundProblem(w, r, rq, v, problem.OnField(problem.Invalid, "file", "Choose a CSV file of priorities, with Title and Problem columns"))
	}
	defer f.Close()
	rows, err := plans.ParseSeeds(f, hdr.Filename)
	if err != nil {
		return s.roundProblem(w, r, rq, v, problem.OnField(problem.Invalid, "file", err.Error()))
	}
	var ps []plans.Priority
	for _, row := range rows {
		ps = append(ps, plans.Priority{Title: row.Title, Problem: row.Problem, Constituency: plans.ConstituencyFor(v.round.FootprintKind),
			ProposedBy: rq.actor(), ProposerName: rq.user.Name + " (seeded from " + hdr.Filename + ")"})
	}
	if _, err := s.store.AddPriorities(r.Context(), rq.actor(), v.round, ps); err != nil {
		return err
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), "seeded", map[string]int{"added": len(ps)})
}

func priorityID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	if err != nil {
		return 0, problem.New(problem.NotFound, "There is no such priority.")
	}
	return id, nil
}

// endorse records the participant's support for an open priority.
func (s *Server) endorse(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	vt, ok := v.voter(rq)
	if !ok {
		return problem.New(problem.Forbidden, "Only those taking part in the round endorse priorities.")
	}
	if err := v.round.Allows(plans.Endorse); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	id, err := priorityID(r)
	if err != nil {
		return err
	}
	if err := s.store.Endorse(r.Context(), rq.actor(), v.round, id, vt.Key); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), "endorsed", map[string]int64{"priority": id})
}

// comment adds a participant's comment to a priority.
func (s *Server) comment(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	vt, ok := v.voter(rq)
	if !ok {
		return problem.New(problem.Forbidden, "Only those taking part in the round comment on its priorities.")
	}
	id, err := priorityID(r)
	if err != nil {
		return err
	}
	var in struct {
		Body string `form:"comment"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	body, err := plans.CheckComment(in.Body)
	if err != nil {
		return s.roundProblem(w, r, rq, v, problem.OnField(problem.Invalid, fmt.Sprintf("comment-%d", id), problem.Message(err)))
	}
	cm := plans.Comment{Priority: id, AuthorName: vt.Name, Constituency: vt.Constituency, Body: body}
	if err := s.store.AddComment(r.Context(), rq.actor(), v.round, cm); err != nil {
		return s.roundProblem(w, r, rq, v, err)
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d#priority-%d", v.round.ID, id), "commented", cm)
}

// moderate merges, splits, declines, adopts or drops priorities. Its
// problems are shown on the priority's own moderation form.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	id, err := priorityID(r)
	if err != nil {
		return err
	}
	action, err := s.moderateOne(r, rq, v, id)
	if err != nil {
		k := problem.KindOf(err)
		if k == problem.Invalid || k == problem.Conflict {
			err = problem.OnField(k, fmt.Sprintf("moderate-%d", id), problem.Message(err))
		}
		return s.roundProblem(w, r, rq, v, err)
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d", v.round.ID), action, map[string]any{"priority": id, "action": action})
}

func (s *Server) moderateOne(r *http.Request, rq *request, v planViewer, id int64) (string, error) {
	var in struct {
		Action string `form:"action"`
		Reason string `form:"reason"`
		Into   string `form:"into"`  // merge: the ids to fold into this one, comma-separated
		Parts  string `form:"parts"` // split: one title a line
	}
	if err := decodeInto(r, &in); err != nil {
		return in.Action, err
	}
	action := plans.Moderate
	if in.Action == "adopt" || in.Action == "drop" {
		action = plans.AdoptPriority
	}
	if err := v.round.Allows(action); err != nil {
		return in.Action, err
	}
	// What the action itself needs is asked for first; the reason (for the
	// moderation log) last, and not to adopt.
	var others []int64
	var parts []plans.Priority
	switch in.Action {
	case "merge":
		for part := range strings.SplitSeq(in.Into, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			o, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return in.Action, problem.OnField(problem.Invalid, "into", fmt.Sprintf("%q is not a priority's number", part))
			}
			others = append(others, o)
		}
		if err := plans.CheckMerge(id, others); err != nil {
			return in.Action, err
		}
	case "split":
		for line := range strings.SplitSeq(in.Parts, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			p, err := plans.NewPriority(line, fmt.Sprintf("Split from priority %d.", id))
			if err != nil {
				return in.Action, problem.OnField(problem.Invalid, "parts", problem.FieldsOf(err)[0].Message)
			}
			parts = append(parts, p)
		}
		if len(parts) < 2 {
			return in.Action, problem.OnField(problem.Invalid, "parts", "Give the title of each part, one a line: at least two")
		}
	case "decline", "adopt", "drop", "reopen":
	default:
		return in.Action, problem.OnField(problem.Invalid, "action", "Choose merge, split, decline, reopen, adopt or drop")
	}
	reason, f := plans.PlainText("reason", "the reason (for the moderation log)", in.Reason, 500, in.Action != "adopt")
	if f != nil {
		return in.Action, f.Err()
	}
	ctx := r.Context()
	switch in.Action {
	case "merge":
		return in.Action, s.store.Merge(ctx, rq.actor(), v.round, id, others, reason)
	case "split":
		_, err := s.store.Split(ctx, rq.actor(), v.round, id, parts, reason)
		return in.Action, err
	case "decline":
		return in.Action, s.store.Decline(ctx, rq.actor(), v.round, id, reason)
	case "adopt":
		return in.Action, s.store.Adopt(ctx, rq.actor(), v.round, id)
	case "reopen":
		return in.Action, s.store.Reopen(ctx, rq.actor(), v.round, id, reason)
	}
	return in.Action, s.store.Drop(ctx, rq.actor(), v.round, id, reason)
}

// moderationCSV downloads the round's moderation log.
func (s *Server) moderationCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	log, err := s.store.ModerationLog(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	cw := csvDownload(w, fmt.Sprintf("moderation-round-%d.csv", v.round.ID))
	cw.Write([]string{"When", "By", "Action", "Priorities", "Result", "Reason"})
	ids := func(xs []int64) string {
		var out []string
		for _, x := range xs {
			out = append(out, strconv.FormatInt(x, 10))
		}
		return strings.Join(out, " ")
	}
	for _, m := range log {
		by := m.By
		if !v.Facilitator { // others see what was done and why, not staff addresses
			by = "The facilitator"
		}
		cw.Write([]string{m.At.In(london()).Format("2006-01-02 15:04"), by, m.Action, ids(m.Priorities), ids(m.Result), m.Reason})
	}
	cw.Flush()
	return cw.Error()
}
