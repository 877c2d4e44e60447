package web

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/records"
	"github.com/onepc/onepc/internal/store"
)

// registerData is an organisation's records register page and its JSON.
type registerData struct {
	Org          orgs.Org              `json:"org"`
	Summary      records.Summary       `json:"summary"`
	Rows         []records.Row         `json:"collections"`
	Holds        []records.Hold        `json:"holds"`
	Certificates []records.Certificate `json:"certificates"`
	Schedule     int                   `json:"schedule_version"`
	Review       []records.Row         `json:"-"` // due, waiting for approval, or held
	ClassOptions []string              `json:"-"` // value, label pairs
	Names        map[int64]string      `json:"-"` // collection → name, for the holds list
	CanKeep      bool                  `json:"-"`
	Form         map[string]string     `json:"-"`
	Checked      map[int64]bool        `json:"-"` // collections ticked in the hold form
	AllChecked   bool                  `json:"-"`
	Today        time.Time             `json:"-"`
}

// keeps reports whether the signed-in user keeps org's register, as the
// routes that change it require: a role that keeps records held at org
// itself (people.AuthorizeHere). Those above may look, not keep.
func (s *Server) keeps(rq *request, org string) bool {
	return people.AuthorizeHere(rq.user.Grants, people.KeepRecords, org)
}

func (s *Server) loadRegister(r *http.Request, rq *request) (*registerData, store.Schedule, error) {
	code := r.PathValue("code")
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return nil, store.Schedule{}, err
	}
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return nil, sc, err
	}
	reg, err := s.store.Register(r.Context(), code)
	if err != nil {
		return nil, sc, err
	}
	classes := sc.ByCode()
	d := &registerData{Org: o, Summary: reg.Summarise(classes, rq.today), Rows: reg.Rows(classes, rq.today), Holds: reg.Holds,
		Certificates: reg.Certificates, Schedule: sc.Version, CanKeep: s.keeps(rq, code), Names: map[int64]string{}, Checked: map[int64]bool{}, Today: rq.today}
	for _, row := range d.Rows {
		d.Names[row.Collection.ID] = row.Collection.Name
		if row.State == records.DueNow || row.State == records.Proposed || row.State == records.Held {
			d.Review = append(d.Review, row)
		}
	}
	for _, c := range sc.Classes {
		d.ClassOptions = append(d.ClassOptions, c.Code, c.RecordType+" ("+c.Code+")")
	}
	return d, sc, nil
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, _, err := s.loadRegister(r, rq)
	if err != nil {
		return err
	}
	return s.renderRegister(w, r, rq, http.StatusOK, d, nil)
}

var recordNotices = map[string]string{
	"added":     "Collection added to the register.",
	"changed":   "Collection changed.",
	"proposed":  "Decision proposed. A second person who keeps the register must now approve it.",
	"approved":  "Decision approved.",
	"rejected":  "Decision rejected.",
	"withdrawn": "Decision withdrawn.",
	"held":      "Legal hold placed. Nothing it covers can be destroyed or transferred until it is lifted.",
	"lifted":    "Legal hold lifted.",
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, rq *request, status int, d *registerData, errs problem.Fields) error {
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "records", page{Title: "Records register: " + d.Org.Name, Errors: errs, Data: d,
		Notice: recordNotices[r.URL.Query().Get("done")]})
}

func (s *Server) addCollection(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in records.CollectionInput
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return err
	}
	c, _, err := records.NewCollection(in, sc.ByCode(), rq.today)
	if err == nil {
		var added []records.Collection
		added, err = s.store.AddCollections(r.Context(), rq.actor(), code, c)
		if err == nil {
			c = added[0]
		}
	}
	if err != nil {
		if problem.KindOf(err) != problem.Invalid || wantsJSON(r) {
			return err
		}
		d, _, lerr := s.loadRegister(r, rq)
		if lerr != nil {
			return lerr
		}
		d.Form = collectionForm(in)
		return s.renderRegister(w, r, rq, http.StatusUnprocessableEntity, d, problem.FieldsOf(err))
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, c)
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/records/%d?done=added", code, c.ID), http.StatusSeeOther)
	return nil
}

func collectionForm(in records.CollectionInput) map[string]string {
	return map[string]string{"name": in.Name, "class": in.Class, "location": in.Location, "owner": in.Owner, "volume": in.Volume,
		"event_date": in.Event, "reused_on": in.Reused, "birth_date": in.Birth, "death_date": in.Death}
}

// collectionData is one collection's page.
type collectionData struct {
	Org         orgs.Org             `json:"org"`
	Row         records.Row          `json:"collection"`
	Proposals   []records.Proposal   `json:"decisions"`
	Holds       []records.Hold       `json:"holds"` // those covering it
	Certificate *records.Certificate `json:"certificate,omitempty"`
	CanKeep     bool                 `json:"-"`
	CanApprove  bool                 `json:"-"` // a second person, and a decision waits
	Form        map[string]string    `json:"-"`
	ClassOpts   []string             `json:"-"`
	Decisions   []string             `json:"-"`
}

func (s *Server) loadCollection(r *http.Request, rq *request) (*collectionData, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, problem.New(problem.NotFound, "There is no such collection")
	}
	reg, _, err := s.loadRegister(r, rq)
	if err != nil {
		return nil, err
	}
	d := &collectionData{Org: reg.Org, CanKeep: reg.CanKeep, ClassOpts: reg.ClassOptions}
	found := false
	for _, row := range reg.Rows {
		if row.Collection.ID == id {
			d.Row, found = row, true
		}
	}
	if !found {
		return nil, problem.New(problem.NotFound, "There is no such collection in %s's register", reg.Org.Name)
	}
	for _, h := range reg.Holds {
		if h.All || slices.Contains(h.Collections, id) {
			d.Holds = append(d.Holds, h)
		}
	}
	for _, c := range reg.Certificates {
		if c.CollectionID == id {
			d.Certificate = &c
		}
	}
	// Offer only the decisions the collection allows as it stands.
	for _, dec := range []records.Decision{records.Destroy, records.TransferIt} {
		if records.CheckDisposal(dec, d.Row.State, d.Row.Class.Action) == nil {
			d.Decisions = append(d.Decisions, string(dec), dec.Label())
		}
	}
	if d.Row.State != records.Never {
		d.Decisions = append(d.Decisions, string(records.KeepLonger), records.KeepLonger.Label())
	}
	if d.Proposals, err = s.store.Proposals(r.Context(), reg.Org.Code, id); err != nil {
		return nil, err
	}
	d.CanApprove = d.CanKeep && d.Row.Pending != nil && !strings.EqualFold(d.Row.Pending.ProposedBy, rq.actor())
	c := d.Row.Collection
	d.Form = collectionForm(records.CollectionInput{Name: c.Name, Class: c.Class, Location: c.Location, Owner: c.Owner, Volume: c.Volume,
		Event: c.Event, Reused: c.Reused, Birth: c.Birth, Death: c.Death})
	return d, nil
}

func (s *Server) collectionPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.loadCollection(r, rq)
	if err != nil {
		return err
	}
	return s.renderCollection(w, r, rq, http.StatusOK, d, nil)
}

func (s *Server) renderCollection(w http.ResponseWriter, r *http.Request, rq *request, status int, d *collectionData, errs problem.Fields) error {
	if wantsJSON(r) && len(errs) == 0 {
		return writeJSON(w, status, d)
	}
	return s.render(w, r, rq, status, "collection", page{Title: d.Row.Collection.Name, Errors: errs, Data: d,
		Notice: recordNotices[r.URL.Query().Get("done")]})
}

// collectionProblem shows the collection page again with what is wrong; a
// problem other than bad input or a conflict goes to the error page.
func (s *Server) collectionProblem(w http.ResponseWriter, r *http.Request, rq *request, form map[string]string, err error) error {
	k := problem.KindOf(err)
	if (k != problem.Invalid && k != problem.Conflict && k != problem.Forbidden) || wantsJSON(r) {
		return err
	}
	d, lerr := s.loadCollection(r, rq)
	if lerr != nil {
		return lerr
	}
	for name, v := range form {
		d.Form[name] = v
	}
	errs := problem.FieldsOf(err)
	if len(errs) == 0 {
		errs.Add("decision", problem.Message(err))
	}
	return s.renderCollection(w, r, rq, statusOf(k), d, errs)
}

func (s *Server) collectionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, problem.New(problem.NotFound, "There is no such collection")
	}
	return id, nil
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, to, what string, v any) error {
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, v)
	}
	sep := "?"
	if strings.Contains(to, "?") { // a page with its own query, such as a year
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done="+what, http.StatusSeeOther)
	return nil
}

func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := s.collectionID(r)
	if err != nil {
		return err
	}
	var in struct {
		Name     string `form:"name"`
		Class    string `form:"class"`
		Location string `form:"location"`
		Owner    string `form:"owner"`
		Volume   string `form:"volume"`
		Event    string `form:"event_date"`
		Reused   string `form:"reused_on"`
		Birth    string `form:"birth_date"`
		Death    string `form:"death_date"`
		Version  int    `form:"version"`
	}
	if err := decodeInto(r, &in); err != nil { // once: a JSON body can be read only once
		return err
	}
	entry := records.CollectionInput{Name: in.Name, Class: in.Class, Location: in.Location, Owner: in.Owner, Volume: in.Volume,
		Event: in.Event, Reused: in.Reused, Birth: in.Birth, Death: in.Death}
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return err
	}
	c, _, err := records.NewCollection(entry, sc.ByCode(), rq.today)
	if err == nil {
		c, err = s.store.UpdateCollection(r.Context(), rq.actor(), code, id, in.Version, c)
	}
	if err != nil {
		return s.collectionProblem(w, r, rq, collectionForm(entry), err)
	}
	return s.done(w, r, fmt.Sprintf("/orgs/%s/records/%d", code, id), "changed", c)
}

func (s *Server) proposeDisposal(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := s.collectionID(r)
	if err != nil {
		return err
	}
	var in records.ProposalInput
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	p, err := s.store.ProposeDisposal(r.Context(), rq.actor(), code, id, in, rq.today)
	if err != nil {
		return s.collectionProblem(w, r, rq, map[string]string{"decision": in.Decision, "years": in.Years, "justification": in.Justification, "exception": in.Exception}, err)
	}
	return s.done(w, r, fmt.Sprintf("/orgs/%s/records/%d", code, id), "proposed", p)
}

func (s *Server) decideDisposal(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := s.collectionID(r)
	if err != nil {
		return err
	}
	pid, err := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such decision")
	}
	var in struct {
		Action string `form:"action"`
		Note   string `form:"note"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if in.Action != "approve" && in.Action != "reject" {
		return problem.OnField(problem.Invalid, "action", "Choose approve or reject")
	}
	if len(in.Note) > 2000 {
		return problem.OnField(problem.Invalid, "note", "Write 2,000 characters or fewer")
	}
	p, cert, err := s.store.DecideProposal(r.Context(), rq.actor(), code, id, pid, in.Action == "approve", strings.TrimSpace(in.Note), rq.today)
	if err != nil {
		return s.collectionProblem(w, r, rq, nil, err)
	}
	if cert != nil && !wantsJSON(r) {
		http.Redirect(w, r, fmt.Sprintf("/orgs/%s/certificates/%d", code, cert.ID), http.StatusSeeOther)
		return nil
	}
	return s.done(w, r, fmt.Sprintf("/orgs/%s/records/%d", code, id), p.Status,
		map[string]any{"decision": p, "certificate": cert})
}

func (s *Server) placeHold(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in struct {
		Reason      string `form:"reason"`
		All         bool   `form:"all"`
		Collections string `form:"collections"` // comma-separated in JSON; repeated in a form
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	raw := strings.Split(in.Collections, ",")
	if !wantsJSONBody(r) {
		raw = r.PostForm["collections"]
	}
	var ids []int64
	for _, v := range raw {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return problem.OnField(problem.Invalid, "collections", fmt.Sprintf("%q is not a collection number", v))
		}
		ids = append(ids, id)
	}
	h, err := records.NewHold(in.Reason, in.All, ids)
	if err == nil {
		h, err = s.store.PlaceHold(r.Context(), rq.actor(), code, h)
	}
	if err != nil {
		if problem.KindOf(err) != problem.Invalid || wantsJSON(r) {
			return err
		}
		d, _, lerr := s.loadRegister(r, rq)
		if lerr != nil {
			return lerr
		}
		d.Form = map[string]string{"reason": in.Reason}
		for _, id := range ids {
			d.Checked[id] = true
		}
		d.AllChecked = in.All
		return s.renderRegister(w, r, rq, http.StatusUnprocessableEntity, d, problem.FieldsOf(err))
	}
	return s.done(w, r, "/orgs/"+code+"/records", "held", h)
}

func (s *Server) liftHold(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such hold")
	}
	var in struct {
		Reason string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if err := s.store.LiftHold(r.Context(), rq.actor(), code, id, strings.TrimSpace(in.Reason)); err != nil {
		if problem.KindOf(err) != problem.Invalid || wantsJSON(r) {
			return err
		}
		d, _, lerr := s.loadRegister(r, rq)
		if lerr != nil {
			return lerr
		}
		errs := problem.FieldsOf(err)
		for i := range errs {
			errs[i].Name = fmt.Sprintf("lift-%d", id) // the reason box of that hold
		}
		return s.renderRegister(w, r, rq, http.StatusUnprocessableEntity, d, errs)
	}
	return s.done(w, r, "/orgs/"+code+"/records", "lifted", map[string]int64{"lifted": id})
}

func (s *Server) certificatePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such certificate")
	}
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return err
	}
	c, err := s.store.Certificate(r.Context(), code, id)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, c)
	}
	return s.render(w, r, rq, http.StatusOK, "certificate", page{Title: fmt.Sprintf("Certificate of %s %d", certificateWord(c.Decision), c.ID),
		Data: map[string]any{"Org": o, "Cert": c}})
}

func certificateWord(d records.Decision) string {
	if d == records.TransferIt {
		return "transfer"
	}
	return "destruction"
}

var certificateHeader = []string{"certificate", "org_code", "collection", "class", "record_type", "location", "volume", "decision", "basis",
	"justification", "proposed_by", "approved_by", "approver_note", "issued_at"}

func (s *Server) certificatesCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	reg, err := s.store.Register(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	cw := csvDownload(w, "certificates-"+reg.Org+"-"+rq.today.Format(time.DateOnly)+".csv")
	cw.Write(certificateHeader)
	for _, c := range reg.Certificates {
		cw.Write([]string{strconv.FormatInt(c.ID, 10), c.Org, c.Collection, c.Class, c.RecordType, c.Location, c.Volume, string(c.Decision), c.Basis,
			c.Justification, c.ProposedBy, c.ApprovedBy, c.Note, c.IssuedAt.Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

// summaryPage is the one-page register summary an organisation gives as
// evidence for the Data Security and Protection Toolkit's record-keeping
// questions.
func (s *Server) recordsSummaryPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, sc, err := s.loadRegister(r, rq)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "records_summary", page{Title: "Records register summary: " + d.Org.Name,
		Data: map[string]any{"Reg": d, "Schedule": sc}})
}

// overviewRow is one organisation in a commissioner's overview.
type overviewRow struct {
	Org orgs.Org `json:"org"`
	records.Summary
}

type overviewData struct {
	Org   orgs.Org        `json:"org"`
	Rows  []overviewRow   `json:"organisations"`
	Total records.Summary `json:"total"`
	With  int             `json:"with_register"`
}

// recordsOverview is where registers stand across the practices and PCNs
// at or below an organisation (a Place or ICB): who has a register, what is
// overdue for review, holds in force, certificates issued.
func (s *Server) recordsOverview(r *http.Request, rq *request) (*overviewData, error) {
	code := r.PathValue("code")
	o, err := s.store.Org(r.Context(), code)
	if err != nil {
		return nil, err
	}
	scope, err := s.scope(r.Context(), rq, []string{code})
	if err != nil {
		return nil, err
	}
	var codes []string
	for c := range scope {
		codes = append(codes, c)
	}
	list, err := s.store.OrgsByCode(r.Context(), codes)
	if err != nil {
		return nil, err
	}
	regs, err := s.store.Registers(r.Context(), codes)
	if err != nil {
		return nil, err
	}
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return nil, err
	}
	classes := sc.ByCode()
	d := &overviewData{Org: o}
	for _, org := range list {
		if org.Kind != orgs.Practice && org.Kind != orgs.PCN && org.Code != code {
			continue
		}
		if org.Kind == orgs.Practice && org.Status == "C" && len(regs[org.Code].Collections) == 0 {
			continue // a closed practice with no register
		}
		sum := regs[org.Code].Summarise(classes, rq.today)
		d.Rows = append(d.Rows, overviewRow{Org: org, Summary: sum})
		if sum.HasRegister() {
			d.With++
		}
		d.Total.Collections += sum.Collections
		d.Total.Due += sum.Due
		d.Total.Proposed += sum.Proposed
		d.Total.Held += sum.Held
		d.Total.HoldsInForce += sum.HoldsInForce
		d.Total.Certificates += sum.Certificates
		d.Total.LastYear += sum.LastYear
	}
	order := func(k orgs.Kind) int { // practices, then PCNs, then the organisation itself
		switch k {
		case orgs.Practice:
			return 0
		case orgs.PCN:
			return 1
		}
		return 2
	}
	slices.SortFunc(d.Rows, func(a, b overviewRow) int {
		return cmp.Or(cmp.Compare(order(a.Org.Kind), order(b.Org.Kind)), strings.Compare(a.Org.Name, b.Org.Name))
	})
	return d, nil
}

func (s *Server) recordsOverviewPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.recordsOverview(r, rq)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, d)
	}
	return s.render(w, r, rq, http.StatusOK, "records_overview", page{Title: "Records registers across " + d.Org.Name, Data: d})
}

var overviewHeader = []string{"org_code", "org_name", "kind", "has_register", "collections", "due_for_review", "awaiting_approval", "on_hold", "holds_in_force", "certificates", "certificates_last_12_months"}

func (d *overviewData) records() [][]any {
	var out [][]any
	for _, row := range d.Rows {
		out = append(out, []any{row.Org.Code, row.Org.Name, row.Org.Kind.Label(), map[bool]string{true: "yes", false: "no"}[row.HasRegister()],
			row.Collections, row.Due, row.Proposed, row.Held, row.HoldsInForce, row.Certificates, row.LastYear})
	}
	return out
}

func (s *Server) recordsOverviewCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.recordsOverview(r, rq)
	if err != nil {
		return err
	}
	cw := csvDownload(w, "records-overview-"+d.Org.Code+"-"+rq.today.Format(time.DateOnly)+".csv")
	cw.Write(overviewHeader)
	for _, rec := range d.records() {
		cells := make([]string, len(rec))
		for i, v := range rec {
			cells[i] = fmt.Sprint(v)
		}
		cw.Write(cells)
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) recordsOverviewXLSX(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.recordsOverview(r, rq)
	if err != nil {
		return err
	}
	return writeXLSX(w, "records-overview-"+d.Org.Code+"-"+rq.today.Format(time.DateOnly)+".xlsx", "Records registers", []string{"ODS code", "Organisation",
		"Kind", "Has a register", "Collections", "Overdue for review", "Awaiting approval", "On hold", "Holds in force", "Certificates", "Certificates, last 12 months"}, d.records())
}

// writeXLSX sends one sheet: a bold header row, then the rows as typed
// (numbers stay numbers, so that a spreadsheet can sum them).
func writeXLSX(w http.ResponseWriter, filename, sheet string, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", sheet)
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	f.SetSheetRow(sheet, "A1", &head)
	f.SetRowStyle(sheet, 1, 1, bold)
	for i, row := range rows {
		for j, v := range row {
			if s, ok := v.(string); ok && formulaLike(s) {
				row[j] = "'" + s // as csvWriter: never a formula
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(sheet, cell, &row)
	}
	f.SetColWidth(sheet, "B", "B", 40)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, filename))
	_, err := buf.WriteTo(w)
	return err
}

// schedulePage shows the retention schedule in force, and exports it as CSV.
func (s *Server) schedulePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, sc)
	}
	return s.render(w, r, rq, http.StatusOK, "schedule", page{Title: "Retention schedule", Data: sc})
}

func (s *Server) retentionScheduleCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	sc, err := s.store.RetentionSchedule(r.Context())
	if err != nil {
		return err
	}
	cw := csvDownload(w, fmt.Sprintf("retention-schedule-v%d.csv", sc.Version))
	cw.Write(records.Header)
	for _, c := range sc.Classes {
		cw.Write([]string{c.Code, c.RecordType, string(c.Trigger), string(c.Rule), itoaOrEmpty(c.Years), itoaOrEmpty(c.DeathYears),
			string(c.Action), map[bool]string{true: "yes", false: "no"}[c.CreationBased], c.Source, c.Checked, c.Notes})
	}
	cw.Flush()
	return cw.Error()
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
