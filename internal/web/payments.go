package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
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
	Pager      pager            `json:"-"`
	CanFinance bool             `json:"-"`
	Notice     string           `json:"-"`
}

var reviewNotices = map[string]string{"approve": "Claims approved.", "query": "Claims queried: the practices will see your message.",
	"reject": "Claims rejected.", "finance": "Claims approved by finance."}

// claimsPage lists a commissioner's claims for review, filtered by service
// and status (submitted by default), with bulk actions.
func (s *Server) claimsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderClaims(w, r, rq, http.StatusOK, nil)
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
		CanFinance: people.Authorize(rq.user.Grants, people.ApproveFinance, rq.chain)}
	if !q.Has("status") {
		d.Status = claims.Submitted
	}
	d.ServiceID, _ = strconv.ParseInt(q.Get("service"), 10, 64)
	if d.Services, err = s.store.Services(ctx, []string{o.Code}, 0); err != nil {
		return err
	}
	d.Claims, d.Total, err = s.store.Claims(ctx, store.ClaimQuery{Commissioners: []string{o.Code}, ServiceID: d.ServiceID,
		Status: d.Status, Limit: pageSize, Offset: offsetFrom(r)})
	if err != nil {
		return err
	}
	d.Pager = newPager(r, d.Total)
	return s.render(w, r, rq, status, "claims", page{Title: "Claims to review", Nav: "orgs", Data: d, Errors: errs, Notice: d.Notice})
}

// reviewClaims applies one action to the ticked claims.
func (s *Server) reviewClaims(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	if err := readForm(r); err != nil {
		return err
	}
	action, message := claims.Action(r.PostForm.Get("action")), r.PostForm.Get("message")
	var ids []int64
	seen := map[int64]int{} // the version of each claim the page showed (seen-ID)
	for _, v := range r.PostForm["claim"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return problem.New(problem.Invalid, "%q is not a claim", v)
		}
		ids = append(ids, id)
		if ver, err := strconv.Atoi(r.PostForm.Get(fmt.Sprintf("seen-%d", id))); err == nil {
			seen[id] = ver
		}
	}
	if action == claims.ActFinance && !people.Authorize(rq.user.Grants, people.ApproveFinance, rq.chain) {
		return problem.New(problem.Forbidden, "Your roles do not include finance approval.")
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
	return s.doneRedirect(w, r, "/orgs/"+code+"/claims?done="+string(action))
}

type paymentsData struct {
	Org        orgs.Org            `json:"org"`
	Runs       []claims.PaymentRun `json:"runs"`
	CanRun     bool                `json:"-"`
	Months     []time.Time         `json:"-"`
	Commission bool                `json:"-"`
}

// paymentsPage shows a commissioner's payment runs (and the form to run
// one), or the runs that paid a practice or PCN (its statements).
func (s *Server) paymentsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	o, err := s.store.Org(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	d := paymentsData{Org: o, Commission: isCommissioner(o), CanRun: isCommissioner(o) && people.Authorize(rq.user.Grants, people.RunPayments, rq.chain)}
	if d.Commission {
		d.Runs, err = s.store.PaymentRuns(ctx, o.Code, "")
	} else {
		d.Runs, err = s.store.PaymentRuns(ctx, "", o.Code)
	}
	if err != nil {
		return err
	}
	start := time.Date(rq.today.Year(), rq.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i >= -12; i-- {
		d.Months = append(d.Months, start.AddDate(0, i, 0))
	}
	title := "Payment runs"
	if !d.Commission {
		title = "Payments and statements"
	}
	return s.render(w, r, rq, http.StatusOK, "payments", page{Title: title + " – " + o.Name, Nav: "orgs", Data: d})
}

func (s *Server) runPayments(w http.ResponseWriter, r *http.Request, rq *request) error {
	code := r.PathValue("code")
	var in struct {
		Month string `form:"month"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	month, err := time.Parse("2006-01", in.Month)
	if err != nil {
		return problem.OnField(problem.Invalid, "month", "Choose the month to pay")
	}
	run, err := s.store.RunPayments(r.Context(), rq.actor(), code, month)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusCreated, run)
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/payments/%d", code, run.ID), http.StatusSeeOther)
	return nil
}

type runData struct {
	Org        orgs.Org          `json:"org"`
	Run        claims.PaymentRun `json:"run"`
	Lines      []scheduleLine    `json:"lines"`
	Total      int64             `json:"total_pence"`
	Commission bool              `json:"-"`
	Rounding   string            `json:"rounding"`
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
	return d, nil
}

// runPage is a commissioner's payment schedule, or a practice's remittance
// statement for the run.
func (s *Server) runPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.runFor(r)
	if err != nil {
		return err
	}
	title := "Payment schedule, " + d.Run.Month.Format("January 2006")
	if !d.Commission {
		title = "Remittance statement, " + d.Run.Month.Format("January 2006")
	}
	return s.render(w, r, rq, http.StatusOK, "run", page{Title: title, Nav: "orgs", Data: d})
}

var scheduleHeader = []string{"practice_code", "practice_name", "service_code", "period", "amount", "payment_reference"}

func (s *Server) scheduleCSV(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.runFor(r)
	if err != nil {
		return err
	}
	return writeScheduleCSV(csvDownload(w, "payment-schedule-"+d.Org.Code+"-"+d.Run.Month.Format("2006-01")+".csv"), d.Lines)
}

func writeScheduleCSV(cw *csvWriter, lines []scheduleLine) error {
	cw.Write(scheduleHeader)
	for _, l := range lines {
		cw.Write([]string{l.Org, l.OrgName, l.ServiceCode, l.PeriodLabel, fmt.Sprintf("%d.%02d", l.Pence/100, l.Pence%100), l.Reference})
	}
	cw.Flush()
	return cw.Error()
}

func (s *Server) scheduleXLSX(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.runFor(r)
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
