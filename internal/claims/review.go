package claims

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// Action is what a commissioner (or finance) does to claims under review.
type Action string

const (
	ActApprove Action = "approve"
	ActQuery   Action = "query"
	ActReject  Action = "reject"
	ActFinance Action = "finance"
)

// pastTense names what an action did, for messages.
func (a Action) pastTense() string {
	switch a {
	case ActApprove:
		return "approved"
	case ActQuery:
		return "queried"
	case ActReject:
		return "rejected"
	case ActFinance:
		return "approved by finance"
	}
	return string(a)
}

// Next is the claims state machine for review: the status a claim moves to
// when action is taken on it under s, or a Conflict saying why it cannot.
//
//	submitted → approved (→ finance approved where the service asks) | queried | rejected
//	queried   → rejected (or the practice amends it back to submitted)
func Next(action Action, cl Claim, s Service) (Status, error) {
	switch {
	case s.IsWithdrawn() && action != ActReject:
		return "", problem.New(problem.Conflict, "%s was withdrawn on %s: its claims can only be rejected", s.Name, s.Withdrawn.Format("2 January 2006"))
	case action == ActApprove && cl.Status == Submitted:
		return AfterApprove(s), nil
	case action == ActQuery && cl.Status == Submitted:
		return Queried, nil
	case action == ActReject && (cl.Status == Submitted || cl.Status == Queried):
		return Rejected, nil
	case action == ActFinance && cl.Status == Approved && s.NeedsFinance:
		return Finance, nil
	}
	return "", problem.New(problem.Conflict, "%s's claim for %s, %s, is %s: it cannot be %s", cl.OrgName, cl.ServiceName,
		cl.Period.Label(s.Frequency), strings.ToLower(cl.Status.Label()), action.pastTense())
}

// CheckSeparation says whether actor may take action on cl under s (whose
// latest version submittedBy submitted): nobody approves a claim they
// submitted, and the person who approved a claim does not also approve it
// for finance, unless the service allows it.
func CheckSeparation(action Action, cl Claim, s Service, actor, submittedBy string) error {
	if action == ActApprove && submittedBy != "" && strings.EqualFold(submittedBy, actor) {
		return problem.New(problem.Forbidden, "You submitted %s's claim for %s, so someone else must approve it", cl.OrgName, cl.ServiceName)
	}
	if action == ActFinance && !s.SameFinance && cl.ApprovedBy != "" && strings.EqualFold(cl.ApprovedBy, actor) {
		return problem.New(problem.Forbidden, "You approved %s's claim for %s, so someone else must approve it for finance: %s keeps the two duties apart",
			cl.OrgName, cl.ServiceName, s.Name)
	}
	return nil
}

// MaxMessage is the most characters a reviewer's message may have.
const MaxMessage = 2000

// CheckReview checks what a reviewer sent before any claim is touched.
func CheckReview(action Action, ids []int64, message string) error {
	switch action {
	case ActApprove, ActQuery, ActReject, ActFinance:
	default:
		return problem.BadField("action", "Choose what to do with the claims")
	}
	if (action == ActQuery || action == ActReject) && strings.TrimSpace(message) == "" {
		return problem.BadField("message", "Write a message to the practice saying why")
	}
	if utf8.RuneCountInString(message) > MaxMessage {
		return problem.BadField("message", "Write the message in at most 2,000 characters")
	}
	if len(ids) == 0 {
		return problem.BadField("claims", "Choose at least one claim")
	}
	return nil
}

// CheckAmend says whether a claim may be amended now.
func CheckAmend(cl Claim) error {
	if !cl.Amendable() {
		return problem.New(problem.Conflict, "This claim is %s, so it can no longer be amended", strings.ToLower(cl.Status.Label()))
	}
	return nil
}

// IsLate reports whether a submission at now misses the deadline (the
// whole of the deadline day counts as on time).
func IsLate(deadline, now time.Time) bool { return now.After(deadline.AddDate(0, 0, 1)) }

// SubmitFrom is the first day a period's claim can be submitted: the day
// after it ends.
func (p Period) SubmitFrom() time.Time { return p.End.AddDate(0, 0, 1) }

// Submittable reports whether a period can be submitted at now (SubmitFrom).
func Submittable(p Period, now time.Time) bool { return now.After(p.SubmitFrom()) }
