package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// frameworkSet is every framework OnePC knows: shipped in the binary and
// uploaded by administrators, each version.
type frameworkSet struct {
	byVersion map[string]capability.Framework // id@version
	latest    map[string]capability.Framework // id → newest version
	list      []capability.Framework          // newest versions, by title
}

func (fs frameworkSet) get(id string, version int) (capability.Framework, bool) {
	f, ok := fs.byVersion[id+"@"+strconv.Itoa(version)]
	return f, ok
}

// measureKnown says whether a measure exists, for checking frameworks and evidence.
func (s *Server) measureKnown(ctx context.Context) (func(string) bool, error) {
	ms, err := s.store.Measures(ctx)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
	}
	return func(id string) bool { return ids[id] }, nil
}

func (s *Server) frameworks(ctx context.Context) (frameworkSet, error) {
	fs := frameworkSet{byVersion: map[string]capability.Framework{}, latest: map[string]capability.Framework{}}
	shipped, err := capability.Shipped(nil) // the shipped files name only shipped measures, checked by their tests
	if err != nil {
		return fs, err
	}
	all := shipped
	shippedIDs := map[string]bool{}
	for _, f := range shipped {
		shippedIDs[f.ID] = true
	}
	uploaded, err := s.store.UploadedFrameworks(ctx)
	if err != nil {
		return fs, err
	}
	for _, u := range uploaded {
		if shippedIDs[u.ID] {
			continue // a shipped framework is never replaced from outside the binary
		}
		f, err := capability.Parse([]byte(u.Body), nil)
		if err != nil {
			s.log.Error("stored framework no longer reads", "id", u.ID, "version", u.Version, "err", err)
			continue
		}
		all = append(all, f)
	}
	for _, f := range all {
		fs.byVersion[f.ID+"@"+strconv.Itoa(f.Version)] = f
		if cur, ok := fs.latest[f.ID]; !ok || f.Version > cur.Version {
			fs.latest[f.ID] = f
		}
	}
	for _, f := range fs.latest {
		fs.list = append(fs.list, f)
	}
	slices.SortFunc(fs.list, func(a, b capability.Framework) int { return strings.Compare(a.Title, b.Title) })
	return fs, nil
}

// reviewViewer is where the signed-in user stands towards an
// organisation's reviews: a member of it (here), or above it, with the kinds
// of the organisations above where they hold roles.
func (s *Server) reviewViewer(rq *request, org string) (here bool, above []orgs.Kind, err error) {
	here = people.AuthorizeHere(rq.user.Grants, people.ViewOrg, org)
	for _, g := range rq.user.Grants {
		if g.OrgCode != org && slices.Contains(rq.chain, g.OrgCode) {
			above = append(above, orgs.Kind(g.OrgKind))
		}
	}
	return here, above, nil
}

type capabilityListData struct {
	Org        orgs.Org               `json:"org"`
	Reviews    []capability.Review    `json:"reviews"`
	Frameworks []capability.Framework `json:"-"` // those that apply, for the start form
	Options    []string               `json:"-"`
	Titles     map[string]string      `json:"-"`
	CanLead    bool                   `json:"-"`
	Form       map[string]string      `json:"-"`
	Year       int                    `json:"-"`
	Above      bool                   `json:"-"` // a Place or ICB: offers the distribution
}

func (s *Server) capabilityPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderCapabilityList(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderCapabilityList(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	code := r.PathValue("code")
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return err
	}
	fs, err := s.frameworks(r.Context())
	if err != nil {
		return err
	}
	here, above, _ := s.reviewViewer(rq, code)
	all, err := s.store.CapabilityReviews(r.Context(), code)
	if err != nil {
		return err
	}
	d := capabilityListData{Org: o, CanLead: people.AuthorizeHere(rq.user.Grants, people.LeadReviews, code), Form: form,
		Year: rq.today.Year(), Titles: map[string]string{}, Above: o.Kind == orgs.Place || o.Kind == orgs.ICB}
	for _, rv := range all {
		if capability.CanSee(rv, here, above) {
			d.Reviews = append(d.Reviews, rv)
		}
	}
	for _, f := range fs.list {
		d.Titles[f.ID] = f.Title
		if f.Applies(o.Kind) {
			d.Frameworks = append(d.Frameworks, f)
			d.Options = append(d.Options, f.ID, f.Title)
		}
	}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "capability", page{Title: "Capability reviews: " + o.Name, Errors: errs, Data: d})
}

func (s *Server) startReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in struct {
		Framework string `form:"framework"`
		Year      int    `form:"year"`
		Mode      string `form:"mode"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	typed := map[string]string{"framework": in.Framework, "year": strconv.Itoa(in.Year), "mode": in.Mode}
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return err
	}
	fs, err := s.frameworks(r.Context())
	if err != nil {
		return err
	}
	f, ok := fs.latest[in.Framework]
	if !ok {
		return s.capabilityProblem(w, r, rq, typed, problem.OnField(problem.Invalid, "framework", "Choose a framework"))
	}
	rv, err := capability.NewReview(f, o.Kind, in.Year, capability.Mode(in.Mode), rq.today)
	if err == nil {
		rv, err = s.store.StartReview(r.Context(), rq.actor(), code, rv)
	}
	if err != nil {
		return s.capabilityProblem(w, r, rq, typed, err)
	}
	return s.done(w, r, fmt.Sprintf("/orgs/%s/capability/%d", code, rv.ID), "started", rv)
}

func (s *Server) capabilityProblem(w http.ResponseWriter, r *http.Request, rq *request, typed map[string]string, err error) error {
	if k := problem.KindOf(err); (k != problem.Invalid && k != problem.Conflict) || wantsJSON(r) {
		return err
	}
	return s.renderCapabilityList(w, r, rq, statusOf(problem.KindOf(err)), typed, problem.FieldsOf(err))
}

// itemView is one item on a review page.
type itemView struct {
	capability.Item
	Scale      capability.Scale
	Options    []string // value, label pairs
	Mine       int      // the signed-in person's own score
	Spread     capability.Spread
	Agreed     *capability.Agreed
	Before     int // last review's agreed level
	Evidence   []string
	Low        bool
	Measure    string // the first measure that bears on it, offered as evidence
	File       string // the name of its evidence file, if any
	ShowSpread bool   // the team's spread is shown to this viewer
	Form       map[string]string
	Errs       problem.Fields
}

type domainView struct {
	Code, Title string
	Items       []itemView
	Change      capability.DomainChange
}

type capReviewData struct {
	Org         orgs.Org                     `json:"org"`
	Review      capability.Review            `json:"review"`
	Framework   capability.Framework         `json:"framework"`
	Agreed      map[string]capability.Agreed `json:"agreed"`
	Scores      []capability.Score           `json:"scores,omitempty"`
	Actions     []capability.Action          `json:"actions"`
	Improvement *capability.Improvement      `json:"improvement,omitempty"`
	Previous    *capability.Review           `json:"previous,omitempty"`
	Tier        capability.Tier              `json:"support_tier,omitempty"`
	Domains     []domainView                 `json:"-"`
	Here        bool                         `json:"-"` // a member: may score
	CanLead     bool                         `json:"-"`
	CanModerate bool                         `json:"-"`
	Spine       spineChart                   `json:"-"`
	ShareOpts   []string                     `json:"-"`
	ItemOpts    []string                     `json:"-"`
	LowOpen     []string                     `json:"-"` // low items with no action yet
	FirstLow    string                       `json:"-"` // the first of them, offered in the action form
	ActionForm  map[string]string            `json:"-"`
	Agreeable   int                          `json:"-"` // items agreed so far
}

// loadReview reads a review the signed-in user may see, or 404.
func (s *Server) loadReview(r *http.Request, rq *request) (*capReviewData, capability.Framework, error) {
	code := r.PathValue("code")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, capability.Framework{}, problem.New(problem.NotFound, "There is no such review")
	}
	rv, err := s.store.CapabilityReview(r.Context(), code, id)
	if err != nil {
		return nil, capability.Framework{}, err
	}
	here, above, _ := s.reviewViewer(rq, code)
	if !capability.CanSee(rv, here, above) {
		// An unshared review is the organisation's own: to those above it, it
		// does not exist, in the very words used for one that does not.
		return nil, capability.Framework{}, problem.New(problem.NotFound, "There is no such review of %s", code)
	}
	fs, err := s.frameworks(r.Context())
	if err != nil {
		return nil, capability.Framework{}, err
	}
	f, ok := fs.get(rv.Framework, rv.FrameworkVersion)
	if !ok {
		return nil, f, fmt.Errorf("review %d: framework %s version %d is missing", rv.ID, rv.Framework, rv.FrameworkVersion)
	}
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return nil, f, err
	}
	d := &capReviewData{Org: o, Review: rv, Framework: f, Here: here, CanLead: people.AuthorizeHere(rq.user.Grants, people.LeadReviews, code)}
	// A commissioner at the ICB above a Place moderates its self-assessment once shared with the ICB.
	for _, g := range rq.user.Grants {
		if g.Role.Allows(people.LeadReviews) && orgs.Kind(g.OrgKind) == orgs.ICB && g.OrgCode != code && slices.Contains(rq.chain, g.OrgCode) &&
			o.Kind == orgs.Place && rv.Shared == capability.WithICB {
			d.CanModerate = true
		}
	}
	agreed, err := s.store.Agreed(r.Context(), rv.ID)
	if err != nil {
		return nil, f, err
	}
	d.Agreed = agreed[rv.ID]
	if d.Agreed == nil {
		d.Agreed = map[string]capability.Agreed{}
	}
	scores, err := s.store.Scores(r.Context(), rv.ID)
	if err != nil {
		return nil, f, err
	}
	if here {
		d.Scores = scores // who scored what is the team's own; those above see the spread only
	}
	if d.Actions, err = s.store.Actions(r.Context(), rv.ID); err != nil {
		return nil, f, err
	}
	files, err := s.store.EvidenceFiles(r.Context(), rv.ID)
	if err != nil {
		return nil, f, err
	}
	var before map[string]capability.Agreed
	if prev, ok, err := s.store.Previous(r.Context(), rv); err != nil {
		return nil, f, err
	} else if ok {
		pa, err := s.store.Agreed(r.Context(), prev.ID)
		if err != nil {
			return nil, f, err
		}
		before = pa[prev.ID]
		imp := capability.Compare(f, before, d.Agreed)
		d.Improvement, d.Previous = &imp, &prev
	}
	d.Tier, _ = capability.TierOf(f, d.Agreed)
	for _, sh := range capability.Shares {
		d.ShareOpts = append(d.ShareOpts, string(sh), sh.Label())
	}
	low := capability.LowItems(f, d.Agreed)
	for _, dom := range f.Domains {
		dv := domainView{Code: dom.Code, Title: dom.Title}
		if d.Improvement != nil {
			for _, c := range d.Improvement.Domains {
				if c.Domain == dom.Code {
					dv.Change = c
				}
			}
		}
		for _, it := range dom.Items {
			sc := f.ScaleOf(it)
			iv := itemView{Item: it, Scale: sc, Before: before[it.Code].Level, Low: slices.Contains(low, it.Code)}
			if len(it.Measures) > 0 {
				iv.Measure = it.Measures[0]
			}
			iv.File = files[it.Code]
			for _, l := range sc.Levels {
				iv.Options = append(iv.Options, strconv.Itoa(l.Value), strconv.Itoa(l.Value)+": "+l.Label)
			}
			var mine []capability.Score
			for _, s := range scores {
				if s.Item == it.Code {
					mine = append(mine, s)
					if strings.EqualFold(s.Person, rq.actor()) {
						iv.Mine = s.Level
					}
				}
			}
			iv.Spread = capability.SpreadOf(mine)
			// A member sees the team's spread once they have scored (no
			// anchoring on others' scores); the lead, to bring the team to a
			// level, sees it as it grows.
			iv.ShowSpread = iv.Spread.N > 0 && (iv.Mine > 0 || d.CanLead || !here)
			if a, ok := d.Agreed[it.Code]; ok {
				iv.Agreed = &a
				d.Agreeable++
			}
			for _, m := range it.Measures {
				iv.Evidence = append(iv.Evidence, s.measureEvidence(r.Context(), rq, o.Code, m))
			}
			d.ItemOpts = append(d.ItemOpts, it.Code, it.Code+": "+clip(it.Question, 60))
			dv.Items = append(dv.Items, iv)
		}
		d.Domains = append(d.Domains, dv)
	}
	for _, code := range low {
		if !slices.ContainsFunc(d.Actions, func(a capability.Action) bool { return a.Item == code }) {
			d.LowOpen = append(d.LowOpen, code)
		}
	}
	if len(d.LowOpen) > 0 {
		d.FirstLow = d.LowOpen[0]
	}
	d.Spine = newSpine(f, d.Agreed, before)
	return d, f, nil
}

// measureEvidence says a measure's current value for an organisation in
// words, for evidence beside a question and its snapshot at close.
func (s *Server) measureEvidence(ctx context.Context, rq *request, org, id string) string {
	t, err := s.measureTable(ctx, rq, id)
	if err != nil {
		return id + ": no such measure"
	}
	scope, err := s.scope(ctx, rq, []string{org})
	if err != nil {
		return id + ": " + err.Error()
	}
	st, ok := t.Summarise(org, scope, 3)
	if !ok || !st.HasValue {
		return t.Measure.Title + ": no appointments data loaded yet"
	}
	unit := "%"
	if t.Measure.Unit != "percent" {
		unit = " per 1,000 patients"
	}
	text := fmt.Sprintf("%s: %.1f%s over %s to %s", t.Measure.Title, st.Value, unit, st.From.Format("Jan 2006"), st.To.Format("Jan 2006"))
	if st.HasYearAgo {
		text += fmt.Sprintf(" (a year earlier %.1f%s", st.YearAgo, unit)
		if st.Verdict != "" {
			text += ", " + st.Verdict
		}
		text += ")"
	}
	if st.HasPercentile {
		text += fmt.Sprintf("; percentile %.0f (decile %d) among practices", st.Percentile, access.DecileOf(st.Percentile))
	}
	return text
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	return s.renderReview(w, r, rq, http.StatusOK, d, nil)
}

var capReviewNotices = map[string]string{"started": "Review started.", "scored": "Your score is saved. The spread shows once the team has scored.",
	"agreed": "Level agreed.", "closed": "Review closed. Measures used as evidence were kept as they stand today, and each low item without an action has one, for the team to refine.", "shared": "Sharing changed.",
	"action": "Action added.", "moderated": "Panel level recorded beside the self-assessed level.", "evidence": "Evidence file attached."}

func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, rq *request, status int, d *capReviewData, errs problem.Fields) error {
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "review", page{Title: d.Framework.Title + " " + strconv.Itoa(d.Review.Year) + ": " + d.Org.Name,
		Errors: errs, Data: d, Notice: capReviewNotices[r.URL.Query().Get("done")]})
}

// reviewProblem shows the review again with what is wrong beside the item.
func (s *Server) reviewProblem(w http.ResponseWriter, r *http.Request, rq *request, item string, typed map[string]string, err error) error {
	if k := problem.KindOf(err); (k != problem.Invalid && k != problem.Conflict) || wantsJSON(r) {
		return err
	}
	d, _, lerr := s.loadReview(r, rq)
	if lerr != nil {
		return lerr
	}
	errs := problem.FieldsOf(err)
	if len(errs) == 0 {
		errs.Add("level", problem.Message(err))
	}
	var summary problem.Fields
	for di := range d.Domains {
		for ii := range d.Domains[di].Items {
			if d.Domains[di].Items[ii].Code == item {
				d.Domains[di].Items[ii].Form, d.Domains[di].Items[ii].Errs = typed, errs
			}
		}
	}
	for _, e := range errs {
		if item != "" {
			e.Name = item + "-" + e.Name
		}
		summary = append(summary, e)
	}
	if item == "" {
		d.ActionForm = typed
	}
	return s.renderReview(w, r, rq, statusOf(problem.KindOf(err)), d, summary)
}

// target is the review's organisation, number and page.
func (d *capReviewData) target() (string, int64, string) {
	return d.Org.Code, d.Review.ID, fmt.Sprintf("/orgs/%s/capability/%d", d.Org.Code, d.Review.ID)
}

func (s *Server) scoreItem(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, f, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	var in struct {
		Item  string `form:"item"`
		Level int    `form:"level"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if err := s.store.SetScore(r.Context(), rq.actor(), code, id, f, in.Item, in.Level); err != nil {
		return s.reviewProblem(w, r, rq, in.Item, map[string]string{"mine": strconv.Itoa(in.Level)}, err)
	}
	return s.done(w, r, back+"#item-"+in.Item, "scored", map[string]any{"item": in.Item, "level": in.Level})
}

func (s *Server) agreeItem(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, f, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	var in struct {
		Item       string `form:"item"`
		Level      int    `form:"level"`
		Rationale  string `form:"rationale"`
		Confidence string `form:"confidence"`
		Note       string `form:"note"`
		Link       string `form:"link"`
		Measure    string `form:"measure"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	known, err := s.measureKnown(r.Context())
	if err != nil {
		return err
	}
	a, err := s.store.Agree(r.Context(), rq.actor(), code, id, f, capability.Agreed{Item: in.Item, Level: in.Level, Rationale: in.Rationale,
		Confidence: in.Confidence, Note: in.Note, Link: in.Link, Measure: in.Measure}, known)
	if err != nil {
		return s.reviewProblem(w, r, rq, in.Item, map[string]string{"level": strconv.Itoa(in.Level), "rationale": in.Rationale, "confidence": in.Confidence,
			"note": in.Note, "link": in.Link, "measure": in.Measure}, err)
	}
	return s.done(w, r, back+"#item-"+in.Item, "agreed", a)
}

func (s *Server) closeReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, f, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	snaps := map[string]string{}
	for item, a := range d.Agreed {
		if a.Measure != "" {
			snaps[item] = s.measureEvidence(r.Context(), rq, code, a.Measure) + " (on " + rq.today.Format("2 January 2006") + ")"
		}
	}
	if err := s.store.CloseReview(r.Context(), rq.actor(), code, id, f, snaps); err != nil {
		return s.reviewProblem(w, r, rq, "", nil, err)
	}
	return s.done(w, r, back, "closed", map[string]any{"closed": id})
}

func (s *Server) shareReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	var in struct {
		Shared string `form:"shared"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if !slices.Contains(capability.Shares, capability.Share(in.Shared)) {
		return problem.OnField(problem.Invalid, "shared", "Choose whom to share the review with")
	}
	if err := s.store.ShareReview(r.Context(), rq.actor(), code, id, capability.Share(in.Shared)); err != nil {
		return err
	}
	return s.done(w, r, back, "shared", map[string]string{"shared": in.Shared})
}

func (s *Server) addReviewAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, f, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	var in struct {
		Item  string `form:"item"`
		Title string `form:"title"`
		Owner string `form:"owner"`
		Due   string `form:"due"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	a := capability.Action{Item: in.Item, Title: strings.TrimSpace(in.Title), Owner: strings.TrimSpace(in.Owner)}
	a.Due, _ = parseDay(strings.TrimSpace(in.Due))
	err = capability.CheckAction(f, a, rq.today)
	if err == nil {
		a, err = s.store.AddAction(r.Context(), rq.actor(), code, id, a)
	}
	if err != nil {
		return s.reviewProblem(w, r, rq, "", map[string]string{"item": in.Item, "title": in.Title, "owner": in.Owner, "due": in.Due}, err)
	}
	return s.done(w, r, back+"#actions", "action", a)
}

func (s *Server) moderateItem(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, f, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	if !d.CanModerate {
		return problem.New(problem.Forbidden, "Only a commissioner at the ICB can moderate a Place's self-assessment, once the Place has shared it with the ICB.")
	}
	code, id, back := d.target()
	var in struct {
		Item  string `form:"item"`
		Level int    `form:"level"`
		Note  string `form:"note"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if len([]rune(in.Note)) > 2000 {
		return s.reviewProblem(w, r, rq, in.Item, nil, problem.OnField(problem.Invalid, "note", "Write 2,000 characters or fewer"))
	}
	if err := s.store.Moderate(r.Context(), rq.actor(), code, id, f, in.Item, in.Level, strings.TrimSpace(in.Note)); err != nil {
		return s.reviewProblem(w, r, rq, in.Item, nil, err)
	}
	return s.done(w, r, back+"#item-"+in.Item, "moderated", map[string]any{"item": in.Item, "panel_level": in.Level})
}

var reviewHeader = []string{"org_code", "framework", "framework_version", "year", "domain", "item", "question", "level", "level_label", "previous_level",
	"rationale", "confidence", "evidence_note", "evidence_link", "evidence_measure", "measure_snapshot", "panel_level", "team_scores", "team_median"}

func (d *capReviewData) exportRows() [][]any {
	var out [][]any
	for _, dom := range d.Domains {
		for _, it := range dom.Items {
			a := capability.Agreed{}
			if it.Agreed != nil {
				a = *it.Agreed
			}
			out = append(out, []any{d.Org.Code, d.Framework.ID, d.Framework.Version, d.Review.Year, dom.Code, it.Code, it.Question,
				a.Level, it.Scale.Label(a.Level), it.Before, a.Rationale, a.Confidence, a.Note, a.Link, a.Measure, a.Snapshot, a.PanelLevel,
				it.Spread.N, it.Spread.Median})
		}
	}
	return out
}

func (s *Server) reviewCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	cw := csvDownload(w, fmt.Sprintf("review-%s-%s-%d.csv", d.Org.Code, d.Framework.ID, d.Review.Year))
	cw.Write(reviewHeader)
	for _, row := range d.exportRows() {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = fmt.Sprint(v)
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) reviewXLSX(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	return writeXLSX(w, fmt.Sprintf("review-%s-%s-%d.xlsx", d.Org.Code, d.Framework.ID, d.Review.Year), "Review", reviewHeader, d.exportRows())
}

// distributionData is how the organisations below a Place or ICB that
// shared their reviews stand, item by item: counts, never a ranking.
type distributionData struct {
	Org       orgs.Org             `json:"org"`
	Framework capability.Framework `json:"framework"`
	Year      int                  `json:"year"`
	Shared    int                  `json:"shared"` // reviews shared with this level
	Items     []distItem           `json:"items"`
	Tiers     map[string][]string  `json:"tiers"` // tier → organisation names, alphabetical
	Options   []string             `json:"-"`
}

type distItem struct {
	Code, Question string
	Bars           []distBar
	N              int
}

type distBar struct {
	Level int
	Label string
	Count int
	Width int // percent of N
}

func (s *Server) distributionPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return err
	}
	fs, err := s.frameworks(r.Context())
	if err != nil {
		return err
	}
	if o.Kind != orgs.PCN && o.Kind != orgs.Place && o.Kind != orgs.ICB {
		return problem.New(problem.NotFound, "A distribution of reviews is for a PCN, Place or ICB, not %s", o.Kind.ALabel())
	}
	q := r.URL.Query()
	d := distributionData{Org: o, Year: rq.today.Year(), Tiers: map[string][]string{}}
	if y, err := strconv.Atoi(q.Get("year")); err == nil {
		d.Year = y
	}
	for _, f := range fs.list {
		d.Options = append(d.Options, f.ID, f.Title)
	}
	f, ok := fs.latest[q.Get("framework")]
	if !ok {
		f = fs.latest["qi-survey"]
	}
	d.Framework = f
	scope, err := s.scope(r.Context(), rq, []string{code})
	if err != nil {
		return err
	}
	var codes []string
	for c := range scope {
		if c != code {
			codes = append(codes, c)
		}
	}
	all, err := s.store.CapabilityReviews(r.Context(), codes...)
	if err != nil {
		return err
	}
	var ids []int64
	kind := o.Kind
	for _, rv := range all {
		if rv.Framework == f.ID && rv.Year == d.Year && rv.Closed && capability.CanSee(rv, false, []orgs.Kind{kind}) {
			ids = append(ids, rv.ID)
		}
	}
	agreed, err := s.store.Agreed(r.Context(), ids...)
	if err != nil {
		return err
	}
	var sets []map[string]capability.Agreed
	names, err := s.store.OrgNames(r.Context(), codes)
	if err != nil {
		return err
	}
	for _, rv := range all {
		if a, ok := agreed[rv.ID]; ok && slices.Contains(ids, rv.ID) {
			sets = append(sets, a)
			tier, _ := capability.TierOf(f, a)
			d.Tiers[string(tier)] = append(d.Tiers[string(tier)], names[rv.Org])
		}
	}
	for t := range d.Tiers {
		slices.Sort(d.Tiers[t])
	}
	d.Shared = len(sets)
	items := f.Items()
	for i, dist := range capability.Distribute(f, sets) {
		it := items[i] // Distribute keeps the framework's order
		di := distItem{Code: it.Code, Question: it.Question, N: dist.N}
		for _, l := range f.ScaleOf(it).Levels {
			b := distBar{Level: l.Value, Label: l.Label, Count: dist.Counts[l.Value]}
			if dist.N > 0 {
				b.Width = b.Count * 100 / dist.N
			}
			di.Bars = append(di.Bars, b)
		}
		d.Items = append(d.Items, di)
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, d)
	}
	return s.render(w, r, rq, http.StatusOK, "capability_distribution", page{Title: "Capability across " + o.Name, Data: d})
}

// frameworksPage lists the frameworks; ICB and regional administrators
// upload their own.
func (s *Server) frameworksPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderFrameworks(w, r, rq, http.StatusOK, nil)
}

func (s *Server) renderFrameworks(w http.ResponseWriter, r *http.Request, rq *request, status int, errs problem.Fields) error {
	fs, err := s.frameworks(r.Context())
	if err != nil {
		return err
	}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, fs.list)
	}
	return s.render(w, r, rq, status, "frameworks", page{Title: "Capability frameworks", Errors: errs,
		Data: map[string]any{"Frameworks": fs.list, "CanUpload": canUploadFrameworks(rq.user)}})
}

// canUploadFrameworks: an administrator at an ICB or a region.
func canUploadFrameworks(u people.User) bool {
	return slices.ContainsFunc(u.Grants, func(g people.Grant) bool {
		return g.Role == people.Admin && (orgs.Kind(g.OrgKind) == orgs.ICB || orgs.Kind(g.OrgKind) == orgs.Region)
	})
}

func (s *Server) uploadFramework(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !canUploadFrameworks(rq.user) {
		return problem.New(problem.Forbidden, "Only an administrator at an ICB or region can add a framework.")
	}
	if err := readForm(r); err != nil {
		return err
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return s.renderFrameworks(w, r, rq, http.StatusUnprocessableEntity, problem.Fields{{Name: "file", Message: "Choose a framework file (JSON) to upload"}})
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, capability.MaxFrameworkBytes+1))
	if err != nil {
		return err
	}
	known, err := s.measureKnown(r.Context())
	if err != nil {
		return err
	}
	f, err := capability.Parse(body, known)
	if err == nil {
		if shipped, _ := capability.Shipped(nil); slices.ContainsFunc(shipped, func(sf capability.Framework) bool { return sf.ID == f.ID }) {
			err = problem.OnField(problem.Conflict, "file", "The id "+f.ID+" belongs to a framework shipped with OnePC: give yours an id of its own")
		} else {
			err = s.store.SaveFramework(r.Context(), rq.actor(), f, string(body))
		}
	}
	if err != nil {
		if le, ok := err.(*capability.LineError); ok {
			err = problem.OnField(problem.Invalid, "file", "The file was not added: "+le.Error())
		}
		if k := problem.KindOf(err); k == problem.Invalid || k == problem.Conflict {
			return s.renderFrameworks(w, r, rq, statusOf(k), problem.FieldsOf(err))
		}
		return err
	}
	return s.done(w, r, "/capability/frameworks", "added", f)
}

func (s *Server) uploadEvidence(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	code, id, back := d.target()
	if err := readForm(r); err != nil {
		return err
	}
	item := r.PostForm.Get("item")
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return s.reviewProblem(w, r, rq, item, nil, problem.OnField(problem.Invalid, "file", "Choose a file"))
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, capability.MaxEvidenceBytes+1))
	if err != nil {
		return err
	}
	if err := s.store.SaveEvidenceFile(r.Context(), rq.actor(), code, id, item, clip(hdr.Filename, 200), data); err != nil {
		return s.reviewProblem(w, r, rq, item, nil, err)
	}
	return s.done(w, r, back+"#item-"+item, "evidence", map[string]string{"item": item, "file": hdr.Filename})
}

// evidenceFile sends an item's evidence file to those who may see the review.
func (s *Server) evidenceFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadReview(r, rq)
	if err != nil {
		return err
	}
	name, ctype, data, err := s.store.EvidenceFile(r.Context(), d.Review.ID, r.PathValue("item"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(name, `"`, "")))
	_, err = w.Write(data)
	return err
}
