package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// pyramidRow is one age band of the pyramid, with each sex's share of the
// whole list (per mille) beside the comparators'.
type pyramidRow struct {
	Band          int    `json:"band"`
	Label         string `json:"age"`
	Male          int    `json:"male"`
	Female        int    `json:"female"`
	MalePM        int    `json:"male_per_mille"`
	FemalePM      int    `json:"female_per_mille"`
	PlaceMalePM   int    `json:"place_male_per_mille,omitempty"`
	PlaceFemalePM int    `json:"place_female_per_mille,omitempty"`
	RefMalePM     int    `json:"reference_male_per_mille"`
	RefFemalePM   int    `json:"reference_female_per_mille"`
}

// practiceRow is one practice on a Place (or PCN, ICB) population page.
type practiceRow struct {
	Code string `json:"code"`
	Name string `json:"name"`
	population.Summary
	RatioPM int `json:"weighted_ratio_per_mille"`
}

type popData struct {
	Org           orgs.Org           `json:"org"`
	Extract       time.Time          `json:"extract_date"`
	Extracts      []time.Time        `json:"extracts"`
	Summary       population.Summary `json:"summary"`
	Pyramid       []pyramidRow       `json:"pyramid"`
	PlaceName     string             `json:"place,omitempty"`
	RefLabel      string             `json:"reference"`
	Trend         []store.TrendPoint `json:"trend"`
	Practices     []practiceRow      `json:"practices,omitempty"`
	Sort          string             `json:"-"`
	Desc          bool               `json:"-"`
	WeightsFrom   string             `json:"weights_from"`
	WeightsSource string             `json:"-"`
	Chart         *pyramidChart      `json:"-"`
	TrendChart    *lineChart         `json:"-"`
}

// populationFor builds the population view of org at an extract (when
// extract is zero, the newest that holds the organisation).
func (s *Server) populationFor(ctx context.Context, rq *request, org orgs.Org, extract time.Time) (*popData, error) {
	d := &popData{Org: org, WeightsSource: population.DefaultWeightsSource}
	var err error
	if d.Extracts, err = s.store.Extracts(ctx); err != nil || len(d.Extracts) == 0 {
		return d, err
	}
	d.Extract = d.Extracts[0]
	if extract.IsZero() {
		// The organisation's own newest extract: a practice in an older one
		// only (closed since, or missing from the newest file) shows that,
		// not 0 patients.
		for _, e := range d.Extracts {
			pops, err := s.store.Populations(ctx, org.Code, e)
			if err != nil {
				return nil, err
			}
			if len(pops) > 0 {
				d.Extract = e
				break
			}
		}
	} else {
		found := false
		for _, e := range d.Extracts {
			found = found || e.Equal(extract)
		}
		if !found {
			msg := "Choose one of the extracts loaded"
			return nil, problem.OnField(problem.Invalid, "extract", msg)
		}
		d.Extract = extract
	}
	pops, err := s.store.Populations(ctx, org.Code, d.Extract)
	if err != nil {
		return nil, err
	}
	ref, n, err := s.store.AllBands(ctx, d.Extract)
	if err != nil {
		return nil, err
	}
	d.RefLabel = "All " + formatNumber(n) + " practices loaded"
	if n >= 5000 {
		d.RefLabel = "England"
	}
	w, from, err := s.store.Weights(ctx, org.Code, rq.today)
	if err != nil {
		return nil, err
	}
	d.WeightsFrom = from
	yearAgo, err := s.store.Populations(ctx, org.Code, d.Extract.AddDate(-1, 0, 0))
	if err != nil {
		return nil, err
	}
	var whole population.Pyramid
	d.Summary, whole = population.Summarise(pops, yearAgo, w, ref)
	if org.Kind != orgs.Practice {
		if d.Practices, err = s.practiceRows(ctx, pops, yearAgo, w, ref); err != nil {
			return nil, err
		}
	}
	var place population.Pyramid
	if org.Kind == orgs.Practice || org.Kind == orgs.PCN {
		if p, name, err := s.placePyramid(ctx, org.Code, d.Extract); err != nil {
			return nil, err
		} else if name != "" {
			place, d.PlaceName = p, name
		}
	}
	if d.Summary.HasBands {
		d.Pyramid = pyramidRows(whole, place, ref, d.PlaceName != "")
		d.Chart = newPyramidChart(d.Pyramid, d.PlaceName, d.RefLabel)
	}
	if d.Trend, err = s.store.ListTrend(ctx, org.Code, d.Extract); err != nil {
		return nil, err
	}
	d.TrendChart = newLineChart("Registered patients by extract", d.Trend)
	return d, nil
}

func (s *Server) practiceRows(ctx context.Context, pops, yearAgo map[string]*population.List, w population.Weights, ref population.Pyramid) ([]practiceRow, error) {
	names, err := s.store.OrgNames(ctx, slices.Collect(maps.Keys(pops)))
	if err != nil {
		return nil, err
	}
	var out []practiceRow
	for code, p := range pops {
		sum, _ := population.Summarise(map[string]*population.List{code: p}, yearAgo, w, ref)
		out = append(out, practiceRow{Code: code, Name: names[code], Summary: sum, RatioPM: sum.RatioPM()})
	}
	sortPractices(out, "name", false)
	return out, nil
}

// sortKeys are the columns a practice table sorts by.
var sortKeys = map[string]func(practiceRow) int{
	"list": func(r practiceRow) int { return r.Patients }, "weighted": func(r practiceRow) int { return r.Weighted },
	"ratio": func(r practiceRow) int { return r.RatioPM }, "under5": func(r practiceRow) int { return r.Under5PM },
	"over65": func(r practiceRow) int { return r.Over65PM }, "over85": func(r practiceRow) int { return r.Over85PM },
	"growth": func(r practiceRow) int { return r.GrowthPM },
}

func sortPractices(rows []practiceRow, key string, desc bool) {
	f := sortKeys[key]
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if desc {
			a, b = b, a
		}
		if f == nil || f(a) == f(b) {
			return a.Name < b.Name
		}
		return f(a) < f(b)
	})
}

// placePyramid adds up the Place above code (a practice or PCN).
func (s *Server) placePyramid(ctx context.Context, code string, extract time.Time) (population.Pyramid, string, error) {
	var p population.Pyramid
	chain, err := s.store.Ancestry(ctx, code, extract)
	if err != nil {
		return p, "", err
	}
	for _, c := range chain[1:] {
		o, err := s.store.Org(ctx, c)
		if err != nil {
			return p, "", err
		}
		if o.Kind != orgs.Place {
			continue
		}
		pops, err := s.store.Populations(ctx, o.Code, extract)
		if err != nil {
			return p, "", err
		}
		for _, pp := range pops {
			p.Add(pp.Bands)
		}
		if p.Total() == 0 {
			return p, "", nil
		}
		return p, o.Name, nil
	}
	return p, "", nil
}

func pyramidRows(whole, place, ref population.Pyramid, withPlace bool) []pyramidRow {
	t, pt, rt := whole.Total(), place.Total(), ref.Total()
	rows := make([]pyramidRow, 0, population.NBands)
	for b := population.NBands - 1; b >= 0; b-- { // oldest at the top, as pyramids are drawn
		r := pyramidRow{Band: b, Label: population.BandLabel(b),
			Male: whole[population.Male][b], Female: whole[population.Female][b],
			MalePM: population.PerMille(whole[population.Male][b], t), FemalePM: population.PerMille(whole[population.Female][b], t),
			RefMalePM: population.PerMille(ref[population.Male][b], rt), RefFemalePM: population.PerMille(ref[population.Female][b], rt)}
		if withPlace {
			r.PlaceMalePM, r.PlaceFemalePM = population.PerMille(place[population.Male][b], pt), population.PerMille(place[population.Female][b], pt)
		}
		rows = append(rows, r)
	}
	return rows
}

func (s *Server) populationPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.populationRequest(r, rq)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "population", page{Title: "Population – " + d.Org.Name, Nav: "orgs", Data: d})
}

// populationRequest reads ?extract= and ?sort=&dir= and builds the page data.
func (s *Server) populationRequest(r *http.Request, rq *request) (*popData, error) {
	org, err := s.store.Org(r.Context(), r.PathValue("code"))
	if err != nil {
		return nil, err
	}
	var extract time.Time
	if v := r.URL.Query().Get("extract"); v != "" {
		if extract, err = parseDay(v); err != nil {
			msg := "Choose one of the extracts loaded"
			return nil, problem.OnField(problem.Invalid, "extract", msg)
		}
	}
	d, err := s.populationFor(r.Context(), rq, org, extract)
	if err != nil {
		return nil, err
	}
	d.Sort, d.Desc = r.URL.Query().Get("sort"), r.URL.Query().Get("dir") == "desc"
	if _, ok := sortKeys[d.Sort]; !ok {
		d.Sort = "name"
	}
	sortPractices(d.Practices, d.Sort, d.Desc)
	return d, nil
}

// populationCSV downloads the practice comparison as CSV.
func (s *Server) populationCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.populationRequest(r, rq)
	if err != nil {
		return err
	}
	return writePopulationCSV(csvDownload(w, "population-"+d.Org.Code+"-"+d.Extract.Format(time.DateOnly)+".csv"), d)
}

func writePopulationCSV(cw *csvWriter, d *popData) error {
	cw.Write([]string{"practice_code", "practice_name", "extract_date", "registered_patients", "weighted_patients",
		"weighted_ratio", "under_5_pct", "aged_65_plus_pct", "aged_85_plus_pct", "patients_a_year_earlier", "growth_pct"})
	rows := d.Practices
	if d.Org.Kind == orgs.Practice {
		rows = []practiceRow{{Code: d.Org.Code, Name: d.Org.Name, Summary: d.Summary}}
		if d.Summary.HasWeighted {
			rows[0].RatioPM = population.PerMille(d.Summary.Weighted, d.Summary.Patients)
		}
	}
	for _, p := range rows {
		rec := []string{p.Code, p.Name, d.Extract.Format(time.DateOnly), strconv.Itoa(p.Patients), "", "", "", "", "", "", ""}
		if p.HasWeighted {
			rec[4], rec[5] = strconv.Itoa(p.Weighted), decimal(p.RatioPM, 3)
		}
		if p.HasBands {
			rec[6], rec[7], rec[8] = decimal(p.Under5PM, 1), decimal(p.Over65PM, 1), decimal(p.Over85PM, 1)
		}
		if p.HasGrowth {
			rec[9], rec[10] = strconv.Itoa(p.YearAgo), decimal(p.GrowthPM, 1)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// decimal writes a per-mille value as a percentage with one decimal place
// (places=1: 123 → "12.3") or as a ratio with three (places=3: 1234 → "1.234").
func decimal(pm, places int) string {
	neg := pm < 0
	if neg {
		pm = -pm
	}
	var s string
	if places == 3 {
		s = fmt.Sprintf("%d.%03d", pm/1000, pm%1000)
	} else {
		s = fmt.Sprintf("%d.%d", pm/10, pm%10)
	}
	if neg {
		return "-" + s
	}
	return s
}

// pct formats per mille for pages: 123 → "12.3%".
func pct(pm int) string { return strings.Replace(decimal(pm, 1), "-", "−", 1) + "%" }

// signedPct is pct with an explicit + for rises.
func signedPct(pm int) string {
	if pm > 0 {
		return "+" + pct(pm)
	}
	return pct(pm)
}

type weightsData struct {
	Org     orgs.Org           `json:"org"`
	Weights population.Weights `json:"weights_milli"`
	From    string             `json:"from"`
	Source  string             `json:"default_source"`
	CanEdit bool               `json:"-"`
	Form    map[string]string  `json:"-"`
	Notice  string             `json:"-"`
	Bands   []int              `json:"-"`
	Sexes   []population.Sex   `json:"-"`
}

func (s *Server) weightsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderWeights(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderWeights(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	ctx := r.Context()
	org, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	d := weightsData{Org: org, Source: population.DefaultWeightsSource, Form: form, Sexes: population.Sexes}
	if d.Weights, d.From, err = s.store.Weights(ctx, org.Code, rq.today); err != nil {
		return err
	}
	if org.Kind.Commissions() {
		d.CanEdit = people.Authorize(rq.user.Grants, people.EditWeights, rq.chain)
	}
	for b := population.NBands - 1; b >= 0; b-- {
		d.Bands = append(d.Bands, b)
	}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = "Weights saved. Weighted lists below this organisation now use them."
	}
	return s.render(w, r, rq, status, "weights", page{Title: "Needs weights – " + org.Name, Nav: "orgs", Errors: errs, Data: d, Notice: d.Notice})
}

// saveWeights takes 40 decimal weights (F0…F19, M0…M19), or reset=1 to go
// back to the default.
func (s *Server) saveWeights(w http.ResponseWriter, r *http.Request, rq *request) error {
	var fields []string
	for _, sx := range population.Sexes {
		for b := range population.NBands {
			fields = append(fields, population.WeightKey(sx, b))
		}
	}
	in, err := decode(r, append(fields, "reset")...)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	if in["reset"] != "" {
		if err := s.store.SaveWeights(r.Context(), rq.actor(), code, nil); err != nil {
			return err
		}
	} else {
		var wt population.Weights
		var errs problem.Fields
		for _, sx := range population.Sexes {
			for b := range population.NBands {
				f := population.WeightKey(sx, b)
				v, ok := parseMilli(in[f])
				if !ok {
					errs.Add(f, fmt.Sprintf("Enter the weight for %s aged %s as a number from 0 to 100, like 1.25", strings.ToLower(sx.String())+"s", population.BandLabel(b)))
				}
				wt[sx][b] = v
			}
		}
		if len(errs) > 0 {
			if wantsJSON(r) {
				return &problem.Error{Kind: problem.Invalid, Fields: errs}
			}
			return s.renderWeights(w, r, rq, http.StatusUnprocessableEntity, in, errs)
		}
		if err := s.store.SaveWeights(r.Context(), rq.actor(), code, &wt); err != nil {
			return err
		}
	}
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/orgs/"+code+"/weights?done=saved", http.StatusSeeOther)
	return nil
}

// parseMilli reads "1.25" as 1250; at most three decimals, 0 to 100.
func parseMilli(s string) (int, bool) {
	v, ok := numfmt.ParseDecimal(s, 3) // no sign: "-0.5" had been read as 0.5
	return int(v), ok && v <= 100000
}

// SortURL links a column header: ascending first, then the other way.
func (d *popData) SortURL(key string) string {
	dir := "asc"
	if d.Sort == key && !d.Desc {
		dir = "desc"
	}
	return fmt.Sprintf("/orgs/%s/population?extract=%s&sort=%s&dir=%s", d.Org.Code, d.Extract.Format(time.DateOnly), key, dir)
}

// AriaSort says how a column is sorted, for screen readers.
func (d *popData) AriaSort(key string) string {
	switch {
	case d.Sort != key:
		return "none"
	case d.Desc:
		return "descending"
	}
	return "ascending"
}

// WeightValue is the value a weights form field shows.
func (d weightsData) WeightValue(sx population.Sex, band int) string {
	if v, ok := d.Form[population.WeightKey(sx, band)]; ok {
		return v
	}
	return decimal(d.Weights[sx][band], 3)
}

// Field names a weights form input.
func (d weightsData) Field(sx population.Sex, band int) string { return population.WeightKey(sx, band) }

// Label names an age band.
func (d weightsData) Label(band int) string { return population.BandLabel(band) }
