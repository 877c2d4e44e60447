package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// measureTable is one measure ranked across every practice loaded, built
// once per data version and shared by every request.
func (s *Server) measureTable(ctx context.Context, rq *request, id string) (*access.Table, error) {
	v, err := s.dataVersion(ctx, rq)
	if err != nil {
		return nil, err
	}
	if t, ok := s.tables.Get(v, id); ok {
		return t, nil
	}
	m, err := s.store.Measure(ctx, id)
	if err != nil {
		return nil, err
	}
	months, err := s.store.AppointmentMonths(ctx)
	if err != nil {
		return nil, err
	}
	var vals []access.Value
	if len(months) > 0 {
		if vals, err = s.store.MeasureValues(ctx, id, months[0], months[len(months)-1]); err != nil {
			return nil, err
		}
	}
	t := access.NewTable(m, months, vals)
	s.tables.Put(v, id, t)
	return t, nil
}

// measures is store.Measures, decoded once per data version (measures
// change only with it). Callers get their own slice; the measures' own
// filters are shared and must not be changed.
func (s *Server) measures(ctx context.Context, rq *request) ([]access.Measure, error) {
	v, err := s.dataVersion(ctx, rq)
	if err != nil {
		return nil, err
	}
	ms, ok := s.measureList.Get(v, "")
	if !ok {
		if ms, err = s.store.Measures(ctx); err != nil {
			return nil, err
		}
		s.measureList.Put(v, "", ms)
	}
	return slices.Clone(ms), nil
}

type measuresListData struct {
	Measures []access.Measure `json:"measures"`
	Months   []time.Time      `json:"months"`
	CanAdd   bool             `json:"-"`
}

func (s *Server) measuresPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ms, err := s.measures(r.Context(), rq)
	if err != nil {
		return err
	}
	months, err := s.store.AppointmentMonths(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "measures", page{Title: "Access measures", Nav: "measures",
		Data: measuresListData{ms, months, people.Authorize(rq.user.Grants, people.ManageMeasures, nil)}})
}

type rankRow struct {
	Code       string  `json:"practice_code"`
	Name       string  `json:"practice_name"`
	Value      float64 `json:"value"`
	Percentile float64 `json:"percentile"`
	Spark      string  `json:"-"` // polyline points of the practice's trend
}

type measurePage struct {
	Measure   access.Measure        `json:"measure"`
	History   []store.MeasureChange `json:"history,omitempty"`
	CanManage bool                  `json:"-"`
	Typed     map[string]string     `json:"-"`
	Source    string                `json:"source"` // NHS England's description of how the publication counts
	Org       *orgs.Org             `json:"org,omitempty"`
	Months    []time.Time           `json:"months"`
	Latest    time.Time             `json:"latest_month"`
	Count     int                   `json:"practices_loaded"`
	Rows      []rankRow             `json:"practices"`
	Pager     pager                 `json:"-"`
	Chart     *decileChart          `json:"-"`
	OrgValues []float64             `json:"-"`
	Panels    []pcnPanel            `json:"-"`
	Place     string                `json:"-"`
	Deciles   [][9]float64          `json:"-"`
}

// MarshalJSON gives the API the page's figures, with unknown values as null
// (JSON has no NaN).
func (p *measurePage) MarshalJSON() ([]byte, error) {
	type plain measurePage
	nullable := func(xs []float64) []*float64 {
		out := make([]*float64, len(xs))
		for i := range xs {
			if !math.IsNaN(xs[i]) {
				out[i] = &xs[i]
			}
		}
		return out
	}
	var dec [][]*float64
	for i := range p.Deciles {
		dec = append(dec, nullable(p.Deciles[i][:]))
	}
	return json.Marshal(struct {
		*plain
		OrgValues []*float64   `json:"org_values,omitempty"`
		Deciles   [][]*float64 `json:"deciles"`
	}{(*plain)(p), nullable(p.OrgValues), dec})
}

// measurePage: the practices the user may see ranked for the latest month
// with their percentile among all practices loaded, and the deciles chart
// over time with the chosen organisation (?org=) drawn over it.
func (s *Server) measurePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderMeasure(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderMeasure(w http.ResponseWriter, r *http.Request, rq *request, status int, typed map[string]string, errs problem.Fields) error {
	p, err := s.measurePageData(r, rq)
	if err != nil {
		return err
	}
	if p.History, err = s.store.MeasureHistory(r.Context(), p.Measure.ID); err != nil {
		return err
	}
	if p.CanManage, err = s.mayChangeMeasure(r, rq, p.Measure); err != nil {
		return err
	}
	p.Typed = typed
	notice := map[string]string{"reworded": "The measure is reworded; its old wording is kept in its history.",
		"retired":  "The measure is retired: it is no longer listed, and its values and history are kept.",
		"restored": "The measure is back in use."}[r.URL.Query().Get("done")]
	return s.render(w, r, rq, status, "measure", page{Title: p.Measure.Title, Nav: "measures", Data: p, Errors: errs, Notice: notice})
}

// errMeasureNotYours answers a change to a measure by someone who may not
// make it: measures are shared by everyone.
var errMeasureNotYours = problem.New(problem.Forbidden, "Measures are shared by every Place and ICB: only whoever added this one, or someone who manages measures at an ICB, can change or retire it.")

// mayChangeMeasure reports whether the person may reword or retire m: it
// is theirs (they added it), or they manage measures at an ICB or a region
// (a shipped measure only so).
func (s *Server) mayChangeMeasure(r *http.Request, rq *request, m access.Measure) (bool, error) {
	if !m.Builtin && m.CreatedBy != "" && strings.EqualFold(m.CreatedBy, rq.actor()) {
		return true, nil
	}
	return s.atICB(r, rq, people.ManageMeasures)
}

// measureToChange loads the measure in the path, if the person may change it.
func (s *Server) measureToChange(r *http.Request, rq *request) (access.Measure, error) {
	m, err := s.store.Measure(r.Context(), r.PathValue("id"))
	if err != nil {
		return m, err
	}
	ok, err := s.mayChangeMeasure(r, rq, m)
	if err == nil && !ok {
		err = errMeasureNotYours
	}
	return m, err
}

// rewordMeasure changes a commissioner's measure's words and direction.
func (s *Server) rewordMeasure(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.measureToChange(r, rq); err != nil {
		return err
	}
	var in struct {
		Title       string `form:"title"`
		Description string `form:"description"`
		Why         string `form:"why"`
		Direction   string `form:"direction"`
		Reason      string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	m := access.Measure{ID: r.PathValue("id"), Title: in.Title, Description: in.Description, Why: in.Why, Direction: access.Direction(in.Direction)}
	if err := s.store.RewordMeasure(r.Context(), rq.actor(), m, in.Reason); err != nil {
		if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
			return s.renderMeasure(w, r, rq, http.StatusUnprocessableEntity, map[string]string{"title": in.Title, "description": in.Description, "why": in.Why, "reason": in.Reason}, problem.FieldsOf(err))
		}
		return err
	}
	return s.doneRedirect(w, r, "/measures/"+m.ID+"?done=reworded")
}

// retireMeasure retires a measure, or (restore=1) brings it back.
func (s *Server) retireMeasure(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.measureToChange(r, rq); err != nil {
		return err
	}
	var in struct {
		Restore bool   `form:"restore"`
		Reason  string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.store.RetireMeasure(r.Context(), rq.actor(), id, !in.Restore, in.Reason); err != nil {
		if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
			return s.renderMeasure(w, r, rq, http.StatusUnprocessableEntity, map[string]string{"retire_reason": in.Reason},
				problem.Fields{{Name: "retire_reason", Message: problem.Message(err)}})
		}
		return err
	}
	done := "retired"
	if in.Restore {
		done = "restored"
	}
	return s.doneRedirect(w, r, "/measures/"+id+"?done="+done)
}

// measurePageData builds the page for the request.
func (s *Server) measurePageData(r *http.Request, rq *request) (*measurePage, error) {
	ctx := r.Context()
	d, err := s.measureTable(ctx, rq, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p := &measurePage{Measure: d.Measure, Source: access.Source, Months: d.Months, Deciles: d.Deciles, Place: strings.ToUpper(r.URL.Query().Get("place"))}
	if len(d.Months) == 0 {
		return p, nil
	}
	last := len(d.Months) - 1
	p.Latest, p.Count = d.Months[last], d.Count[last]
	if code := strings.ToUpper(r.URL.Query().Get("org")); code != "" {
		ok, err := s.can(ctx, rq, people.ViewOrg, code)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, problem.New(problem.Forbidden, "Your roles do not give you access to %s.", code)
		}
		o, err := s.store.Org(ctx, code)
		if err != nil {
			return nil, err
		}
		p.Org = &o
		scope, err := s.scope(ctx, rq, []string{code})
		if err != nil {
			return nil, err
		}
		p.OrgValues = d.Series(scope)
	}
	scope, err := s.scope(ctx, rq, roots(rq.user, people.ViewOrg))
	if err != nil {
		return nil, err
	}
	var ranked []string
	for code := range scope {
		if pv := d.Ranked[code]; pv != nil && pv[last].OK {
			ranked = append(ranked, code)
		}
	}
	names, err := s.store.OrgNames(ctx, ranked)
	if err != nil {
		return nil, err
	}
	for _, code := range ranked {
		pv := d.Ranked[code]
		p.Rows = append(p.Rows, rankRow{Code: code, Name: names[code], Value: pv[last].Value, Percentile: pv[last].Percentile})
	}
	better := d.Measure.Direction == access.LowerBetter
	sort.Slice(p.Rows, func(i, j int) bool {
		if p.Rows[i].Value == p.Rows[j].Value {
			return p.Rows[i].Name < p.Rows[j].Name
		}
		return (p.Rows[i].Value < p.Rows[j].Value) == better
	})
	p.Pager = newPager(r, len(p.Rows))
	p.Rows = p.Rows[p.Pager.Offset:min(p.Pager.Offset+p.Pager.Limit, len(p.Rows))]
	for i := range p.Rows { // drawn for the rows shown only
		p.Rows[i].Spark = sparkline(d.Ranked[p.Rows[i].Code])
	}
	var hl *series
	if p.Org != nil {
		hl = &series{Label: p.Org.Name, Values: p.OrgValues}
	}
	p.Chart = newDecileChart(d, 720, 300, hl, nil)
	if code := strings.ToUpper(r.URL.Query().Get("place")); code != "" {
		if p.Panels, err = s.pcnPanels(ctx, rq, d, code); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// sparkline draws a practice's values over the months as points for a
// 90 × 20 polyline.
func sparkline(vals []access.Ranked) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v.OK {
			lo, hi = math.Min(lo, v.Value), math.Max(hi, v.Value)
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	var b strings.Builder
	for i, v := range vals {
		if !v.OK {
			continue
		}
		x := 2 + float64(i)*86/math.Max(1, float64(len(vals)-1))
		y := 18 - (v.Value-lo)*16/(hi-lo)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
	}
	return strings.TrimSpace(b.String())
}

// measureCSV downloads the deciles by month, with the organisation's value.
func (s *Server) measureCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.measurePageData(r, rq)
	if err != nil {
		return err
	}
	cw := csvDownload(w, "measure-"+p.Measure.ID+".csv")
	head := []string{"month", "p10", "p20", "p30", "p40", "p50", "p60", "p70", "p80", "p90"}
	if p.Org != nil {
		head = append(head, p.Org.Code)
	}
	cw.Write(head)
	for i, m := range p.Months {
		rec := []string{m.Format(time.DateOnly)}
		for _, x := range p.Deciles[i] {
			rec = append(rec, num3(x))
		}
		if p.Org != nil {
			rec = append(rec, num3(p.OrgValues[i]))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// num3 writes a measure value with three decimals, or blank when unknown.
func num3(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

// pcnPanel is one PCN's small chart: each member practice's line over the
// deciles of all practices.
type pcnPanel struct {
	PCN   orgs.Org
	Chart *decileChart
	Names []string
}

// pcnPanels splits a measure by PCN across a Place (or ICB): one small chart
// per PCN with all its member practices.
func (s *Server) pcnPanels(ctx context.Context, rq *request, d *access.Table, code string) ([]pcnPanel, error) {
	ok, err := s.can(ctx, rq, people.ViewOrg, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem.New(problem.Forbidden, "Your roles do not give you access to %s.", code)
	}
	pcns, _, err := s.store.SearchOrgs(ctx, store.OrgQuery{Roots: []string{code}, On: rq.today, Kind: orgs.PCN, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []pcnPanel
	for _, pcn := range pcns {
		members, err := s.store.Children(ctx, pcn, rq.today)
		if err != nil {
			return nil, err
		}
		panel := pcnPanel{PCN: pcn}
		var lines []series
		for _, m := range members {
			pv := d.Ranked[m.Code]
			if pv == nil {
				continue
			}
			vals := make([]float64, len(pv))
			for i, v := range pv {
				vals[i] = math.NaN()
				if v.OK {
					vals[i] = v.Value
				}
			}
			lines = append(lines, series{Label: m.Name, Values: vals})
			panel.Names = append(panel.Names, m.Name)
		}
		if len(lines) == 0 {
			continue
		}
		panel.Chart = newDecileChart(d, 460, 220, nil, lines)
		out = append(out, panel)
	}
	return out, nil
}
