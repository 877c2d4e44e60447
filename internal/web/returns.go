package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// returnLine is a return line as the page shows it, worked out in Go so
// that the template only prints: a return of 25 services must render fast.
type returnLine struct {
	claims.ReturnLine
	Editable  bool                  `json:"editable"`
	Amendable bool                  `json:"amendable"`
	Values    map[string]string     `json:"-"` // field key → what the form shows
	Versions  []claims.ClaimVersion `json:"-"`
	Code      string                `json:"-"`
	Name      string                `json:"-"`
	Heading   string                `json:"-"` // period and deadline
	Status    string                `json:"-"`
	Late      bool                  `json:"-"`
	Overdue   bool                  `json:"-"` // still open past its claim deadline: a submission now is late
	Message   string                `json:"-"`
	Inputs    []inputView           `json:"-"`
	Preview   string                `json:"-"`
	ClaimID   int64                 `json:"-"`
	Unusual   string                `json:"-"` // what was typed as the reason for unusual figures
	Queried   bool                  `json:"-"` // the commissioner asked about it: the amendment may answer
	Reply     string                `json:"-"` // the answer as typed, when the amendment was refused
	Declared  bool                  `json:"-"` // the amendment's declaration was ticked, when it was refused
	Declare   bool                  `json:"-"`
	HasError  bool                  `json:"-"` // a figure of the line was refused: its explanation box opens
}

// inputView is one activity figure on the form (or, read-only, its value).
type inputView struct {
	ID, Label, Value, Error string
}

type memberReturn struct {
	Org       orgs.Org `json:"org"`
	Due       int      `json:"lines_due"`
	Submitted int      `json:"lines_submitted"`
	Drafts    int      `json:"drafts"`
}

type returnData struct {
	Org       orgs.Org      `json:"org"`
	Month     time.Time     `json:"month"`
	Months    []time.Time   `json:"-"`
	Lines     []*returnLine `json:"lines"`
	Total     int64         `json:"preview_total_pence"`
	NeedsDecl bool          `json:"needs_declaration"`
	CanSubmit bool          `json:"-"`
	Declared  string        `json:"-"` // the declaration as ticked on a form refused
	AnyOpen   bool          `json:"-"`
	// Submittable: some open line's period has ended, so a submission can
	// succeed; until then only drafts are saved (SubmitFrom says from when).
	Submittable bool           `json:"-"`
	SubmitFrom  time.Time      `json:"-"`
	Members     []memberReturn `json:"member_practices,omitempty"`
	Notice      string         `json:"-"`
	Rounding    string         `json:"-"`
	Amend       *returnLine    `json:"-"` // the claim being amended (?amend=id)
	// A practice's delegation of its claims to its PCN, and whether the
	// viewer (one of the practice's own people) may give or end it.
	Delegation  store.Delegation `json:"delegation"`
	CanDelegate bool             `json:"-"`
}

var returnNotices = map[string]string{
	"delegated": "Your PCN may now fill, declare and submit this practice's returns, and answer its offers, until you stop it.",
	"revoked":   "Your PCN may no longer make this practice's claims.",
	"saved":     "Draft saved. Nothing is claimed until you submit.",
	"submitted": "Return submitted. Your commissioner has been sent it for review.",
	"uploaded":  "The file was read and saved as a draft. Check the figures, then submit.",
	"amended":   "Amendment submitted. The earlier version is kept.",
	"late":      "Return submitted after the claim deadline: it is marked late, and your commissioner decides whether to pay it.",
}

// monthParam reads the {month} path value (YYYY-MM).
func monthParam(r *http.Request) (time.Time, error) {
	m, err := parseMonth(r.PathValue("month"))
	if err != nil {
		return m, problem.New(problem.NotFound, "%q is not a month: use the form 2026-11", r.PathValue("month"))
	}
	return m, nil
}

// returnsHome sends people to the return for the month just ended.
// monthDue is where one month's return stands.
type monthDue struct {
	Month     time.Time `json:"month"`
	State     string    `json:"state"` // nothing, submitted, overdue, due, open
	Lines     int       `json:"lines"`
	Submitted int       `json:"submitted"`
	Queried   int       `json:"queried"`           // claims the commissioner has asked about: the practice must answer
	Deadline  time.Time `json:"deadline,omitzero"` // the earliest deadline of what is still to submit
	// Of a month still open (its periods not ended): from when its lines
	// can be submitted, and by when.
	SubmitFrom time.Time `json:"submit_from,omitzero"`
	OpenDue    time.Time `json:"open_deadline,omitzero"`
}

type returnsDue struct {
	Org    orgs.Org   `json:"org"`
	Months []monthDue `json:"months"`
}

// returnsHome lists the last year's returns, newest first: queried (the
// commissioner asked about a claim), open (this month: drafts only), due,
// overdue (a deadline passed with lines not submitted), submitted, or
// nothing to claim.
func (s *Server) returnsHome(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	d := returnsDue{Org: o}
	if d.Months, err = s.monthsDue(ctx, o, rq.chain, rq.today); err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "returns", page{Title: "Monthly returns – " + o.Name, Nav: "orgs", Data: d})
}

// monthsDue is where each of the last year's returns of o stands, newest
// first (chain: o and the organisations above it, or nil to look them up).
func (s *Server) monthsDue(ctx context.Context, o orgs.Org, chain []string, today time.Time) ([]monthDue, error) {
	var out []monthDue
	first, _ := claims.MonthOf(today)
	months := make([]time.Time, 13)
	for i := range months {
		months[i] = first.AddDate(0, -i, 0)
	}
	returns, err := s.store.Returns(ctx, o.Code, months, chain...)
	if err != nil {
		return nil, err
	}
	for i, m := range months {
		lines := returns[i]
		md := monthDue{Month: m, Lines: len(lines)}
		open, overdue := false, false
		for _, l := range lines {
			if l.Claim != nil && l.Claim.Locked() {
				md.Submitted++
				if l.Claim.Status == claims.Queried {
					md.Queried++
				}
				continue
			}
			if !claims.Submittable(l.Period, s.now()) {
				open = true
				md.SubmitFrom, md.OpenDue = earliest(md.SubmitFrom, l.Period.SubmitFrom()), earliest(md.OpenDue, l.Deadline)
				continue
			}
			md.Deadline = earliest(md.Deadline, l.Deadline)
			overdue = overdue || claims.IsLate(l.Deadline, s.now())
		}
		switch {
		case md.Lines == 0:
			md.State = "nothing"
		case md.Queried > 0:
			md.State = "queried"
		case md.Submitted == md.Lines:
			md.State = "submitted"
		case overdue:
			md.State = "overdue"
		case !md.Deadline.IsZero():
			md.State = "due"
		case open:
			md.State = "open"
		}
		out = append(out, md)
	}
	return out, nil
}

func (s *Server) returnPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.returnFor(r, rq, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "return", page{Title: "Monthly return – " + d.Org.Name, Nav: "orgs", Data: d, Notice: d.Notice,
		Heed: r.URL.Query().Get("done") == "late"}) // sent, but late: not a plain success
}

// returnFor builds the return page; typed holds what was typed when a
// submission failed, so that the form shows it again, and errs the problems.
func (s *Server) returnFor(r *http.Request, rq *request, typed map[string]string, errs ...problem.Field) (*returnData, error) {
	// A practice's return is its own people's to make, or its PCN's where
	// the practice has let it.
	code := r.PathValue("code")
	del, err := s.store.DelegatedTo(r.Context(), code)
	if err != nil {
		return nil, err
	}
	canSubmit := people.AuthorizeHere(rq.user.Grants, people.SubmitClaims, code) ||
		del.PCN != "" && people.AuthorizeHere(rq.user.Grants, people.SubmitClaims, del.PCN)
	d, err := s.buildReturn(r, rq, canSubmit, typed, errs...)
	if err != nil {
		return nil, err
	}
	d.Delegation = del
	d.CanDelegate = d.Org.Kind == orgs.Practice && people.AuthorizeHere(rq.user.Grants, people.SubmitClaims, code)
	d.Notice = returnNotices[r.URL.Query().Get("done")]
	if r.URL.Query().Get("done") == "uploaded" && !d.Submittable && !d.SubmitFrom.IsZero() {
		d.Notice = "The file was read and saved as a draft. Check the figures: the return can be submitted from " + formatDate(d.SubmitFrom) + ", when the month has ended."
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("amend"), 10, 64); err == nil && canSubmit {
		for _, l := range d.Lines {
			if l.ClaimID == id && l.Amendable {
				d.Amend = l
			}
		}
	}
	return d, nil
}

// buildReturn works out the return page from the database.
func (s *Server) buildReturn(r *http.Request, rq *request, canSubmit bool, typed map[string]string, errs ...problem.Field) (*returnData, error) {
	errors := map[string]string{}
	for _, e := range errs {
		errors[e.Name] = e.Message
	}
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return nil, err
	}
	month, err := monthParam(r)
	if err != nil {
		return nil, err
	}
	d := &returnData{Org: o, Month: month, CanSubmit: canSubmit, Rounding: payrules.RoundingNote, Declared: typed["declaration"]}
	start := time.Date(rq.today.Year(), rq.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := -12; i <= 2; i++ { // ahead too: the preview works for any open period
		d.Months = append(d.Months, start.AddDate(0, i, 0))
	}
	lines, err := s.store.Return(ctx, o.Code, month, rq.chain...)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		v := returnLine{ReturnLine: l, Values: map[string]string{}, Code: l.Service.Code, Name: l.Service.Name,
			Heading: l.Period.Label(l.Service.Frequency) + " · due by " + formatDate(l.Deadline), Declare: l.Service.NeedsDeclaration}
		v.Editable = l.Claim == nil || !l.Claim.Locked()
		v.Overdue = v.Editable && claims.IsLate(l.Deadline, s.now())
		v.Amendable = l.Claim != nil && l.Claim.Amendable()
		label := "Preview: "
		if l.Claim != nil {
			v.Status, v.Late, v.Message, v.ClaimID = l.Claim.Status.Label(), l.Claim.Late, l.Claim.Message, l.Claim.ID
			v.Queried = l.Claim.Status == claims.Queried
			switch l.Claim.Status {
			case claims.Draft:
			case claims.Rejected:
				label = "Rejected, not paid: claimed "
			default:
				label = "Claimed: "
			}
		}
		v.Preview = label + payrules.Pounds(l.Preview.Pence)
		if l.Preview.Explanation != "" {
			v.Preview += " — " + l.Preview.Explanation
		}
		if l.Problem != "" {
			v.Preview += " — " + l.Problem
		}
		retyped := false // shown again after a refusal, with what was typed
		for _, f := range l.Service.Fields {
			id := claims.FieldName(l.Service.Code, f.Key)
			if typedV, ok := typed[id]; ok && v.Editable {
				v.Values[f.Key], retyped = typedV, true
			} else if l.Claim != nil {
				if n, ok := l.Claim.Activity[f.Key]; ok {
					v.Values[f.Key] = strconv.FormatInt(n, 10)
				}
			}
			v.Inputs = append(v.Inputs, inputView{ID: id, Label: f.Label, Value: v.Values[f.Key], Error: errors[id]})
			v.HasError = v.HasError || errors[id] != ""
		}
		pence := l.Preview.Pence
		if retyped { // price what was typed, not what was saved before
			if act, errs := claims.ParseActivity(l.Service, v.Values, false); len(errs) == 0 {
				if res, err := claims.Price(l.Service, l.Period, act, l.Facts); err == nil {
					pence, v.Preview = res.Pence, "Preview, not saved: "+payrules.Pounds(res.Pence)
					if res.Explanation != "" {
						v.Preview += " — " + res.Explanation
					}
				}
			}
		}
		v.Unusual = typed[l.Service.Code+"._unusual"]
		if v.Unusual == "" && !retyped && l.Claim != nil && l.Claim.Status == claims.Draft {
			v.Unusual = l.Claim.DraftReason // as saved with the draft
		}
		if l.Claim != nil && l.Claim.Version > 1 { // amended: show the earlier versions
			if v.Versions, err = s.store.ClaimVersions(ctx, l.Claim.ID); err != nil {
				return nil, err
			}
		}
		d.AnyOpen = d.AnyOpen || v.Editable
		if v.Editable {
			if claims.Submittable(l.Period, s.now()) {
				d.Submittable = true
			} else {
				d.SubmitFrom = earliest(d.SubmitFrom, l.Period.SubmitFrom())
			}
		}
		d.NeedsDecl = d.NeedsDecl || (v.Editable && l.Service.NeedsDeclaration)
		d.Total += pence
		d.Lines = append(d.Lines, &v)
	}
	if o.Kind == orgs.PCN {
		if d.Members, err = s.memberReturns(ctx, o, month); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// memberReturns tells a PCN where each member practice's return stands.
func (s *Server) memberReturns(ctx context.Context, pcn orgs.Org, month time.Time) ([]memberReturn, error) {
	monthEnd := month.AddDate(0, 1, -1)
	members, err := s.store.Children(ctx, pcn, monthEnd)
	if err != nil {
		return nil, err
	}
	var out []memberReturn
	for _, m := range members {
		lines, err := s.store.Return(ctx, m.Code, month)
		if err != nil {
			return nil, err
		}
		mr := memberReturn{Org: m.Org, Due: len(lines)}
		for _, l := range lines {
			switch {
			case l.Claim == nil:
			case l.Claim.Status == claims.Draft:
				mr.Drafts++
			default:
				mr.Submitted++
			}
		}
		out = append(out, mr)
	}
	return out, nil
}

// saveReturn saves a draft (action=save) or submits (action=submit) the
// whole return in one go.
func (s *Server) saveReturn(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	month, err := monthParam(r)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	lines, err := s.store.Return(ctx, code, month, rq.chain...) // as the page showed them
	if err != nil {
		return err
	}
	fields := []string{"action", "declaration"}
	for _, l := range lines {
		for _, f := range l.Service.Fields {
			fields = append(fields, claims.FieldName(l.Service.Code, f.Key))
		}
		fields = append(fields, l.Service.Code+"._unusual")
	}
	in, err := decodeOnly(r, fields...)
	if err != nil {
		return err
	}
	var entries []claims.ReturnEntry
	for _, l := range lines {
		e := claims.ReturnEntry{ServiceID: l.Service.ID, Activity: map[string]string{}, Unusual: in[l.Service.Code+"._unusual"]}
		typed := false
		for _, f := range l.Service.Fields {
			e.Activity[f.Key] = in[claims.FieldName(l.Service.Code, f.Key)]
			typed = typed || strings.TrimSpace(e.Activity[f.Key]) != ""
		}
		// Submitted lines show no inputs; figures sent for one anyway are
		// refused by the store with a message, not dropped in silence.
		if l.Claim != nil && l.Claim.Locked() && !typed {
			continue
		}
		entries = append(entries, e)
	}
	submit := in["action"] == "submit"
	late, err := s.store.SaveReturnLines(ctx, rq.actor(), code, month, lines, entries, submit, in["declaration"] != "")
	if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
		d, derr := s.returnFor(r, rq, in, problem.FieldsOf(err)...)
		if derr != nil {
			return derr
		}
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "return", page{Title: "Monthly return – " + d.Org.Name,
			Nav: "orgs", Data: d, Errors: problem.FieldsOf(err)})
	}
	if err != nil {
		return err
	}
	done := "saved"
	switch {
	case late:
		done = "late"
	case submit:
		done = "submitted"
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/returns/%s?done=%s", code, month.Format("2006-01"), done))
}

// csvColumns is the layout of the return's CSV template and upload: one row
// per service and activity field, so one file serves every service.
var csvColumns = []string{"practice_code", "service_code", "service_name", "period_start", "field", "field_label", "value"}

// returnTemplate downloads the return as a CSV, prefilled with the lines due
// and any figures saved.
func (s *Server) returnTemplate(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.returnFor(r, rq, nil)
	if err != nil {
		return err
	}
	name := "return-" + d.Org.Code + "-" + d.Month.Format("2006-01")
	var rows [][]any
	for _, l := range d.Lines {
		if !l.Editable {
			continue
		}
		for _, f := range l.Service.Fields {
			rows = append(rows, []any{d.Org.Code, l.Service.Code, l.Service.Name, l.Period.Start.Format(time.DateOnly), f.Key, f.Label, l.Values[f.Key]})
		}
	}
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		return writeXLSX(w, name+".xlsx", "Return", csvColumns, rows)
	}
	cw := csvDownload(w, name+".csv")
	cw.Write(csvColumns)
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = v.(string)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// uploadReturn reads a filled-in template and saves it as a draft, all or
// nothing; every problem names the CSV line and field.
func (s *Server) uploadReturn(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	month, err := monthParam(r)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	if err := readForm(r); err != nil {
		return err
	}
	// A file refused is said on the return page, by its upload form.
	refused := func(err error) error {
		d, derr := s.returnFor(r, rq, nil)
		if derr != nil {
			return derr
		}
		errs := problem.FieldsOf(err)
		if len(errs) == 0 {
			errs = problem.Fields{{Name: "file", Message: problem.Message(err)}}
		}
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "return", page{Title: "Monthly return – " + d.Org.Name, Nav: "orgs", Data: d, Errors: errs})
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		err = problem.OnField(problem.Invalid, "file", "Choose the CSV or Excel file to upload")
		if wantsJSON(r) {
			return err
		}
		return refused(err)
	}
	defer f.Close()
	lines, err := s.store.Return(ctx, code, month, rq.chain...) // as the page showed them
	if err != nil {
		return err
	}
	entries, where, err := parseReturnCSV(f, hdr.Filename, code, lines)
	if err == nil {
		// The file holds figures only: a reason typed on the draft stays.
		for i, e := range entries {
			for _, l := range lines {
				if l.Service.ID == e.ServiceID && l.Claim != nil && l.Claim.Status == claims.Draft {
					entries[i].Unusual = l.Claim.DraftReason
				}
			}
		}
		_, err = s.store.SaveReturnLines(ctx, rq.actor(), code, month, lines, entries, false, false)
		// Name the CSV line of each problem the return's own checks found.
		var pe *problem.Error
		if errors.As(err, &pe) {
			for i, fe := range pe.Fields {
				if line, ok := where[fe.Name]; ok {
					pe.Fields[i].Message = fmt.Sprintf("%s line %d: %s", hdr.Filename, line, fe.Message)
				}
			}
		}
	}
	if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
		return refused(err)
	}
	if err != nil {
		return err
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/returns/%s?done=uploaded", code, month.Format("2006-01")))
}

// parseReturnCSV checks an uploaded return (the CSV template, or the Excel
// one, filled in) against the lines due. It returns the entries and, for
// each form field, the line it came from. What Excel does to a CSV it saves
// is taken as meant: a byte-order mark, CRLF, dates as 01/09/2026, numbers
// quoted with thousands separators.
func parseReturnCSV(r io.Reader, file, org string, lines []claims.ReturnLine) ([]claims.ReturnEntry, map[string]int, error) {
	br := bufio.NewReader(r)
	each := func(fn func(line int, rec []string) error) error { return nhsfile.EachRecord(br, file, fn) }
	if magic, _ := br.Peek(4); string(magic) == "PK\x03\x04" { // a zip: an Excel workbook
		each = func(fn func(line int, rec []string) error) error { return nhsfile.EachXLSXRow(br, file, "", fn) }
	}
	return parseReturnRows(each, file, org, lines)
}

func parseReturnRows(each func(fn func(line int, rec []string) error) error, file, org string, lines []claims.ReturnLine) ([]claims.ReturnEntry, map[string]int, error) {
	byCode := map[string]claims.ReturnLine{}
	for _, l := range lines {
		byCode[l.Service.Code] = l
	}
	cols := map[string]int{}
	entries := map[string]*claims.ReturnEntry{}
	var order []string
	where := map[string]int{}
	fail := func(line int, field string, format string, args ...any) error {
		msg := fmt.Sprintf("%s line %d (%s): %s", file, line, field, fmt.Sprintf(format, args...))
		return problem.OnField(problem.Invalid, "file", msg)
	}
	header := true
	err := each(func(line int, rec []string) error {
		if header {
			header = false
			for i, h := range rec {
				cols[nhsfile.NormaliseHeader(h)] = i
			}
			for _, need := range []string{"practice_code", "service_code", "period_start", "field", "value"} {
				if _, ok := cols[need]; !ok {
					return fail(line, need, "the header has no %s column; download the template and fill that in", need)
				}
			}
			return nil
		}
		v := func(name string) string {
			i := cols[name]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if strings.Join(rec, "") == "" {
			return nil
		}
		if p := strings.ToUpper(v("practice_code")); p != org {
			return fail(line, "practice_code", "%q is not %s: upload each organisation's return on its own page", v("practice_code"), org)
		}
		sc := strings.ToUpper(v("service_code"))
		l, ok := byCode[sc]
		if !ok {
			return fail(line, "service_code", "%q is not a service on this return", v("service_code"))
		}
		if l.Claim != nil && l.Claim.Locked() {
			return fail(line, "service_code", "%s was already submitted; to correct it, amend the claim", sc)
		}
		if start, err := nhsfile.ParseDate(v("period_start"), nhsfile.ISO, nhsfile.DDMMYYYY); err != nil || !start.Equal(l.Period.Start) {
			return fail(line, "period_start", "%q is not the period this return claims for %s (%s)", v("period_start"), sc, l.Period.Start.Format(time.DateOnly))
		}
		key := v("field")
		var field *claims.Field
		for i, f := range l.Service.Fields {
			if f.Key == key {
				field = &l.Service.Fields[i]
			}
		}
		if field == nil {
			return fail(line, "field", "%q is not an activity field of %s", key, sc)
		}
		name := claims.FieldName(sc, key)
		if prev, dup := where[name]; dup {
			return fail(line, "field", "%s %s is given twice (first on line %d)", sc, key, prev)
		}
		where[name] = line
		e := entries[sc]
		if e == nil {
			e = &claims.ReturnEntry{ServiceID: l.Service.ID, Activity: map[string]string{}}
			entries[sc] = e
			order = append(order, sc)
		}
		val := v("value")
		if val != "" {
			n, ok := numfmt.ParseDecimal(val, 0)
			if !ok {
				return fail(line, "value", "%s, %s: %q must be a whole number of zero or more (commas only between thousands, as in 1,050)", l.Service.Name, field.Label, v("value"))
			}
			val = strconv.FormatInt(n, 10)
		}
		e.Activity[key] = val
		return nil
	})
	if err != nil {
		var fe *nhsfile.FileError
		if errors.As(err, &fe) {
			return nil, nil, problem.OnField(problem.Invalid, "file", fe.Error())
		}
		return nil, nil, err
	}
	if header || len(order) == 0 {
		msg := file + " holds no return lines"
		return nil, nil, problem.OnField(problem.Invalid, "file", msg)
	}
	sort.Strings(order)
	var out []claims.ReturnEntry
	for _, sc := range order {
		out = append(out, *entries[sc])
	}
	return out, where, nil
}

// amendClaim submits a correction to a submitted or queried claim.
func (s *Server) amendClaim(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such claim")
	}
	cl, err := s.store.ClaimBy(ctx, r.PathValue("code"), id)
	if err != nil {
		return err
	}
	sv, err := s.store.Service(ctx, rq.chain, cl.ServiceID)
	if err != nil {
		return err
	}
	fields := []string{"declaration", sv.Code + "._unusual", "reply"}
	for _, f := range sv.Fields {
		fields = append(fields, claims.FieldName(sv.Code, f.Key))
	}
	in, err := decodeOnly(r, fields...)
	if err != nil {
		return err
	}
	raw := map[string]string{}
	for _, f := range sv.Fields {
		raw[f.Key] = in[claims.FieldName(sv.Code, f.Key)]
	}
	month := time.Date(cl.Period.End.Year(), cl.Period.End.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := s.store.Amend(ctx, rq.actor(), cl.Org, id, raw, in["declaration"] != "", in[sv.Code+"._unusual"], in["reply"]); err != nil {
		if problem.KindOf(err) == problem.Invalid && !wantsJSON(r) {
			// The amendment form again, with what was typed, and each
			// problem beside (and linked to) its own input on it.
			r.SetPathValue("month", month.Format("2006-01"))
			r.URL.RawQuery = "amend=" + strconv.FormatInt(id, 10)
			d, derr := s.returnFor(r, rq, nil)
			if derr != nil {
				return derr
			}
			errs := problem.FieldsOf(err)
			for i := range errs {
				errs[i].Name = "amend-" + errs[i].Name
			}
			if len(errs) == 0 {
				errs = problem.Fields{{Name: "amend", Message: problem.Message(err)}}
			}
			if d.Amend != nil {
				amend := *d.Amend
				amend.Inputs = slices.Clone(amend.Inputs)
				for i, in := range amend.Inputs {
					amend.Inputs[i].Value = raw[strings.TrimPrefix(in.ID, sv.Code+".")]
					for _, e := range errs {
						if e.Name == "amend-"+in.ID {
							amend.Inputs[i].Error = e.Message
						}
					}
				}
				amend.Unusual, amend.Reply, amend.Declared = in[sv.Code+"._unusual"], in["reply"], ticked(in["declaration"])
				d.Amend = &amend
			}
			return s.render(w, r, rq, http.StatusUnprocessableEntity, "return", page{Title: "Monthly return – " + d.Org.Name, Nav: "orgs", Data: d, Errors: errs})
		}
		return err
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/returns/%s?done=amended", cl.Org, month.Format("2006-01")))
}

// delegate lets the practice's PCN make its claims (action=grant), or stops
// it (action=revoke): the practice's own people decide.
func (s *Server) delegate(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in struct {
		Action string `form:"action"`
		Back   string `form:"back"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	var err error
	done := "delegated"
	switch in.Action {
	case "grant":
		_, err = s.store.Delegate(r.Context(), rq.actor(), code)
	case "revoke":
		err, done = s.store.RevokeDelegation(r.Context(), rq.actor(), code), "revoked"
	default:
		return problem.OnField(problem.Invalid, "action", "Choose whether to let your PCN make this practice's claims")
	}
	if err != nil {
		return err
	}
	back := "/orgs/" + code + "/returns"
	if strings.HasPrefix(in.Back, "/orgs/"+code+"/returns/") && !strings.ContainsAny(in.Back, "?#\\") {
		back = in.Back
	}
	return s.doneRedirect(w, r, back+"?done="+done)
}

// earliest is the earlier of two days, a zero one counting as none yet.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
