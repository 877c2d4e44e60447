package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

type reviewData struct {
	Org        orgs.Org         `json:"org"`
	Services   []claims.Service `json:"-"`
	ServiceID  int64            `json:"-"`
	Status     claims.Status    `json:"-"`
	Statuses   []claims.Status  `json:"-"`
	Claims     []claims.Claim   `json:"claims"`
	Total      int              `json:"total"`
	TotalPence int64            `json:"total_pence"` // of every claim the filters find
	// AllKey names every claim the filters find, each at the version read:
	// "all" sent back with it applies to those, or to nothing.
	AllKey     string         `json:"all_key,omitempty"`
	Month      string         `json:"-"` // filter: periods ending in this month (2006-01)
	OrgCode    string         `json:"-"` // filter: one practice or PCN
	Months     []time.Time    `json:"-"`
	Ticked     map[int64]bool `json:"-"` // kept when a review is refused
	Query      string         `json:"-"` // the filters, for the review form and after it
	ReviewURL  string         `json:"-"` // where the review form goes, the filters kept
	Action     string         `json:"-"` // the action chosen, kept when a review is refused
	Message    string         `json:"-"` // the message typed, kept likewise
	Pager      pager          `json:"-"`
	CanFinance bool           `json:"-"`
	CanReview  bool           `json:"-"` // approve, query, reject: a commissioner
	Notice     string         `json:"-"`
}

var reviewNotices = map[string]string{"approve": "Claims approved.", "query": "Claims queried: the practices will see your message.",
	"reject": "Claims rejected.", "finance": "Claims approved by finance."}

// claimsPage lists a commissioner's claims for review, filtered by service
// and status (submitted by default), with bulk actions.
func (s *Server) claimsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderClaims(w, r, rq, http.StatusOK, nil)
}

// claimFilters reads the claims page's filters (from the query, or the
// review form's hidden copies).
func claimFilters(get func(string) string, commissioner string) store.ClaimQuery {
	q := store.ClaimQuery{Commissioners: []string{commissioner}, Status: claims.Status(get("status")), Org: strings.ToUpper(strings.TrimSpace(get("org")))}
	q.ServiceID, _ = strconv.ParseInt(get("service"), 10, 64)
	if m, err := parseMonth(get("month")); err == nil {
		q.Month = m
	}
	return q
}

func (s *Server) renderClaims(w http.ResponseWriter, r *http.Request, rq *request, status int, errs problem.Fields) error {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := reviewData{Org: o, Status: claims.Status(q.Get("status")), Notice: reviewNotices[q.Get("done")],
		Statuses:   []claims.Status{claims.Submitted, claims.Queried, claims.Approved, claims.Finance, claims.Rejected, claims.Paid, claims.Draft},
		CanFinance: people.Authorize(rq.user.Grants, people.ApproveFinance, rq.chain), CanReview: people.Authorize(rq.user.Grants, people.ManageServices, rq.chain)}
	if !q.Has("status") {
		d.Status = usualReview(d.CanFinance, d.CanReview)
	}
	d.ServiceID, _ = strconv.ParseInt(q.Get("service"), 10, 64)
	if d.Services, err = s.store.Services(ctx, []string{o.Code}, 0); err != nil {
		return err
	}
	cq := claimFilters(q.Get, o.Code)
	cq.Status, cq.Limit, cq.Offset = d.Status, pageSize, offsetFrom(r)
	d.Month, d.OrgCode = q.Get("month"), cq.Org
	first, _ := claims.MonthOf(rq.today)
	for i := 0; i <= 12; i++ {
		d.Months = append(d.Months, first.AddDate(0, -i, 0))
	}
	var total store.ClaimsTotal
	if d.Claims, total, err = s.store.ClaimsTotalled(ctx, cq); err != nil {
		return err
	}
	d.Total, d.TotalPence = total.Claims, total.Pence
	if d.Total > 0 && d.Total <= maxReviewAll {
		all := d.Claims
		if d.Total > len(d.Claims) {
			cq.Limit, cq.Offset = maxReviewAll, 0
			if all, _, err = s.store.ClaimsTotalled(ctx, cq); err != nil {
				return err
			}
		}
		d.AllKey = allKey(all)
	}
	keep := url.Values{}
	for _, k := range []string{"service", "status", "month", "org"} {
		if q.Has(k) {
			keep.Set(k, q.Get(k))
		}
	}
	d.Query = keep.Encode()
	// Built whole here: after a "?" in the template, html/template would
	// escape the query's own = and & (the filters were lost on the way back).
	d.ReviewURL = "/orgs/" + o.Code + "/claims/review"
	if d.Query != "" {
		d.ReviewURL += "?" + d.Query
	}
	d.Ticked = map[int64]bool{}
	if r.Method == http.MethodPost {
		d.Action, d.Message = r.PostForm.Get("action"), r.PostForm.Get("message")
		for _, v := range r.PostForm["claim"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				d.Ticked[id] = true
			}
		}
	}
	d.Pager = newPager(r, d.Total)
	return s.render(w, r, rq, status, "claims", page{Title: "Claims to review", Nav: "orgs", Data: d, Errors: errs, Notice: d.Notice})
}

// usualReview is the status a claims list shows with none chosen: what the
// person does next, submitted claims for a commissioner, approved ones
// awaiting finance for a finance officer.
func usualReview(canFinance, canReview bool) claims.Status {
	if canFinance && !canReview {
		return claims.Approved
	}
	return claims.Submitted
}

// maxReviewAll is the most claims "all that match" applies to at once.
const maxReviewAll = 2000

// reviewClaims applies one action to the ticked claims, or to every claim
// the filters find.
// reviewRequest is a review sent through the API as JSON: the same as the
// page's form, with the claims as a list and, optionally, the version of
// each that the caller read (a claim amended since is then not changed).
type reviewRequest struct {
	Action   string         `json:"action"`
	Message  string         `json:"message"`
	Claims   []int64        `json:"claims"`
	Versions map[string]int `json:"versions"`
	All      bool           `json:"all"`
	AllKey   string         `json:"all_key"` // with all: the all_key of the list read
}

// reviewFromJSON reads a JSON review into r.PostForm, as the form would
// have sent it; a key it does not know is refused, naming it.
func reviewFromJSON(r *http.Request) error {
	var in reviewRequest
	if err := decodeJSONStrict(r, &in, "a review", `Send {"action": "approve", "claims": [12, 13]} (with "message" for a query or rejection, "versions" {"12": 2} to approve only what you read, or "all": true with "all_key" from the list read, for every claim the filters find)`); err != nil {
		return err
	}
	form := url.Values{"action": {in.Action}, "message": {in.Message}}
	for _, id := range in.Claims {
		form.Add("claim", strconv.FormatInt(id, 10))
	}
	for key, v := range in.Versions {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || !slices.Contains(in.Claims, id) {
			return problem.New(problem.Invalid, "versions: %q is not one of the claims listed", key)
		}
		form.Set("seen-"+strconv.FormatInt(id, 10), strconv.Itoa(v))
	}
	if in.All {
		form.Set("all", "1")
		form.Set("all-key", in.AllKey)
	}
	r.PostForm = form
	return checkValues(form)
}

func (s *Server) reviewClaims(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	if wantsJSONBody(r) {
		if err := reviewFromJSON(r); err != nil {
			return err
		}
	} else if err := readForm(r); err != nil {
		return err
	}
	action, message := claims.Action(r.PostForm.Get("action")), r.PostForm.Get("message")
	canFinance, canReview := people.Authorize(rq.user.Grants, people.ApproveFinance, rq.chain), people.Authorize(rq.user.Grants, people.ManageServices, rq.chain)
	var ids []int64
	seen := map[int64]int{} // the version of each claim the page showed (seen-ID)
	listed := map[int64]bool{}
	for _, v := range r.PostForm["claim"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return problem.New(problem.Invalid, "%q is not a claim", v)
		}
		if listed[id] {
			continue // sent twice: once is what was meant
		}
		listed[id], ids = true, append(ids, id)
		if ver, err := strconv.Atoi(r.PostForm.Get(fmt.Sprintf("seen-%d", id))); err == nil {
			seen[id] = ver
		}
	}
	if r.PostForm.Get("all") != "" {
		// Every claim the filters find, exactly as the page read them (its
		// count and total said so): a claim amended, added or gone since
		// changes the key, and then nothing is done.
		q := claimFilters(r.URL.Query().Get, code)
		if !r.URL.Query().Has("status") { // as the page listed them
			q.Status = usualReview(canFinance, canReview)
		}
		q.Limit = maxReviewAll + 1
		all, total, err := s.store.ClaimsTotalled(ctx, q)
		if err != nil {
			return err
		}
		if len(all) > maxReviewAll {
			return problem.New(problem.Invalid, "More than %d claims match: narrow the filters (a month, a service) and apply to each in turn", maxReviewAll)
		}
		if allKey(all) != r.PostForm.Get("all-key") {
			return problem.New(problem.Conflict, "The claims these filters find have changed since the list was shown (now %d, coming to %s): look at them again, then apply to all.",
				total.Claims, payrules.Pounds(total.Pence))
		}
		ids, seen = ids[:0], map[int64]int{}
		for _, cl := range all {
			ids, seen[cl.ID] = append(ids, cl.ID), cl.Version
		}
	}
	// Duties separated: the finance step is a finance officer's alone, the
	// others a commissioner's.
	if action == claims.ActFinance && !canFinance {
		return problem.New(problem.Forbidden, "Your roles do not include finance approval: a finance officer approves claims for finance.")
	}
	if (action == claims.ActApprove || action == claims.ActQuery || action == claims.ActReject) && !canReview {
		return problem.New(problem.Forbidden, "Your roles do not include reviewing claims: a commissioner approves, queries and rejects them.")
	}
	err := s.store.Review(ctx, rq.actor(), code, ids, seen, action, message)
	if k := problem.KindOf(err); (k == problem.Invalid || k == problem.Conflict) && !wantsJSON(r) {
		errs := problem.FieldsOf(err)
		if len(errs) == 0 {
			errs = problem.Fields{{Name: "claims", Message: problem.Message(err)}}
		}
		return s.renderClaims(w, r, rq, statusOf(k), errs)
	}
	if err != nil {
		return err
	}
	back := "/orgs/" + code + "/claims?done=" + string(action)
	if r.URL.RawQuery != "" {
		back += "&" + r.URL.RawQuery
	}
	return s.doneRedirect(w, r, back)
}

type paymentsData struct {
	Org        orgs.Org            `json:"org"`
	Runs       []claims.PaymentRun `json:"runs"`
	CanRun     bool                `json:"-"`
	Months     []time.Time         `json:"-"`
	Default    time.Time           `json:"-"` // the newest month whose claims deadline has passed
	Deadlines  map[string]string   `json:"-"` // by month (2006-01): its claims deadline, in words
	Commission bool                `json:"-"`
	Notice     string              `json:"-"`
	Form       map[string]string   `json:"-"`
}

var paymentNotices = map[string]string{
	"discarded": "The preview was discarded: nothing was paid.",
	"confirmed": "The payment run is committed.",
	"reversed":  "The run is reversed: its claims will be paid in the next run.",
}

// paymentsPage shows a commissioner's payment runs (and the form to preview
// one), or the runs that paid a practice or PCN (its statements).
func (s *Server) paymentsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderPayments(w, r, rq, http.StatusOK, nil, nil)
}

func (s *Server) renderPayments(w http.ResponseWriter, r *http.Request, rq *request, status int, form map[string]string, errs problem.Fields) error {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	d := paymentsData{Org: o, Commission: isCommissioner(o), CanRun: isCommissioner(o) && people.Authorize(rq.user.Grants, people.RunPayments, rq.chain),
		Notice: paymentNotices[r.URL.Query().Get("done")], Form: form, Deadlines: map[string]string{}}
	if d.Commission {
		d.Runs, err = s.store.PaymentRuns(ctx, o.Code, "")
	} else {
		d.Runs, err = s.store.PaymentRuns(ctx, "", o.Code)
		for i := range d.Runs { // who ran it, and why, are the commissioner's business
			d.Runs[i].Reason, d.Runs[i].CreatedBy, d.Runs[i].CommittedBy = "", "", ""
		}
	}
	if err != nil {
		return err
	}
	if d.CanRun {
		svcs, err := s.store.Services(ctx, []string{o.Code}, 0)
		if err != nil {
			return err
		}
		start := time.Date(rq.today.Year(), rq.today.Month(), 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i >= -12; i-- {
			m := start.AddDate(0, i, 0)
			deadline := claims.RunDeadline(svcs, m)
			d.Months = append(d.Months, m)
			d.Deadlines[m.Format("2006-01")] = deadline.Format("2 January 2006")
			if d.Default.IsZero() && rq.today.After(deadline) {
				d.Default = m
			}
		}
		if v := form["month"]; v != "" {
			d.Default, _ = time.Parse("2006-01", v)
		}
	}
	title := "Payment runs"
	if !d.Commission {
		title = "Payments and statements"
	}
	return s.render(w, r, rq, status, "payments", page{Title: title + " – " + o.Name, Nav: "orgs", Data: d, Notice: d.Notice, Errors: errs})
}

// draftPayments previews a month's run: nothing is paid until it is
// confirmed on the run's page.
func (s *Server) draftPayments(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in struct {
		Month  string `form:"month"`
		Reason string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	form := map[string]string{"month": in.Month, "reason": in.Reason}
	month, err := time.Parse("2006-01", in.Month)
	if err != nil {
		err = problem.OnField(problem.Invalid, "month", "Choose the month to pay")
	} else {
		var run claims.PaymentRun
		if run, err = s.store.DraftPayments(r.Context(), rq.actor(), code, month, in.Reason); err == nil {
			if wantsJSON(r) {
				return writeJSON(w, http.StatusCreated, run)
			}
			http.Redirect(w, r, fmt.Sprintf("/orgs/%s/payments/%d", code, run.ID), http.StatusSeeOther)
			return nil
		}
	}
	if k := problem.KindOf(err); (k == problem.Invalid || k == problem.Conflict) && !wantsJSON(r) {
		errs := problem.FieldsOf(err)
		if len(errs) == 0 {
			errs = problem.Fields{{Name: "month", Message: problem.Message(err)}}
		}
		return s.renderPayments(w, r, rq, statusOf(k), form, errs)
	}
	return err
}

// runAction confirms or discards a draft, or reverses a committed run.
func (s *Server) runAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "There is no such payment run")
	}
	var in struct {
		Reason string `form:"reason"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	done, to := r.PathValue("action"), id
	switch done {
	case "confirm":
		_, err = s.store.ConfirmPayments(r.Context(), rq.actor(), code, id)
		done = "confirmed"
	case "discard":
		err = s.store.DiscardPayments(r.Context(), rq.actor(), code, id)
		done = "discarded"
	case "reverse":
		var rev claims.PaymentRun
		rev, err = s.store.ReversePayments(r.Context(), rq.actor(), code, id, in.Reason)
		done, to = "reversed", rev.ID
	default:
		return problem.New(problem.NotFound, "There is no such action")
	}
	if k := problem.KindOf(err); (k == problem.Invalid || k == problem.Conflict) && !wantsJSON(r) {
		errs := problem.FieldsOf(err)
		if len(errs) == 0 {
			errs = problem.Fields{{Name: "confirm-run", Message: problem.Message(err)}}
		}
		d, derr := s.runFor(r)
		if derr != nil {
			return derr
		}
		d.CanRun = true
		return s.render(w, r, rq, statusOf(k), "run", page{Title: runTitle(d), Nav: "orgs", Data: d, Errors: errs})
	}
	if err != nil {
		return err
	}
	if done == "discarded" {
		return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/payments?done=discarded", code))
	}
	return s.doneRedirect(w, r, fmt.Sprintf("/orgs/%s/payments/%d?done=%s", code, to, done))
}

type runData struct {
	Org        orgs.Org          `json:"org"`
	Run        claims.PaymentRun `json:"run"`
	Lines      []scheduleLine    `json:"lines"`
	Total      int64             `json:"total_pence"`
	TakenBack  int64             `json:"-"`                  // a reversal's total, as a positive sum
	Excluded   []claims.Excluded `json:"excluded,omitempty"` // a draft's: what it leaves out, and why
	Commission bool              `json:"-"`
	CanRun     bool              `json:"-"`
	Rounding   string            `json:"rounding"`
	Notice     string            `json:"-"`
}

// scheduleLine is a payment line with its period written out.
type scheduleLine struct {
	claims.PaymentLine
	PeriodLabel string `json:"period"`
}

// runFor loads a run the org in the path may see: its own run as
// commissioner, or one that paid it.
func (s *Server) runFor(r *http.Request) (*runData, error) {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil {
		return nil, problem.New(problem.NotFound, "There is no such payment run")
	}
	run, err := s.store.PaymentRun(ctx, o.Code, id)
	if err != nil {
		return nil, err
	}
	d := &runData{Org: o, Run: run, Commission: run.Commissioner == o.Code, Rounding: payrules.RoundingNote}
	lines, err := s.store.PaymentLines(ctx, run, o.Code)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		p := claims.PeriodFrom(l.Period, l.Frequency)
		d.Lines = append(d.Lines, scheduleLine{PaymentLine: l, PeriodLabel: p.Label(l.Frequency)})
		d.Total += l.Pence
	}
	if !d.Commission { // a practice's statement: its own share, never the whole run's totals
		d.Run.Lines, d.Run.Pence = len(d.Lines), d.Total
	}
	d.TakenBack = -d.Total
	if run.Status == claims.RunDraft {
		if d.Excluded, err = s.store.PaymentExclusions(ctx, run); err != nil {
			return nil, err
		}
	}
	if !d.Commission { // who ran it, and why, are the commissioner's business
		d.Run.Reason, d.Run.CreatedBy, d.Run.CommittedBy = "", "", ""
	}
	return d, nil
}

// schedule is a run's lines for a download: never a preview's, which would
// pay nothing and could be sent to a bank by mistake.
func (s *Server) schedule(r *http.Request) (*runData, error) {
	d, err := s.runFor(r)
	if err == nil && d.Run.Status == claims.RunDraft {
		err = problem.New(problem.Conflict, "This is a preview, not a payment schedule: confirm it first, then download the schedule")
	}
	return d, err
}

// runPage is a commissioner's payment schedule, or a practice's remittance
// statement for the run.
func (s *Server) runPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.runFor(r)
	if err != nil {
		return err
	}
	d.CanRun = d.Commission && people.Authorize(rq.user.Grants, people.RunPayments, rq.chain)
	d.Notice = paymentNotices[r.URL.Query().Get("done")]
	return s.render(w, r, rq, http.StatusOK, "run", page{Title: runTitle(d), Nav: "orgs", Data: d, Notice: d.Notice})
}

func runTitle(d *runData) string {
	month := d.Run.Month.Format("January 2006")
	switch {
	case d.Run.Status == claims.RunDraft:
		return "Preview of the payment run, " + month
	case d.Run.Kind == claims.ReversalKind:
		return "Reversal of the payment run, " + month
	case !d.Commission:
		return "Remittance statement, " + month
	}
	return "Payment schedule, " + month
}

var scheduleHeader = []string{"practice_code", "practice_name", "service_code", "period", "amount", "payment_reference"}

func (s *Server) scheduleCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.schedule(r)
	if err != nil {
		return err
	}
	return writeScheduleCSV(csvDownload(w, "payment-schedule-"+d.Org.Code+"-"+d.Run.Month.Format("2006-01")+".csv"), d.Lines)
}

// decimalPounds writes pence as pounds for a spreadsheet: -750.05, 1234.50.
func decimalPounds(p int64) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
}

// statementCSV downloads a practice's (or PCN's) own lines of a run.
func (s *Server) statementCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.schedule(r)
	if err != nil {
		return err
	}
	return writeScheduleCSV(csvDownload(w, "statement-"+d.Org.Code+"-"+d.Run.Month.Format("2006-01")+".csv"), d.Lines)
}

func writeScheduleCSV(cw *csvWriter, lines []scheduleLine) error {
	cw.Write(scheduleHeader)
	for _, l := range lines {
		cw.Write([]string{l.Org, l.OrgName, l.ServiceCode, l.PeriodLabel, decimalPounds(l.Pence), l.Reference})
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) scheduleXLSX(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.schedule(r)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Payment schedule"
	f.SetSheetName("Sheet1", sheet)
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	header := make([]any, len(scheduleHeader))
	for i, h := range scheduleHeader {
		header[i] = h
	}
	f.SetSheetRow(sheet, "A1", &header)
	f.SetRowStyle(sheet, 1, 1, bold)
	for i, l := range d.Lines {
		row := []any{l.Org, l.OrgName, l.ServiceCode, l.PeriodLabel, float64(l.Pence) / 100, l.Reference}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(sheet, cell, &row)
		amount, _ := excelize.CoordinatesToCellName(5, i+2)
		f.SetCellStyle(sheet, amount, amount, money)
	}
	f.SetColWidth(sheet, "B", "B", 36)
	f.SetColWidth(sheet, "C", "D", 22)
	f.SetColWidth(sheet, "F", "F", 18)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="payment-schedule-%s-%s.xlsx"`, d.Org.Code, d.Run.Month.Format("2006-01")))
	_, err = buf.WriteTo(w)
	return err
}

// allKey names a list of claims, each at its version and amount, whatever
// their order: what "apply to all" was shown, to compare with what it finds.
func allKey(list []claims.Claim) string {
	lines := make([]string, len(list))
	for i, cl := range list {
		lines[i] = fmt.Sprintf("%d:%d:%d", cl.ID, cl.Version, cl.Pence)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:16])
}
