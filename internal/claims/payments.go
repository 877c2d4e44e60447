package claims

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// RunKind says what a payment run does: pay, or take back a run it reverses.
type RunKind string

const (
	PaymentKind  RunKind = "payment"
	ReversalKind RunKind = "reversal"
)

// RunStatus is where a payment run stands: a draft is a preview and pays
// nothing until it is committed (by a second, explicit confirmation) or
// discarded.
type RunStatus string

const (
	RunDraft     RunStatus = "draft"
	RunCommitted RunStatus = "committed"
	RunDiscarded RunStatus = "discarded"
	RunReversed  RunStatus = "reversed" // a committed payment run taken back by a reversal
)

// PaymentRun is one month's payments by one commissioner, or the reversal
// of such a run.
type PaymentRun struct {
	ID           int64     `json:"id"`
	Commissioner string    `json:"commissioner_org"`
	Month        time.Time `json:"month"`
	Kind         RunKind   `json:"kind"`
	Status       RunStatus `json:"status"`
	Reverses     int64     `json:"reverses,omitempty"`    // a reversal: the run it takes back
	ReversedBy   int64     `json:"reversed_by,omitempty"` // a payment: the reversal that took it back
	Reason       string    `json:"reason,omitempty"`      // why it was run early, or reversed
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	CommittedAt  time.Time `json:"committed_at,omitzero"`
	CommittedBy  string    `json:"committed_by,omitempty"`
	Lines        int       `json:"lines"`
	Pence        int64     `json:"pence"`

	// The ready numbers it pays: above PrevWatermark, up to Watermark.
	PrevWatermark, Watermark int64 `json:"-"`
}

// PaymentLine is one claim paid in a run: a row of the payment schedule.
type PaymentLine struct {
	RunID       int64     `json:"run_id"`
	ClaimID     int64     `json:"claim_id"`
	Org         string    `json:"practice_code"`
	OrgName     string    `json:"practice_name"`
	ServiceCode string    `json:"service_code"`
	ServiceName string    `json:"service_name"`
	Frequency   Frequency `json:"-"`
	Period      time.Time `json:"period_start"`
	Pence       int64     `json:"pence"`
	Reference   string    `json:"payment_reference"`
	Explanation string    `json:"explanation"`
}

// PaymentReference is the reference a practice sees on its bank statement
// for a month's payment: one per organisation per run, such as OPC2609-Y00001.
func PaymentReference(month time.Time, org string) string {
	return "OPC" + month.Format("0601") + "-" + org
}

// ClaimVersion is one submitted version of a claim.
type ClaimVersion struct {
	Version     int              `json:"version"`
	Status      Status           `json:"status"`
	Activity    map[string]int64 `json:"activity"`
	Pence       int64            `json:"pence"`
	Explanation string           `json:"explanation"`
	At          time.Time        `json:"at"`
	By          string           `json:"by"`
}

// Excluded is a claim a payment run leaves out, and why.
type Excluded struct {
	Claim Claim  `json:"claim"`
	Why   string `json:"why"`
}

// RunDeadline is the last claims deadline of a month: the latest deadline
// of the services' periods that end in it (the month's last day when none
// does).
func RunDeadline(services []Service, month time.Time) time.Time {
	first, last := MonthOf(month)
	deadline := last
	for _, sv := range services {
		if p, ok := sv.PeriodEndingIn(first); ok && sv.Deadline(p).After(deadline) {
			deadline = sv.Deadline(p)
		}
	}
	return deadline
}

// MinReasonLength is the fewest characters a stated reason may have.
const MinReasonLength = 10

// CheckRunMonth says whether a month may be paid on today, after the
// commissioner's last run (for month last; zero if none): not before it has
// begun; within the last year; after the last run's month (a run pays every
// claim ready, so runs go forward in time, and a reference such as
// OPC1903-Y00001 on a bank statement means that month); and, until its
// claims deadline has passed, only with a stated reason (claims still due
// would miss the run).
func CheckRunMonth(month, deadline, today, last time.Time, reason string) error {
	first, _ := MonthOf(month)
	thisMonth, _ := MonthOf(today)
	switch {
	case today.Before(first):
		return problem.BadField("month", "%s has not begun: it cannot be paid yet", first.Format("January 2006"))
	case first.Before(thisMonth.AddDate(-1, 0, 0)):
		return problem.BadField("month", "%s is more than a year ago: choose a month of the last year", first.Format("January 2006"))
	case !last.IsZero() && !first.After(last):
		return problem.BadField("month", "The last payment run was for %s: choose a later month", last.Format("January 2006"))
	case !today.After(deadline) && utf8.RuneCountInString(strings.TrimSpace(reason)) < MinReasonLength:
		return problem.BadField("reason", "Claims for %s are due until %s: say why this run cannot wait (at least %d characters)",
			first.Format("January 2006"), deadline.Format("2 January 2006"), MinReasonLength)
	}
	return nil
}

// CheckReversal says whether run may be reversed, for reason.
func CheckReversal(run PaymentRun, reason string) error {
	switch {
	case run.Status == RunReversed || run.ReversedBy != 0:
		return problem.New(problem.Conflict, "This run has been reversed already")
	case run.Kind != PaymentKind || run.Status != RunCommitted:
		return problem.New(problem.Conflict, "Only a committed payment run can be reversed")
	case utf8.RuneCountInString(strings.TrimSpace(reason)) < MinReasonLength:
		return problem.BadField("reason", "Say why the run is reversed (at least %d characters): it is kept with the reversal", MinReasonLength)
	}
	return nil
}

// ExcludedWhy words why a claim of the run's commissioner, for a period
// ending by the run's month, is not in it.
func ExcludedWhy(cl Claim) string {
	switch cl.Status {
	case Draft:
		return "Not submitted yet (a draft)"
	case Submitted:
		return "Awaiting approval"
	case Queried:
		return "Queried: awaiting the practice's answer"
	case Approved:
		return "Awaiting finance approval"
	case Rejected:
		return "Rejected"
	}
	return fmt.Sprintf("Not ready (%s)", cl.Status.Label())
}
