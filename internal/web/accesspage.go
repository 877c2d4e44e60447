package web

import (
	"cmp"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// measureRow is one measure on an organisation's access page.
type measureRow struct {
	Measure    access.Measure `json:"measure"`
	Value      float64        `json:"value"`
	HasValue   bool           `json:"has_value"`
	YearAgo    float64        `json:"value_a_year_earlier"`
	HasYearAgo bool           `json:"has_value_a_year_earlier"`
	Change     float64        `json:"change"`
	Verdict    string         `json:"verdict"` // "Improved", "Declined", "Changed", or "No significant change"
	Percentile float64        `json:"percentile"`
	HasPct     bool           `json:"has_percentile"`
	Median     *float64       `json:"median"` // of all practices' values over the same months; nil when none has one
	Months     int            `json:"months_loaded"`
	Test       string         `json:"test"` // the significance test the verdict comes from
	Target     *float64       `json:"target,omitempty"`
	RAG        string         `json:"rag,omitempty"` // red, amber, green
	Alert      *alertView     `json:"alert,omitempty"`
}

type alertView struct {
	Practice string  `json:"practice_code"`
	Name     string  `json:"practice_name"`
	Measure  string  `json:"measure"`
	Better   *bool   `json:"better,omitempty"` // nil for a neutral measure
	Rising   bool    `json:"rising"`
	Since    string  `json:"since"`
	From     float64 `json:"from_percentile"`
	To       float64 `json:"to_percentile"`
}

type heatRow struct {
	Code, Name string
	Cells      []heatCell
}

type heatCell struct {
	Percentile float64
	OK         bool
	Class      string
}

type accessData struct {
	Org       orgs.Org             `json:"org"`
	Period    int                  `json:"period_months"`
	Loaded    int                  `json:"months_loaded"` // of the period's months, how many are loaded
	From, To  time.Time            `json:"-"`
	Rows      []measureRow         `json:"measures"`
	Improved  []alertView          `json:"most_improved,omitempty"`
	Declined  []alertView          `json:"most_declined,omitempty"`
	Measures  []access.Measure     `json:"-"`
	Typed     map[string]string    `json:"-"` // the target form as typed, when refused
	Heat      []heatRow            `json:"-"`
	Sort      string               `json:"-"`
	HasData   bool                 `json:"has_data"`
	CanTarget bool                 `json:"-"`
	Targets   []store.TargetChange `json:"target_history,omitempty"`
	Titles    map[string]string    `json:"-"` // measure id → title
	Notice    string               `json:"-"`
}

// accessPage shows every measure for an organisation: its latest value,
// percentile, target, and its change against the same months a year
// earlier, called an improvement or a decline only where its test at 95%
// (access.Measure.Test) says it lies outside chance. For a Place, PCN or ICB it adds
// the practices' heatmap and the most improved and most declined.
func (s *Server) accessPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.accessData(r, rq)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "access", page{Title: "Access – " + d.Org.Name, Nav: "measures", Data: d, Notice: d.Notice})
}

// accessData builds the page for the request.
func (s *Server) accessData(r *http.Request, rq *request) (*accessData, error) {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return nil, err
	}
	d := &accessData{Org: o, Period: 1, Sort: r.URL.Query().Get("sort"),
		CanTarget: o.Kind.Commissions() && people.Authorize(rq.user.Grants, people.ManageMeasures, rq.chain)}
	if r.URL.Query().Get("done") == "target" {
		d.Notice = "Target saved."
	}
	switch r.URL.Query().Get("period") {
	case "", "1":
	case "3":
		d.Period = 3
	case "12":
		d.Period = 12
	default:
		msg := "Choose the latest month, the last 3 months or the last 12 months"
		return nil, problem.OnField(problem.Invalid, "period", msg)
	}
	scope, err := s.scope(ctx, rq, []string{o.Code})
	if err != nil {
		return nil, err
	}
	names, err := s.store.OrgNames(ctx, slices.Collect(maps.Keys(scope)))
	if err != nil {
		return nil, err
	}
	targets, err := s.store.Targets(ctx, rq.chain)
	if err != nil {
		return nil, err
	}
	ms, err := s.measures(ctx, rq)
	if err != nil {
		return nil, err
	}
	d.Measures = ms
	if o.Kind.Commissions() {
		if d.Targets, err = s.store.TargetHistory(ctx, o.Code); err != nil {
			return nil, err
		}
		d.Titles = map[string]string{}
		for _, m := range ms {
			d.Titles[m.ID] = m.Title
		}
	}
	heat := map[string]*heatRow{}
	for mi, m := range ms {
		md, err := s.measureTable(ctx, rq, m.ID)
		if err != nil {
			return nil, err
		}
		st, ok := md.Summarise(o.Code, scope, d.Period)
		if !ok {
			continue
		}
		n := len(md.Months)
		d.HasData = true
		d.From, d.To = st.From, st.To
		row := measureRow{Measure: m, Median: known(st.Median), Value: st.Value, HasValue: st.HasValue, YearAgo: st.YearAgo,
			HasYearAgo: st.HasYearAgo, Change: st.Change, Verdict: st.Verdict, Percentile: st.Percentile, HasPct: st.HasPercentile,
			Months: st.Months, Test: m.TestName()}
		d.Loaded = st.Months
		if t, ok := targets[m.ID]; ok {
			v := float64(t.Milli) / 1000
			row.Target = &v
			if row.HasValue {
				row.RAG = access.RAG(m, row.Value, v)
			}
		}
		// Change alerts: the organisation's own (a practice), or its practices'.
		for code := range scope {
			pv := md.Ranked[code]
			if pv == nil {
				continue
			}
			series := md.Percentiles(code)
			if o.Kind != orgs.Practice && code != o.Code {
				h := heat[code]
				if h == nil {
					h = &heatRow{Code: code, Name: cmp.Or(names[code], code), Cells: make([]heatCell, len(ms))}
					heat[code] = h
				}
				if pv[n-1].OK {
					h.Cells[mi] = heatCell{Percentile: pv[n-1].Percentile, OK: true, Class: heatClass(m, pv[n-1].Percentile)}
				}
			}
			a, ok := access.DetectChange(series)
			if !ok {
				continue
			}
			av := alertView{Practice: code, Measure: m.Title, Rising: a.Rising, Since: md.Months[a.Start].Format("January 2006"), From: a.From, To: a.To}
			av.Name = names[code]
			av.Better = access.Better(m, a.Rising)
			if code == o.Code {
				row.Alert = &av
			} else if av.Better != nil && *av.Better {
				d.Improved = append(d.Improved, av)
			} else if av.Better != nil {
				d.Declined = append(d.Declined, av)
			}
		}
		d.Rows = append(d.Rows, row)
	}
	bySize := func(list []alertView) {
		sort.Slice(list, func(i, j int) bool { return math.Abs(list[i].To-list[i].From) > math.Abs(list[j].To-list[j].From) })
	}
	bySize(d.Improved)
	bySize(d.Declined)
	d.Improved, d.Declined = d.Improved[:min(len(d.Improved), 10)], d.Declined[:min(len(d.Declined), 10)]
	for _, h := range heat {
		d.Heat = append(d.Heat, *h)
	}
	col := -1
	for i, m := range ms {
		if m.ID == d.Sort {
			col = i
		}
	}
	sort.Slice(d.Heat, func(i, j int) bool {
		if col >= 0 && d.Heat[i].Cells[col].Percentile != d.Heat[j].Cells[col].Percentile {
			return d.Heat[i].Cells[col].Percentile > d.Heat[j].Cells[col].Percentile
		}
		return d.Heat[i].Name < d.Heat[j].Name
	})
	return d, nil
}

// heatClass shades a percentile: darker is better where the measure has a
// better way, by plain fifths for a neutral one.
func heatClass(m access.Measure, pct float64) string {
	return "onepc-heat-" + strconv.Itoa(min(4, int(access.Goodness(m, pct)/20)))
}

// setTarget sets a measure's target at a Place or ICB (value in the
// measure's unit; empty clears it).
func (s *Server) setTarget(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	o, err := s.store.Org(ctx, code)
	if err != nil {
		return err
	}
	if !o.Kind.Commissions() {
		return problem.New(problem.Invalid, "Targets are set for a Place or an ICB; %s is %s", o.Name, o.Kind.ALabel())
	}
	var in struct {
		Measure string `form:"measure"`
		Target  string `form:"target"` // in the measure's unit; empty clears it
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	m, err := s.store.Measure(ctx, in.Measure)
	if err != nil {
		return err
	}
	t := store.Target{Measure: m.ID, Org: code}
	in.Target = strings.TrimSpace(in.Target)
	clear := in.Target == ""
	if !clear && m.Direction == access.Neutral {
		return problem.BadField("target", "%s is a measure where neither higher nor lower is better, so a target could not say whether it is met: choose another measure", m.Title)
	}
	if !clear {
		if m.Unit == access.Percent { // "50%" is how a share is written
			in.Target = strings.TrimSpace(strings.TrimSuffix(in.Target, "%"))
		}
		milli, ok := numfmt.ParseDecimal(in.Target, 3)
		if !ok {
			return problem.BadField("target", "Enter the target as a number of at most three decimal places, like 62.5, not %q", in.Target)
		}
		if err := access.CheckTarget(m, float64(milli)/1000); err != nil {
			return err
		}
		t.Milli = milli
	}
	if err := s.store.SetTarget(ctx, rq.actor(), t, clear); err != nil {
		return err
	}
	return s.doneRedirect(w, r, "/orgs/"+code+"/access?done=target")
}

// setTargetOrSay is setTarget, or shows the access page again with the form
// as typed and what is wrong with it (not a page with no form to mend).
func (s *Server) setTargetOrSay(w http.ResponseWriter, r *http.Request, rq *request) error {
	err := s.setTarget(w, r, rq)
	fields := problem.FieldsOf(err)
	if err == nil || len(fields) == 0 || wantsJSON(r) {
		return err
	}
	d, derr := s.accessData(r, rq)
	if derr != nil {
		return derr
	}
	d.Typed = map[string]string{"measure": r.PostForm.Get("measure"), "target": r.PostForm.Get("target")}
	return s.render(w, r, rq, http.StatusUnprocessableEntity, "access", page{Title: "Access – " + d.Org.Name, Nav: "measures", Data: d, Errors: fields})
}

// accessCSV downloads an organisation's access page as CSV: one row per
// measure for the organisation, then one per practice below it and measure
// (the heatmap's figures).
func (s *Server) accessCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.accessData(r, rq)
	if err != nil {
		return err
	}
	cw := csvDownload(w, "access-"+d.Org.Code+".csv")
	cw.Write([]string{"org_code", "org_name", "measure", "value", "value_a_year_earlier", "change", "verdict", "percentile", "target", "rag"})
	opt := func(x float64, ok bool) string {
		if !ok {
			return ""
		}
		return num3(x)
	}
	for _, m := range d.Rows {
		target := ""
		if m.Target != nil {
			target = num3(*m.Target)
		}
		cw.Write([]string{d.Org.Code, d.Org.Name, m.Measure.ID, opt(m.Value, m.HasValue), opt(m.YearAgo, m.HasYearAgo),
			opt(m.Change, m.Verdict != ""), m.Verdict, opt(m.Percentile, m.HasPct), target, m.RAG})
	}
	for _, h := range d.Heat {
		for i, c := range h.Cells {
			if c.OK {
				cw.Write([]string{h.Code, h.Name, d.Measures[i].ID, "", "", "", "", num3(c.Percentile), "", ""})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// known is x, or nil when it is not a number: JSON has no NaN, and an API
// answer must never fail half-way through for want of one.
func known(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
