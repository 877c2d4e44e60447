package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// dueView is a must-do as a page shows it, with the forms the viewer may use.
type dueView struct {
	mustdo.Item
	OrgName  string
	Guidance string // Markdown, from the catalogue
	Status   mustdo.Status
	CanDo    bool // may complete it
	CanGive  bool // may assign it
	Mine     bool // assigned to the viewer, or theirs personally
}

// owedFor works out the items of the organisations from from to to, with
// what has happened to them.
func (s *Server) owedFor(ctx context.Context, codes []string, from, to time.Time) ([]mustdo.Item, []mustdo.Org, error) {
	states, err := s.store.MustDoStates(ctx, codes)
	if err != nil {
		return nil, nil, err
	}
	items, os, err := s.obligationsOwed(ctx, codes, states, from, to)
	if err != nil {
		return nil, nil, err
	}
	// Claims for the services each organisation signed up to, done once made
	// (or marked done as a must-do).
	signed, err := s.store.SignedUp(ctx, codes)
	if err != nil {
		return nil, nil, err
	}
	made, err := s.store.ClaimStates(ctx, codes)
	if err != nil {
		return nil, nil, err
	}
	for k, st := range states {
		if _, ok := made[k]; !ok {
			made[k] = st
		}
	}
	items = append(items, mustdo.ClaimItems(signed, from, to, made)...)
	slices.SortStableFunc(items, func(a, b mustdo.Item) int { return a.Due.Compare(b.Due) })
	return items, os, nil
}

// obligationsOwed is what the organisations owe from the catalogue, due
// from from to to, with their states, withdrawn obligations left out.
func (s *Server) obligationsOwed(ctx context.Context, codes []string, states map[mustdo.Key]mustdo.State, from, to time.Time) ([]mustdo.Item, []mustdo.Org, error) {
	cat, err := s.store.MustDoCatalogue(ctx)
	if err != nil {
		return nil, nil, err
	}
	os, err := s.store.MustDoOrgs(ctx, codes)
	if err != nil {
		return nil, nil, err
	}
	dates, err := s.store.MustDoDates(ctx)
	if err != nil {
		return nil, nil, err
	}
	items, err := mustdo.Owed(cat, os, from, to, mustdo.England(), dates, states)
	if err != nil {
		return nil, nil, err
	}
	return mustdo.Current(items), os, nil
}

func (s *Server) viewItem(rq *request, it mustdo.Item, names, guides map[string]string) dueView {
	me := rq.actor()
	v := dueView{Item: it, OrgName: names[it.Org], Guidance: guides[it.Code], Status: it.StatusOn(rq.today)}
	keeps := people.AuthorizeHere(rq.user.Grants, people.DoMustDos, it.Org)
	v.CanDo = !it.Done && (keeps || (it.Person != "" && strings.EqualFold(it.Person, me)) || strings.EqualFold(it.Assignee, me) || strings.EqualFold(it.Deputy, me))
	v.CanGive = !it.Done && keeps && it.Person == ""
	v.Mine = strings.EqualFold(it.Assignee, me) || (it.Person != "" && strings.EqualFold(it.Person, me))
	return v
}

// guides is each obligation's guidance, by code.
func (s *Server) guides(ctx context.Context) (map[string]string, error) {
	cat, err := s.store.MustDoCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, o := range cat {
		out[o.Code] = o.Guidance
	}
	return out, nil
}

// weekData is "My week": what the signed-in person's organisations, and they
// personally, owe soon.
type weekData struct {
	Overdue []dueView    `json:"overdue"`
	Week    []dueView    `json:"due_in_7_days"`
	Month   []dueView    `json:"due_in_30_days"`
	Waiting []dueView    `json:"waiting_on_someone_else"`
	Others  int          `json:"others_personal"` // personal items of other people: a count, never what
	HasFeed bool         `json:"has_calendar"`
	Prefs   mustdo.Prefs `json:"reminders"`
	Today   time.Time    `json:"today"`
}

func (s *Server) myWeek(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderWeekWithErrors(w, r, rq, nil)
}

// week is what the person's organisations owe from a year ago to 30 days
// ahead, sorted as My week shows it (the home page counts it too), without
// the catalogue's guidance, which only My week shows.
func (s *Server) week(ctx context.Context, rq *request) (weekData, error) {
	var codes []string
	for _, g := range rq.user.Grants {
		if !slices.Contains(codes, g.OrgCode) {
			codes = append(codes, g.OrgCode)
		}
	}
	d := weekData{Today: rq.today}
	items, os, err := s.owedFor(ctx, codes, rq.today.AddDate(-1, 0, 0), rq.today.AddDate(0, 0, 30))
	if err != nil {
		return d, err
	}
	names := map[string]string{}
	for _, o := range os {
		names[o.Code] = o.Name
	}
	for _, it := range items {
		if !it.VisibleTo(rq.actor()) {
			d.Others++
			continue
		}
		v := s.viewItem(rq, it, names, nil) // guidance is My week's alone (renderWeekWithErrors)
		switch {
		case v.Status == mustdo.Done || v.Status == mustdo.Later:
		case it.Assignee != "" && !v.Mine && !strings.EqualFold(it.Deputy, rq.actor()):
			d.Waiting = append(d.Waiting, v)
		case v.Status == mustdo.Overdue:
			d.Overdue = append(d.Overdue, v)
		case v.Status == mustdo.DueSoon:
			d.Week = append(d.Week, v)
		default:
			d.Month = append(d.Month, v)
		}
	}
	return d, nil
}

// renderWeekWithErrors shows My week, with any problems from a form on it.
func (s *Server) renderWeekWithErrors(w http.ResponseWriter, r *http.Request, rq *request, errs problem.Fields) error {
	d, err := s.week(r.Context(), rq)
	if err != nil {
		return err
	}
	guides, err := s.guides(r.Context())
	if err != nil {
		return err
	}
	for _, list := range [][]dueView{d.Overdue, d.Week, d.Month, d.Waiting} {
		for i := range list {
			list[i].Guidance = guides[list[i].Code]
		}
	}
	if d.HasFeed, err = s.store.HasFeed(r.Context(), rq.user.ID); err != nil {
		return err
	}
	prefs, err := s.store.ReminderPrefs(r.Context())
	if err != nil {
		return err
	}
	d.Prefs = mustdo.DefaultPrefs
	if p, ok := prefs[rq.actor()]; ok {
		d.Prefs = p
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, rq, status, "myweek", page{Title: "My week", Nav: "week", Data: d, Errors: errs, Notice: mustdoNotices[r.URL.Query().Get("done")]})
}

var mustdoNotices = map[string]string{"done": "Marked as done.", "assigned": "Assigned.", "dates": "The year's dates are set.",
	"added": "Obligation added for every organisation that owes it.", "revoked": "Your calendar address no longer works. Make a new one when you want it.",
	"withdrawn": "Obligation withdrawn: it is owed no more, and calendars show its items as cancelled.", "prefs": "Your reminder choices are saved.",
	"nudged": "Nudged: the practice's people will have an email.", "imported": "Catalogue loaded."}

// dueForm is what the must-do forms send: an item's identity and, for
// each form, its own fields; read once, as a JSON body can be read once.
type dueForm struct {
	Code     string `form:"code"`
	Person   string `form:"person"`
	Period   string `form:"period"`
	Note     string `form:"note"`
	Link     string `form:"link"`
	Assignee string `form:"assignee"`
	Deputy   string `form:"deputy"`
}

// key is the item the form names at org.
func (in dueForm) key(org string) (mustdo.Key, error) {
	p, err := parseDay(in.Period)
	if err != nil || in.Code == "" {
		return mustdo.Key{}, problem.New(problem.Invalid, "That is not one of the organisation's obligations")
	}
	return mustdo.Key{Code: in.Code, Org: org, Person: in.Person, Period: p}, nil
}

// findItem is the item a key names, if the organisation owes it around
// its period.
func (s *Server) findItem(ctx context.Context, k mustdo.Key) (mustdo.Item, error) {
	items, _, err := s.owedFor(ctx, []string{k.Org}, k.Period.AddDate(-1, 0, 0), k.Period.AddDate(1, 0, 0))
	if err != nil {
		return mustdo.Item{}, err
	}
	for _, it := range items {
		if it.Key() == k {
			return it, nil
		}
	}
	return mustdo.Item{}, problem.New(problem.NotFound, "%s does not owe that obligation for that period", k.Org)
}

func backTo(r *http.Request, def string) string {
	if b := safeNext(r.PostForm.Get("back")); b != "/" {
		return b
	}
	return def
}

func (s *Server) completeMustDo(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in dueForm
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	k, err := in.key(code)
	if err != nil {
		return err
	}
	it, err := s.findItem(r.Context(), k)
	if err != nil {
		return err
	}
	v := s.viewItem(rq, it, nil, nil)
	if !it.VisibleTo(rq.actor()) || !v.CanDo {
		return problem.New(problem.Forbidden, "You cannot complete this item: it is someone else's, or done already")
	}
	note, link := strings.TrimSpace(in.Note), strings.TrimSpace(in.Link)
	var errs problem.Fields
	if link != "" {
		if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.Add("link", "Enter a link starting https://")
		}
	}
	if len([]rune(note)) > 2000 {
		errs.Add("note", "Write 2,000 characters or fewer")
	}
	var file *store.EvidenceFile
	if r.MultipartForm != nil {
		if f, hdr, err := r.FormFile("file"); err == nil {
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, capability.MaxEvidenceBytes+1))
			if err != nil {
				return err
			}
			// The same kinds and size as a capability review's evidence, checked by their bytes.
			if ctype, err := capability.CheckEvidence(capability.Review{}, data); err != nil {
				errs.Add("file", problem.Message(err))
			} else {
				file = &store.EvidenceFile{Name: clip(hdr.Filename, 200), ContentType: ctype, Data: data}
			}
		}
	}
	if it.Evidence && note == "" && link == "" && file == nil {
		errs.Add("note", "This obligation needs evidence: say what was done, give a link, or attach a file")
	}
	if err := errs.Err(); err != nil {
		if wantsJSON(r) {
			return err
		}
		// Back to the page, with the problem beside the item.
		for i := range errs {
			errs[i].Message = it.Title + ": " + errs[i].Message
			errs[i].Name = "note-" + k.Code + "-" + k.Org + "-" + k.Period.Format(time.DateOnly)
		}
		rq2 := *rq
		return s.renderWeekWithErrors(w, r, &rq2, errs)
	}
	if err := s.store.CompleteMustDo(r.Context(), rq.actor(), k, note, link, file); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/my-week"), "done", map[string]any{"done": k.Code})
}

// mustDoFile sends an item's evidence file to those who may see the item.
func (s *Server) mustDoFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := parseDay(r.URL.Query().Get("period"))
	if err != nil {
		return problem.New(problem.NotFound, "There is no such item")
	}
	k := mustdo.Key{Code: r.URL.Query().Get("code"), Org: r.PathValue("code"), Person: r.URL.Query().Get("person"), Period: p}
	if k.Person != "" && !strings.EqualFold(k.Person, rq.actor()) {
		return problem.New(problem.NotFound, "There is no such item")
	}
	f, err := s.store.MustDoFile(r.Context(), k)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(f.Name, `"`, "")))
	_, err = w.Write(f.Data)
	return err
}

func (s *Server) assignMustDo(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in dueForm
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	k, err := in.key(code)
	if err != nil {
		return err
	}
	if _, err := s.findItem(r.Context(), k); err != nil {
		return err
	}
	if k.Person != "" {
		return problem.New(problem.Forbidden, "A personal item cannot be given to someone else")
	}
	var errs problem.Fields
	for _, f := range []struct{ name, email string }{{"assignee", in.Assignee}, {"deputy", in.Deputy}} {
		e := strings.ToLower(strings.TrimSpace(f.email))
		if e == "" && f.name == "deputy" {
			continue
		}
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs.Add(f.name, "Enter the email address of a person at "+code)
			continue
		}
		u, err := s.store.UserByEmail(r.Context(), e)
		if err != nil || !slices.ContainsFunc(u.Grants, func(g people.Grant) bool { return g.OrgCode == code }) {
			errs.Add(f.name, e+" holds no role at "+code)
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if err := s.store.AssignMustDo(r.Context(), rq.actor(), k, strings.ToLower(strings.TrimSpace(in.Assignee)), strings.ToLower(strings.TrimSpace(in.Deputy))); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/orgs/"+code+"/mustdos"), "assigned", map[string]any{"assigned": k.Code})
}

type orgMustDoData struct {
	Org    orgs.Org  `json:"org"`
	Year   int       `json:"year"`
	Items  []dueView `json:"items"`
	Others int       `json:"others_personal"`
}

// orgMustDos lists an organisation's obligations for a year.
func (s *Server) orgMustDos(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return err
	}
	year := rq.today.Year()
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y > 2000 && y < 2100 {
		year = y
	}
	items, _, err := s.owedFor(r.Context(), []string{code}, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	guides, err := s.guides(r.Context())
	if err != nil {
		return err
	}
	d := orgMustDoData{Org: o, Year: year}
	for _, it := range items {
		if !it.VisibleTo(rq.actor()) {
			d.Others++
			continue
		}
		d.Items = append(d.Items, s.viewItem(rq, it, map[string]string{code: o.Name}, guides))
	}
	return s.render(w, r, rq, http.StatusOK, "mustdos", page{Title: "Must-dos: " + o.Name, Data: d, Notice: mustdoNotices[r.URL.Query().Get("done")]})
}

// dutyCell is one organisation's standing on one obligation in a year.
type dutyCell struct {
	Done, Overdue, Open int
	Class               string
	Text                string
}

type dutyRow struct {
	Org   orgs.Org
	Cells []dutyCell
}

type dutyCount struct {
	Code, Title          string
	Owing, Done, Overdue int // organisations that owe it; of them, done for the whole year, and with some overdue
	Clear                int // with nothing overdue: a monthly return mid-year is never done for the year
}

type mustdoHeatData struct {
	Org        orgs.Org          `json:"org"`
	Year       int               `json:"year"`
	Codes      []string          `json:"obligations"`
	Titles     []string          `json:"-"`
	Rows       []dutyRow         `json:"-"`
	Counts     []dutyCount       `json:"counts"`
	CanSet     bool              `json:"-"`
	Typed      map[string]string `json:"-"` // a refused form as typed (its name: "dates" or "oneoff", then its fields)
	CanNudge   bool              `json:"-"` // a PCN's own people, of its member practices
	Tables     []template.HTML   `json:"-"` // each page's table, without nudges
	Pager      pager             `json:"-"`
	PageRows   []dutyRow         `json:"-"` // the page's rows
	Table      template.HTML     `json:"-"` // the page's table, without nudges
	CountsHTML template.HTML     `json:"-"` // the counts, as a list
}

// heatPageSize is how many practices a page of the heat map shows; the
// counts above it, and the downloads, cover them all.
const heatPageSize = pageSize

// mustDoHeat is the commissioner's practices × obligations view for a
// year: done, overdue, still open, not owed. It is kept, for everyone who
// may see it, while nothing it is worked out from changes
// (store.MustDoVersion): an ICB's map is a hundred thousand items.
func (s *Server) mustDoHeat(r *http.Request, rq *request) (*mustdoHeatData, error) {
	code := r.PathValue("code")
	year := rq.today.Year()
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y > 2000 && y < 2100 {
		year = y
	}
	v, err := s.mustDoVersion(r.Context(), rq)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%d|%s", code, year, rq.today.Format(time.DateOnly))
	shared, ok := s.heats.Get(v, key)
	if !ok {
		if shared, err = s.buildMustDoHeat(r.Context(), rq, code, year); err != nil {
			return nil, err
		}
		s.heats.Put(v, key, shared)
	}
	d := *shared // the rows are shared: read only
	d.CanSet = s.mayChangeMustDos(r, rq) == nil
	d.CanNudge = d.Org.Kind == orgs.PCN && people.AuthorizeHere(rq.user.Grants, people.DoMustDos, code)
	d.Pager = newPager(r, len(d.Rows))
	d.Pager.Limit = heatPageSize
	page := d.Pager.Offset / heatPageSize
	d.Pager.Offset = page * heatPageSize
	d.PageRows = d.Rows[d.Pager.Offset:min(d.Pager.Offset+heatPageSize, len(d.Rows))]
	if page < len(d.Tables) {
		d.Table = d.Tables[page]
	}
	return &d, nil
}

func (s *Server) buildMustDoHeat(ctx context.Context, rq *request, code string, year int) (*mustdoHeatData, error) {
	o, err := s.store.Org(ctx, code)
	if err != nil {
		return nil, err
	}
	scope, err := s.scope(ctx, rq, []string{code})
	if err != nil {
		return nil, err
	}
	var codes []string
	for c := range scope {
		codes = append(codes, c)
	}
	// Claims owed are not the map's columns: only the catalogue's.
	states, err := s.store.MustDoStates(ctx, codes)
	if err != nil {
		return nil, err
	}
	items, os, err := s.obligationsOwed(ctx, codes, states, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	cat, err := s.store.MustDoCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	d := &mustdoHeatData{Org: o, Year: year}
	col := map[string]int{}
	for _, ob := range cat {
		if ob.Owner == mustdo.Practice || ob.Owner == mustdo.GP {
			col[ob.Code] = len(d.Codes)
			d.Codes = append(d.Codes, ob.Code)
			d.Titles = append(d.Titles, ob.Title)
			d.Counts = append(d.Counts, dutyCount{Code: ob.Code, Title: ob.Title})
		}
	}
	rowOf := map[string]int{}
	full, err := s.store.OrgsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	byCode := map[string]orgs.Org{}
	for _, f := range full {
		byCode[f.Code] = f
	}
	for _, mo := range os {
		if mo.Kind == orgs.Practice {
			rowOf[mo.Code] = len(d.Rows)
			d.Rows = append(d.Rows, dutyRow{Org: byCode[mo.Code], Cells: make([]dutyCell, len(d.Codes))})
		}
	}
	owes := map[[2]string]bool{}
	for _, it := range items {
		ri, ok := rowOf[it.Org]
		ci, ok2 := col[it.Code]
		if !ok || !ok2 {
			continue
		}
		c := &d.Rows[ri].Cells[ci]
		switch it.StatusOn(rq.today) {
		case mustdo.Done:
			c.Done++
		case mustdo.Overdue:
			c.Overdue++
		default:
			c.Open++
		}
		owes[[2]string{it.Org, it.Code}] = true
	}
	for ri := range d.Rows {
		for ci := range d.Rows[ri].Cells {
			c := &d.Rows[ri].Cells[ci]
			n := c.Done + c.Overdue + c.Open
			switch {
			case n == 0:
				c.Class, c.Text = "onepc-heat-na", "–"
			case c.Overdue > 0:
				c.Class, c.Text = "onepc-heat-bad", fmt.Sprintf("%d overdue", c.Overdue)
			case c.Done == n:
				c.Class, c.Text = "onepc-heat-good", "Done"
			default:
				c.Class, c.Text = "onepc-heat-open", fmt.Sprintf("%d of %d done", c.Done, n)
			}
			if n > 0 {
				hc := &d.Counts[ci]
				hc.Owing++
				if c.Overdue > 0 {
					hc.Overdue++
				} else {
					hc.Clear++
				}
				if c.Done == n {
					hc.Done++
				}
			}
		}
	}
	slices.SortFunc(d.Rows, func(a, b dutyRow) int { return strings.Compare(a.Org.Name, b.Org.Name) })
	// The counts and each page's table are written once while the map
	// stands: ten thousand cells through the template took 14 ms of a
	// page's 15 (bench/mustdo).
	var counts bytes.Buffer
	if err := s.pages["mustdo_heat"].ExecuteTemplate(&counts, "heatCounts", d); err != nil {
		return nil, err
	}
	d.CountsHTML = template.HTML(counts.String())
	for start := 0; start < len(d.Rows); start += heatPageSize {
		var buf bytes.Buffer
		rows := d.Rows[start:min(start+heatPageSize, len(d.Rows))]
		if err := s.pages["mustdo_heat"].ExecuteTemplate(&buf, "heatTable", map[string]any{"D": d, "Rows": rows, "CSRF": ""}); err != nil {
			return nil, err
		}
		d.Tables = append(d.Tables, template.HTML(buf.String()))
	}
	return d, nil
}

func (s *Server) mustDoHeatPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.mustDoHeat(r, rq)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, d)
	}
	return s.render(w, r, rq, http.StatusOK, "mustdo_heat", page{Title: fmt.Sprintf("Must-dos across %s, %d", d.Org.Name, d.Year), Data: d,
		Notice: mustdoNotices[r.URL.Query().Get("done")]})
}

func (d *mustdoHeatData) records() ([]string, [][]any) {
	header := append([]string{"org_code", "org_name"}, d.Codes...)
	var rows [][]any
	for _, row := range d.Rows {
		rec := []any{row.Org.Code, row.Org.Name}
		for _, c := range row.Cells {
			rec = append(rec, c.Text)
		}
		rows = append(rows, rec)
	}
	return header, rows
}

func (s *Server) mustDoHeatCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.mustDoHeat(r, rq)
	if err != nil {
		return err
	}
	header, rows := d.records()
	cw := csvDownload(w, fmt.Sprintf("mustdos-%s-%d.csv", d.Org.Code, d.Year))
	cw.Write(header)
	for _, rec := range rows {
		cells := make([]string, len(rec))
		for i, v := range rec {
			cells[i] = fmt.Sprint(v)
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) mustDoHeatXLSX(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.mustDoHeat(r, rq)
	if err != nil {
		return err
	}
	header, rows := d.records()
	return writeXLSX(w, fmt.Sprintf("mustdos-%s-%d.xlsx", d.Org.Code, d.Year), "Must-dos", header, rows)
}

// mustDoFormRefused shows the overview a must-dos form was sent from (its
// "back") again, with the form as typed and what is wrong by field, rather
// than a page with no form to mend; other errors, and scripts, get err.
func (s *Server) mustDoFormRefused(w http.ResponseWriter, r *http.Request, rq *request, form string, err error) error {
	fields := problem.FieldsOf(err)
	back, perr := url.Parse(safeNext(r.PostForm.Get("back")))
	code, ok := strings.CutPrefix(back.Path, "/orgs/")
	if ok {
		code, ok = strings.CutSuffix(code, "/mustdos/overview")
	}
	if len(fields) == 0 || wantsJSON(r) || perr != nil || !ok {
		return err
	}
	if may, cerr := s.can(r.Context(), rq, people.ViewOrg, code); cerr != nil || !may {
		return err
	}
	over := r.Clone(r.Context())
	over.URL = back
	over.SetPathValue("code", code)
	d, derr := s.mustDoHeat(over, rq)
	if derr != nil {
		return derr
	}
	d.Typed = map[string]string{}
	for k := range r.PostForm {
		d.Typed[k] = r.PostForm.Get(k)
	}
	d.Typed["form"] = form  // which form was sent: the route's, not a field's
	for i := range fields { // the one-off form's code box has an id of its own
		if form == "oneoff" && fields[i].Name == "code" {
			fields[i].Name = "oneoff-code"
		}
	}
	return s.render(w, r, rq, http.StatusUnprocessableEntity, "mustdo_heat", page{Title: fmt.Sprintf("Must-dos across %s, %d", d.Org.Name, d.Year), Data: d, Errors: fields})
}

// errNotICBCommissioner answers a commissioner below an ICB: the must-dos'
// dates, one-off items and withdrawals apply to every organisation, in
// every Place and ICB, like the catalogue they change.
var errNotICBCommissioner = problem.New(problem.Forbidden, "Only a commissioner at an ICB or a region can change the national must-dos (a year's dates, one-off items, withdrawals): they apply to every organisation.")

// mayChangeMustDos is the check of errNotICBCommissioner.
func (s *Server) mayChangeMustDos(r *http.Request, rq *request) error {
	ok, err := s.atICB(r, rq, people.SetMustDos)
	if err == nil && !ok {
		err = errNotICBCommissioner
	}
	return err
}

// setMustDoDates sets an obligation's own dates for a year (a commissioner).
func (s *Server) setMustDoDates(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayChangeMustDos(r, rq); err != nil {
		return err
	}
	var in struct {
		Code  string `form:"code"`
		Year  int    `form:"year"`
		Opens string `form:"opens"`
		Due   string `form:"due"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	cat, err := s.store.MustDoCatalogue(r.Context())
	if err != nil {
		return err
	}
	var errs problem.Fields
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	if !slices.ContainsFunc(cat, func(o mustdo.Obligation) bool { return o.Code == in.Code }) {
		errs.Add("code", fmt.Sprintf("There is no obligation with the code %q: the catalogue (Must-dos, then The catalogue) lists them", in.Code))
	}
	if in.Year < 2000 || in.Year > 2100 {
		errs.Add("year", "Enter the year the dates are for, like 2027")
	}
	var d mustdo.Dates
	if in.Opens != "" {
		if d.Opens, err = parseDay(in.Opens); err != nil {
			errs.Add("opens", "Enter a real date as YYYY-MM-DD")
		}
	}
	if d.Due, err = parseDay(in.Due); err != nil {
		errs.Add("due", "Enter a real date as YYYY-MM-DD")
	} else if d.Due.Year() != in.Year && d.Due.Year() != in.Year+1 {
		errs.Add("due", fmt.Sprintf("The due date must fall in %d or early %d", in.Year, in.Year+1))
	}
	if !d.Opens.IsZero() && d.Due.Before(d.Opens) {
		errs.Add("due", "The due date must not be before the window opens")
	}
	if err := errs.Err(); err != nil {
		return s.mustDoFormRefused(w, r, rq, "dates", err)
	}
	if err := s.store.SetMustDoDates(r.Context(), rq.actor(), in.Code, in.Year, d); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/my-week"), "dates", map[string]string{"set": in.Code})
}

// addOneOff adds a one-off obligation for every organisation of a kind (a
// contract change), from a commissioner.
func (s *Server) addOneOff(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayChangeMustDos(r, rq); err != nil {
		return err
	}
	var in struct {
		Code     string `form:"code"`
		Title    string `form:"title"`
		Guidance string `form:"guidance"`
		Owner    string `form:"owner"`
		Date     string `form:"date"`
		Evidence bool   `form:"evidence"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	o := mustdo.Obligation{Code: strings.ToUpper(strings.TrimSpace(in.Code)), Title: strings.TrimSpace(in.Title), Guidance: strings.TrimSpace(in.Guidance),
		Owner: mustdo.Owner(in.Owner), Recurrence: mustdo.OneOff, Date: strings.TrimSpace(in.Date), Evidence: in.Evidence,
		Source: "Added by " + rq.actor(), Checked: rq.today.Format(time.DateOnly)}
	var errs problem.Fields
	if field, msg := o.Check(); field != "" {
		errs.Add(field, strings.ToUpper(msg[:1])+msg[1:])
	}
	// A one-off is for a contract change at hand: a date past, or more than
	// five years ahead, is a slip of the keyboard (and would sit on every
	// calendar until then).
	if d, err := time.Parse(time.DateOnly, o.Date); err == nil && (d.Before(rq.today) || d.After(rq.today.AddDate(5, 0, 0))) {
		errs.Add("date", "Give a date from today to five years ahead: a one-off must-do is for a change at hand")
	} // a date that does not read is o.Check's to say
	if err := errs.Err(); err != nil {
		return s.mustDoFormRefused(w, r, rq, "oneoff", err)
	}
	if err := s.store.AddOneOff(r.Context(), rq.actor(), o); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/my-week"), "added", o)
}

// calendarFeed is a person's private iCalendar feed of what they and their
// organisations owe: one all-day event an item, with a stable UID, a
// SEQUENCE that rises when its date moves, STATUS:CANCELLED once withdrawn,
// alarms 14 and 3 days before, and a link back. Other people's personal
// items are never in it. An unknown or revoked token is a plain 404.
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request, rq *request) error {
	token := strings.TrimSuffix(r.PathValue("token"), ".ics")
	id, err := s.store.FeedUserID(r.Context(), token)
	if err != nil {
		http.NotFound(w, r)
		return nil
	}
	// Kept while nothing it is worked out from changes
	// (store.MustDoVersion): calendar programs ask every few minutes.
	v, err := s.mustDoVersion(r.Context(), rq)
	if err != nil {
		return err
	}
	base := s.publicBase(r)
	key := fmt.Sprintf("%d|%s|%s", id, rq.today.Format(time.DateOnly), base)
	f, ok := s.feeds.Get(v, key)
	if !ok {
		u, err := s.store.User(r.Context(), id)
		if err != nil {
			return err
		}
		body, err := s.buildFeed(r.Context(), rq, u, base)
		if err != nil {
			return err
		}
		f = &calendarFile{body: body}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(body))
		if err := zw.Close(); err != nil {
			return err
		}
		f.gzipped = gz.Bytes()
		s.feeds.Put(v, key, f)
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="onepc-mustdos.ics"`)
	w.Header().Set("Vary", "Accept-Encoding")
	// Calendar programs take it compressed: a tenth of the bytes.
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		_, err = w.Write(f.gzipped)
		return err
	}
	_, err = io.WriteString(w, f.body)
	return err
}

// calendarFile is a calendar feed as written, and compressed.
type calendarFile struct {
	body    string
	gzipped []byte
}

// acceptsGzip reports whether the client takes a gzip-compressed body.
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (s *Server) buildFeed(ctx context.Context, rq *request, u people.User, base string) (string, error) {
	var codes []string
	for _, g := range u.Grants {
		if !slices.Contains(codes, g.OrgCode) {
			codes = append(codes, g.OrgCode)
		}
	}
	cat, err := s.store.MustDoCatalogue(ctx)
	if err != nil {
		return "", err
	}
	os, err := s.store.MustDoOrgs(ctx, codes)
	if err != nil {
		return "", err
	}
	dates, err := s.store.MustDoDates(ctx)
	if err != nil {
		return "", err
	}
	states, err := s.store.MustDoStates(ctx, codes)
	if err != nil {
		return "", err
	}
	items, err := mustdo.Owed(cat, os, rq.today.AddDate(0, -3, 0), rq.today.AddDate(1, 1, 0), mustdo.England(), dates, states)
	if err != nil {
		return "", err
	}
	names := map[string]string{}
	for _, o := range os {
		names[o.Code] = o.Name
	}
	return mustdo.Feed(items, u.Email, names, base, s.now()), nil
}

// calendarAddress makes the signed-in person a new private calendar
// address (revoking the old), or revokes it (revoke=1), and shows it once.
func (s *Server) calendarAddress(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Revoke bool `form:"revoke"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if in.Revoke {
		if err := s.store.RevokeFeeds(r.Context(), rq.user.ID, rq.actor()); err != nil {
			return err
		}
		return s.done(w, r, "/my-week", "revoked", map[string]bool{"revoked": true})
	}
	token, err := s.store.CreateFeed(r.Context(), rq.user.ID, rq.actor())
	if err != nil {
		return err
	}
	address := s.publicBase(r) + "/calendar/" + token + ".ics"
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, map[string]string{"address": address})
	}
	return s.render(w, r, rq, http.StatusOK, "calendar_address", page{Title: "Your calendar address", Nav: "week", Data: address})
}

// withdrawMustDo withdraws an obligation (a commissioner).
func (s *Server) withdrawMustDo(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayChangeMustDos(r, rq); err != nil {
		return err
	}
	var in struct {
		Code string `form:"code"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if err := s.store.WithdrawMustDo(r.Context(), rq.actor(), strings.ToUpper(strings.TrimSpace(in.Code))); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/my-week"), "withdrawn", map[string]string{"withdrawn": in.Code})
}

// outboxPage shows administrators the reminder emails: sent, and waiting
// (all of them, where no mail server is configured).
func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	scope, err := s.scopeFor(r, rq, people.ViewAudit)
	if err != nil {
		return err
	}
	msgs, total, err := s.store.Outbox(r.Context(), scope, 200)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "outbox", page{Title: "Outbox", Nav: "audit", Data: map[string]any{"Messages": msgs, "Total": total}})
}

// reminderPrefs keeps the signed-in person's reminder choices.
func (s *Server) reminderPrefs(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Digest  bool `form:"digest"`
		Singles bool `form:"singles"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if err := s.store.SetReminderPrefs(r.Context(), rq.user.ID, rq.actor(), mustdo.Prefs{Digest: in.Digest, Singles: in.Singles}); err != nil {
		return err
	}
	return s.done(w, r, "/my-week", "prefs", in)
}

// nudge reminds a member practice of its overdue items of one obligation:
// a PCN's managers and clinical director, from the PCN's overview.
func (s *Server) nudge(w http.ResponseWriter, r *http.Request, rq *request) error {
	pcn := r.PathValue("code")
	var in struct {
		Practice string `form:"practice"`
		Code     string `form:"obligation"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	scope, err := s.scope(r.Context(), rq, []string{pcn})
	if err != nil {
		return err
	}
	if !scope[in.Practice] || in.Practice == pcn {
		return problem.New(problem.NotFound, "%s is not a member of %s", in.Practice, pcn)
	}
	items, _, err := s.owedFor(r.Context(), []string{in.Practice}, rq.today.AddDate(-1, 0, 0), rq.today)
	if err != nil {
		return err
	}
	to, err := s.store.ReminderRecipients(r.Context(), rq.today)
	if err != nil {
		return err
	}
	var rs []mustdo.Reminder
	for _, it := range items {
		if it.Code != in.Code || it.Person != "" || it.StatusOn(rq.today) != mustdo.Overdue {
			continue
		}
		who := to[it.Org].Keepers
		if it.Assignee != "" {
			who = []string{it.Assignee}
		}
		for _, p := range who {
			rs = append(rs, mustdo.Reminder{Key: fmt.Sprintf("nudge/%s/%s/%s/%s/%s", it.Code, it.Org, it.Key().Period.Format(time.DateOnly), rq.today.Format(time.DateOnly), p),
				To: p, Subject: "A nudge from your PCN: " + it.Title + " is overdue",
				Body: rq.user.Name + " at your PCN asks about this overdue item.\r\n\r\n" + it.Title + ", due " + it.Due.Format("2 January 2006") + "\r\n" + s.mailLink("/my-week", "My week") + "\r\n"})
		}
	}
	if len(rs) == 0 {
		return problem.New(problem.Conflict, "%s has nothing overdue for %s", in.Practice, in.Code)
	}
	if _, err := s.store.QueueReminders(r.Context(), rs); err != nil {
		return err
	}
	return s.done(w, r, backTo(r, "/orgs/"+pcn+"/mustdos/overview"), "nudged", map[string]int{"reminders": len(rs)})
}

// catalogueData is the obligations catalogue page.
type catalogueData struct {
	Obligations []mustdo.Obligation `json:"obligations"`
	CanImport   bool                `json:"-"`
}

func (s *Server) cataloguePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderCatalogue(w, r, rq, http.StatusOK, nil)
}

func (s *Server) renderCatalogue(w http.ResponseWriter, r *http.Request, rq *request, status int, errs problem.Fields) error {
	cat, err := s.store.MustDoCatalogue(r.Context())
	if err != nil {
		return err
	}
	d := catalogueData{Obligations: cat, CanImport: canUploadFrameworks(rq.user)}
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "catalogue", page{Title: "Obligations catalogue", Errors: errs, Data: d, Notice: mustdoNotices[r.URL.Query().Get("done")]})
}

func (s *Server) catalogueCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	cat, err := s.store.MustDoCatalogue(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="mustdo-catalogue.csv"`)
	return mustdo.WriteCatalogue(w, cat)
}

// importCatalogue replaces the catalogue from a CSV file (an administrator
// at an ICB or region); a broken line refuses the whole file, naming it.
func (s *Server) importCatalogue(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !canUploadFrameworks(rq.user) {
		return problem.New(problem.Forbidden, "Only an administrator at an ICB or region can change the obligations catalogue.")
	}
	if err := readForm(r); err != nil {
		return err
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return s.renderCatalogue(w, r, rq, http.StatusUnprocessableEntity, problem.Fields{{Name: "file", Message: "Choose a catalogue file (CSV)"}})
	}
	defer f.Close()
	cat, err := mustdo.ParseCatalogue(io.LimitReader(f, 5<<20))
	if err != nil {
		return s.renderCatalogue(w, r, rq, http.StatusUnprocessableEntity, problem.Fields{{Name: "file", Message: "The file was not loaded: " + err.Error()}})
	}
	if err := s.store.ImportMustDoCatalogue(r.Context(), rq.actor(), cat); err != nil {
		return err
	}
	return s.done(w, r, "/mustdos/catalogue", "imported", map[string]int{"obligations": len(cat)})
}
