package claims

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// Withdrawing takes back a service that should not have been offered (made
// in error, or its funding gone before anything was approved). Ending keeps
// every claim for the periods up to the end; a withdrawn service is claimed
// for no period at all. So it can be withdrawn only while no claim for it
// has been approved or paid: its submitted and queried claims are rejected
// with the reason, and everyone who claims it is told.

// MinWithdrawReason is the fewest characters a reason for withdrawing may have.
const MinWithdrawReason = 10

// IsWithdrawn reports whether the service has been withdrawn.
func (s Service) IsWithdrawn() bool { return !s.Withdrawn.IsZero() }

// CheckWithdraw checks that s may be withdrawn, for reason, when approved
// of its claims have been approved or paid.
func (s Service) CheckWithdraw(reason string, approved int) error {
	switch {
	case s.IsWithdrawn():
		return problem.New(problem.Conflict, "%s was withdrawn on %s", s.Name, s.Withdrawn.Format("2 January 2006"))
	case approved == 1:
		return problem.New(problem.Conflict, "A claim for %s has been approved or paid, so it cannot be withdrawn: end it instead, so that the claims made stand", s.Name)
	case approved > 1:
		return problem.New(problem.Conflict, "%d claims for %s have been approved or paid, so it cannot be withdrawn: end it instead, so that the claims made stand", approved, s.Name)
	case utf8.RuneCountInString(strings.TrimSpace(reason)) < MinWithdrawReason:
		return problem.BadField("reason", "Say why %s is withdrawn, in at least %d characters: everyone who claims it is told", s.Name, MinWithdrawReason)
	case utf8.RuneCountInString(reason) > 2000:
		return problem.BadField("reason", "Say why in at most 2,000 characters")
	}
	return nil
}

// WithdrawnMessage is what a claim rejected by the withdrawal says.
func WithdrawnMessage(reason string, on time.Time) string {
	return "The service was withdrawn on " + on.Format("2 January 2006") + ": " + strings.TrimSpace(reason)
}
