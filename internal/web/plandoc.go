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

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
)

// indicatorView is an indicator with its progress, read from the data.
type indicatorView struct {
	plans.Indicator
	Label    string         `json:"label"`
	OrgName  string         `json:"org_name"`
	Progress plans.Progress `json:"progress"`
	Baseline string         `json:"baseline_text"`
	Actual   string         `json:"actual_text"`
	Expected string         `json:"expected_text"`
	Targets  []string       `json:"targets_text"` // per plan year, "" where none
}

type objectiveView struct {
	plans.Objective
	Views []indicatorView `json:"indicators"`
}

type planDocData struct {
	Round       plans.Round           `json:"round"`
	Objectives  []objectiveView       `json:"objectives"`
	Versions    []plans.Version       `json:"versions"`
	Latest      *plans.Version        `json:"latest,omitempty"`
	Checklist   []plans.ChecklistItem `json:"checklist"`
	Signatures  []plans.Signature     `json:"signatures"`
	Standing    []plans.Standing      `json:"adoption"`
	Adopted     bool                  `json:"adopted"`
	Facilitator bool                  `json:"-"`
	CanEdit     bool                  `json:"-"`
	CanFreeze   bool                  `json:"-"`
	Signing     []signSeat            `json:"-"`
	Owners      []string              `json:"-"` // value, label pairs
	Measures    []string              `json:"-"`
	Years       []int                 `json:"-"`
	Form        map[string]string     `json:"-"`
	Diff        []plans.DiffLine      `json:"-"`
	DiffFrom    int                   `json:"-"`
	DiffTo      int                   `json:"-"`
}

// signSeat is an organisation (or guest constituency) the viewer signs for,
// and whether it has signed the version up for signing.
type signSeat struct {
	Kind   plans.ConstituencyKind
	Org    string
	Name   string
	Signed bool
}

// objectiveViews reads every indicator's progress.
func (s *Server) objectiveViews(ctx context.Context, rq *request, r plans.Round, objs []plans.Objective) ([]objectiveView, map[int64]string, error) {
	rag := map[int64]string{}
	var out []objectiveView
	names := map[string]string{}
	for _, ob := range objs {
		ov := objectiveView{Objective: ob}
		for _, ind := range ob.Indicators {
			iv, err := s.indicatorView(ctx, rq, r, ind, names)
			if err != nil {
				return nil, nil, err
			}
			rag[ind.ID] = iv.Progress.RAG
			ov.Views = append(ov.Views, iv)
		}
		out = append(out, ov)
	}
	return out, rag, nil
}

func (s *Server) indicatorView(ctx context.Context, rq *request, r plans.Round, ind plans.Indicator, names map[string]string) (indicatorView, error) {
	rd, unit, err := s.readFigure(ctx, rq, ind.Kind, ind.Measure, ind.Org, ind.BaselineAt)
	if err != nil {
		return indicatorView{}, err
	}
	iv := indicatorView{Indicator: ind, Progress: plans.Assess(ind, r.FromYear, r.ToYear, rd)}
	if _, ok := names[ind.Org]; !ok {
		if o, err := s.store.Org(ctx, ind.Org); err == nil {
			names[ind.Org] = o.Name
		}
	}
	iv.OrgName = names[ind.Org]
	iv.Label = ind.Kind.Label()
	if ind.Kind == plans.MeasureFigure {
		if m, err := s.store.Measure(ctx, ind.Measure); err == nil {
			iv.Label = m.Title
			unit = m.Unit
		}
	}
	f := func(x int64) string { return plans.FormatFigure(ind.Kind, unit, x) }
	iv.Baseline = f(ind.Baseline)
	if !ind.BaselineAt.IsZero() {
		iv.Baseline += " (" + ind.BaselineAt.Format("January 2006") + ")"
	}
	if rd.Have {
		iv.Actual, iv.Expected = f(rd.Value), f(iv.Progress.Expected)
	}
	for _, y := range r.Years() {
		if t, ok := ind.Targets[y]; ok {
			iv.Targets = append(iv.Targets, f(t))
		} else {
			iv.Targets = append(iv.Targets, "")
		}
	}
	return iv, nil
}

func (s *Server) planDocPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	return s.renderPlanDoc(w, r, rq, v, http.StatusOK, nil, nil)
}

func (s *Server) planDocData(ctx context.Context, r *http.Request, rq *request, v planViewer, form map[string]string) (planDocData, error) {
	d := planDocData{Round: v.round, Facilitator: v.Facilitator, Form: form, Years: v.round.Years()}
	objs, err := s.store.Objectives(ctx, v.round.ID)
	if err != nil {
		return d, err
	}
	if d.Objectives, _, err = s.objectiveViews(ctx, rq, v.round, objs); err != nil {
		return d, err
	}
	if d.Versions, err = s.store.PlanVersions(ctx, v.round.ID); err != nil {
		return d, err
	}
	for i := range d.Versions {
		d.Versions[i].By = v.staffName(d.Versions[i].By)
	}
	if n := len(d.Versions); n > 0 {
		d.Latest = &d.Versions[n-1]
	}
	if d.Checklist, err = s.store.Checklist(ctx, v.round.ID); err != nil {
		return d, err
	}
	for i := range d.Checklist {
		d.Checklist[i].DoneBy = v.staffName(d.Checklist[i].DoneBy)
	}
	d.Round.CreatedBy = v.staffName(d.Round.CreatedBy)
	if d.Signatures, err = s.store.Signatures(ctx, v.round.ID); err != nil {
		return d, err
	}
	counts, err := s.memberCounts(ctx, v)
	if err != nil {
		return d, err
	}
	hash := ""
	if d.Latest != nil && d.Latest.Frozen {
		hash = d.Latest.SHA256
	}
	_, d.Standing = plans.Adoption(v.round, counts, d.Signatures, hash)
	d.Adopted = v.round.Phase == plans.Adopted // as the round records it: counts may have moved since
	d.CanEdit = v.Facilitator && v.round.Allows(plans.EditPlan) == nil
	d.CanFreeze = v.Facilitator && v.round.Allows(plans.Freeze) == nil && d.Latest != nil && !d.Latest.Frozen
	if v.round.Allows(plans.Sign) == nil && hash != "" {
		for _, st := range v.signingSeats() {
			ss := signSeat{Kind: st.Kind, Org: st.Org, Name: v.names[st.Org]}
			member := st.Org
			if v.guest != nil {
				member = v.guest.Key()
				ss.Name = v.guest.Display() + " for " + strings.ToLower(st.Kind.Label())
			}
			for _, sg := range d.Signatures {
				if sg.SHA256 == hash && sg.Member == member {
					ss.Signed = true
				}
			}
			d.Signing = append(d.Signing, ss)
		}
	}
	if v.Facilitator {
		d.Owners = evidenceOrgs(v)
		if d.Measures, err = s.measureOptions(ctx); err != nil {
			return d, err
		}
	}
	if r != nil {
		q := r.URL.Query()
		from, _ := strconv.Atoi(q.Get("from"))
		to, _ := strconv.Atoi(q.Get("to"))
		if from > 0 && to > 0 && from <= len(d.Versions) && to <= len(d.Versions) {
			d.Diff, d.DiffFrom, d.DiffTo = plans.Diff(d.Versions[from-1].Body, d.Versions[to-1].Body), from, to
		}
	}
	return d, nil
}

func (s *Server) renderPlanDoc(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, status int, form map[string]string, errs problem.Fields) error {
	d, err := s.planDocData(r.Context(), r, rq, v, form)
	if err != nil {
		return err
	}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "plan_doc", page{Title: "The plan: " + v.round.Title, Nav: "plans", Errors: errs, Data: d, Notice: planNotice(r)})
}

// planProblem shows a bad form on the plan page, or the error.
func (s *Server) planProblem(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, err error) error {
	return redraw(r, err, "plan", nil, func(status int, typed map[string]string, fs problem.Fields) error {
		return s.renderPlanDoc(w, r, rq, v, status, typed, fs)
	})
}

func (s *Server) planTo(v planViewer) string { return fmt.Sprintf("/plans/%d/plan", v.round.ID) }

// saveText keeps a new version of the plan's Markdown text.
func (s *Server) saveText(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Body    string `form:"body"`
		BasedOn int    `form:"based_on"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := v.round.Allows(plans.EditPlan); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := plans.CheckBody(in.Body); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	n, err := s.store.SaveVersion(r.Context(), rq.actor(), v.round, in.BasedOn, in.Body)
	if err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	return s.done(w, r, s.planTo(v), "saved", map[string]any{"version": n, "sha256": plans.Hash(in.Body)})
}

// freeze fixes the latest version for signing.
func (s *Server) freeze(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Version int `form:"version"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := v.round.Allows(plans.Freeze); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := s.store.Freeze(r.Context(), rq.actor(), v.round, in.Version); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	return s.done(w, r, s.planTo(v), "frozen", map[string]int{"version": in.Version})
}

// sign records the viewer's signature, for one organisation they sign for,
// on the exact version they read (its number and hash).
func (s *Server) sign(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Version int    `form:"version"`
		SHA256  string `form:"sha256"`
		Org     string `form:"org"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := v.round.Allows(plans.Sign); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	var seat *plans.Seat
	for _, st := range v.signingSeats() {
		if st.Org == in.Org || v.guest != nil {
			seat = &st
			break
		}
	}
	if seat == nil {
		return problem.New(problem.Forbidden, "You do not sign for %s in this round: each constituency's signatory role signs.", orDefault(in.Org, "anyone"))
	}
	// The signature shows a name; the audit log keeps who signed (rq.actor).
	sg := plans.Signature{Version: in.Version, SHA256: in.SHA256, Constituency: seat.Kind, Member: seat.Org, MemberName: v.names[seat.Org], Signer: rq.user.Name}
	if v.guest != nil {
		sg.Member, sg.MemberName, sg.Signer = v.guest.Key(), v.guest.Display(), v.guest.Display()
	}
	counts, err := s.memberCounts(r.Context(), v)
	if err != nil {
		return err
	}
	adopted, err := s.store.Sign(r.Context(), rq.actor(), v.round, sg, counts)
	if err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	what := "signed"
	if adopted {
		what = "adopted"
	}
	return s.done(w, r, s.planTo(v), what, map[string]any{"signed": true, "adopted": adopted})
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// addStep adds a required statutory step that blocks freezing until done.
func (s *Server) addStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Title string `form:"step"`
	}
	if err := decodeInto(r, &in); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	if err := v.round.Allows(plans.EditObjectives); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	title, f := plans.PlainText("step", "the required step", in.Title, 200, true)
	if f != nil {
		return s.planProblem(w, r, rq, v, f.Err())
	}
	if err := s.store.AddChecklistItem(r.Context(), rq.actor(), v.round, title); err != nil {
		return err
	}
	return s.done(w, r, s.planTo(v), "step", map[string]string{"step": title})
}

// tickStep marks a required step done, with a note of the evidence.
func (s *Server) tickStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("sid"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such step.")
	}
	var in struct {
		Note string `form:"note"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	note, f := plans.PlainText("note", "a note of what shows it is done", in.Note, 500, true)
	if f != nil {
		return s.planProblem(w, r, rq, v, f.Err())
	}
	if err := s.store.TickChecklistItem(r.Context(), rq.actor(), v.round, id, note); err != nil {
		return s.planProblem(w, r, rq, v, err)
	}
	return s.done(w, r, s.planTo(v), "step-done", map[string]int64{"step": id})
}

func objectiveID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("oid"), 10, 64)
	if err != nil {
		return 0, problem.New(problem.NotFound, "There is no such objective.")
	}
	return id, nil
}

// inFootprint checks an organisation named in a form takes part in the round.
func inFootprint(v planViewer, org, field string) error {
	if _, ok := v.members[org]; ok || org == v.round.Footprint {
		return nil
	}
	return problem.OnField(problem.Invalid, field, "Choose an organisation taking part in this round")
}

// editObjective sets an objective's owner, or adds an action or an
// indicator to it (what says which). Its problems are shown in the
// objective's own box.
func (s *Server) editObjective(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	oid, err := objectiveID(r)
	if err != nil {
		return err
	}
	err = s.changeObjective(w, r, rq, v, oid)
	if k := problem.KindOf(err); k == problem.Invalid || k == problem.Conflict {
		err = problem.OnField(k, fmt.Sprintf("objective-%d", oid), problem.Message(err))
		return s.planProblem(w, r, rq, v, err)
	}
	return err
}

func (s *Server) changeObjective(w http.ResponseWriter, r *http.Request, rq *request, v planViewer, oid int64) error {
	all, err := decodeAll(r)
	if err != nil {
		return err
	}
	if err := v.round.Allows(plans.EditObjectives); err != nil {
		return err
	}
	ctx := r.Context()
	switch all["what"] {
	case "owner":
		if err := inFootprint(v, all["owner"], "owner"); err != nil {
			return err
		}
		err = s.store.SetObjectiveOwner(ctx, rq.actor(), v.round, oid, all["owner"])
	case "action":
		a := plans.PlanAction{Objective: oid, Title: strings.TrimSpace(all["action_title"]), Owner: all["action_owner"], Person: strings.TrimSpace(all["person"])}
		if a.Owner == "" {
			a.Owner = v.round.Footprint
		}
		if err := inFootprint(v, a.Owner, "action_owner"); err != nil {
			return err
		}
		if raw := strings.TrimSpace(all["due"]); raw != "" {
			due, err := parseDay(raw)
			if err != nil {
				due, err = nhsfile.ParseDate(raw, nhsfile.DDMMYYYY) // as people in England write it
			}
			if err != nil {
				return problem.OnField(problem.Invalid, "due", "Enter the date it is due, like 30/09/2027")
			}
			a.Due = due
		}
		if err := plans.CheckAction(a); err != nil {
			return err
		}
		err = s.store.AddPlanAction(ctx, rq.actor(), v.round, a)
	case "indicator":
		err = s.addIndicator(ctx, rq, v, oid, all)
	default:
		return problem.New(problem.Invalid, "Say what to change: owner, action or indicator")
	}
	if err != nil {
		return err
	}
	return s.done(w, r, s.planTo(v), all["what"], map[string]any{"objective": oid, "changed": all["what"]})
}

// addIndicator adds an indicator whose baseline is typed, or else read from
// the data now (for claims, the last complete year's total).
func (s *Server) addIndicator(ctx context.Context, rq *request, v planViewer, oid int64, all map[string]string) error {
	in := plans.IndicatorInput{Kind: all["kind"], Measure: all["measure"], Org: all["org"], HigherBetter: all["direction"], Targets: map[int]string{}}
	var measureErr error // read once: for the direction, and to refuse an unknown measure
	if plans.IndicatorKind(in.Kind) == plans.MeasureFigure && in.Measure != "" {
		var m access.Measure
		m, measureErr = s.store.Measure(ctx, in.Measure)
		if in.HigherBetter == "" && measureErr == nil && m.Direction != access.Neutral {
			in.HigherBetter = string(m.Direction) // which way is better, unless said: as the measure says
		}
	}
	for _, y := range v.round.Years() {
		in.Targets[y] = strings.TrimSpace(all[fmt.Sprintf("target_%d", y)])
	}
	if in.Org != "" {
		if err := inFootprint(v, in.Org, "org"); err != nil {
			return err
		}
	}
	ind, err := plans.NewIndicator(in, v.round.Years())
	if err != nil {
		return err
	}
	ind.Objective = oid
	if ind.Kind == plans.MeasureFigure && measureErr != nil {
		return problem.OnField(problem.Invalid, "measure", "Choose one of the access measures")
	}
	var rd plans.Reading
	if ind.Kind == plans.ClaimsFigure { // a whole year's claims: the last complete year
		rd, err = s.claimsYear(ctx, rq, ind.Org, financialYearStart(rq.today).AddDate(-1, 0, 0))
	} else {
		rd, _, err = s.readFigure(ctx, rq, ind.Kind, ind.Measure, ind.Org, time.Time{})
	}
	if err != nil {
		return err
	}
	switch typed := strings.TrimSpace(all["baseline"]); {
	case typed != "":
		b, err := plans.ParseFigure(ind.Kind, typed)
		if err != nil {
			return problem.OnField(problem.Invalid, "baseline", "Baseline: "+err.Error())
		}
		ind.Baseline = b
	case rd.Have:
		ind.Baseline, ind.BaselineAt = rd.Value, rd.Month
	default:
		return problem.OnField(problem.Invalid, "baseline", "There is no figure yet for this organisation to take a baseline from: type the baseline")
	}
	return s.store.AddIndicator(ctx, rq.actor(), v.round, ind)
}

// markAction marks an action done or not done.
func (s *Server) markAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such action.")
	}
	var in struct {
		Done bool `form:"done"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if err := s.store.SetActionDone(r.Context(), rq.actor(), v.round, id, in.Done); err != nil {
		return err
	}
	return s.done(w, r, s.planTo(v), "action", map[string]any{"action": id, "done": in.Done})
}

// planCSV downloads the plan's objectives, actions and indicators.
func (s *Server) planCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	objs, err := s.store.Objectives(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	views, _, err := s.objectiveViews(r.Context(), rq, v.round, objs)
	if err != nil {
		return err
	}
	cw := csvDownload(w, fmt.Sprintf("plan-round-%d.csv", v.round.ID))
	head := []string{"Objective", "Owner", "Row", "What", "Organisation", "Due or baseline", "Now", "Expected now", "RAG", "Note"}
	for _, y := range v.round.Years() {
		head = append(head, "Target "+claims.YearLabel(y))
	}
	cw.Write(head)
	for _, ov := range views {
		for _, a := range ov.Actions {
			done := "Not done"
			if a.Done {
				done = "Done"
			}
			row := []string{ov.Title, ov.OwnerName, "Action", a.Title + " (" + a.Person + ")", a.OwnerName, a.Due.Format(time.DateOnly), done, "", "", ""}
			cw.Write(append(row, make([]string, len(v.round.Years()))...))
		}
		for _, iv := range ov.Views {
			row := []string{ov.Title, ov.OwnerName, "Indicator", iv.Label, iv.OrgName, iv.Baseline, iv.Actual, iv.Expected, iv.Progress.RAG, iv.Progress.Note}
			cw.Write(append(row, iv.Targets...))
		}
	}
	cw.Flush()
	return cw.Error()
}

type commitmentsData struct {
	Org        orgs.Org         `json:"org"`
	Objectives []objectiveView  `json:"objectives"`
	Rollup     []plans.Rollup   `json:"rollup"`
	Rounds     map[int64]string `json:"rounds"`
}

// commitmentsPage is "what we committed to": the objectives and actions an
// organisation owns in adopted plans, and, rolled up from the practices to
// the PCN, Place and ICB, how the indicators of everything at or below it
// stand.
func (s *Server) commitmentsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	o, err := s.store.Org(ctx, code)
	if err != nil {
		return err
	}
	scope, err := s.scope(ctx, rq, []string{code})
	if err != nil {
		return err
	}
	codes := slices.Sorted(maps.Keys(scope))
	objs, err := s.store.ObjectivesOwnedIn(ctx, codes)
	if err != nil {
		return err
	}
	d := commitmentsData{Org: o, Rounds: map[int64]string{}}
	rag := map[int64]string{}
	rounds := map[int64]plans.Round{}
	for _, ob := range objs {
		rd, ok := rounds[ob.Round]
		if !ok {
			if rd, err = s.store.Round(ctx, ob.Round); err != nil {
				return err
			}
			rounds[ob.Round] = rd
			d.Rounds[rd.ID] = rd.Title
		}
		views, rg, err := s.objectiveViews(ctx, rq, rd, []plans.Objective{ob})
		if err != nil {
			return err
		}
		for k, v := range rg {
			rag[k] = v
		}
		d.Objectives = append(d.Objectives, views...)
	}
	// Roll up: this organisation, then each organisation below it that
	// owns something, PCNs before practices.
	list, err := s.store.OrgsByCode(ctx, codes)
	if err != nil {
		return err
	}
	slices.SortFunc(list, func(a, b orgs.Org) int {
		if a.Kind.Level() != b.Kind.Level() {
			return b.Kind.Level() - a.Kind.Level()
		}
		return strings.Compare(a.Name, b.Name)
	})
	var order []string
	names := map[string]string{}
	for _, x := range list {
		order = append(order, x.Code)
		names[x.Code] = x.Name
	}
	chains := map[string][]string{}
	for _, ob := range objs {
		if _, ok := chains[ob.Owner]; !ok {
			if chains[ob.Owner], err = s.ancestry(ctx, rq, ob.Owner); err != nil {
				return err
			}
		}
	}
	below := func(owner, at string) bool { return slices.Contains(chains[owner], at) }
	d.Rollup = plans.Roll(order, names, objs, rag, below)
	return s.render(w, r, rq, http.StatusOK, "plan_commitments", page{Title: "Committed to: " + o.Name, Nav: "plans", Data: d})
}
