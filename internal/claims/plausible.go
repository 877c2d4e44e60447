package claims

import (
	"fmt"
	"slices"
	"strings"
)

// Soft checks: a figure far out of the ordinary is not refused (it may be
// right), but the submitter is asked to confirm it with a reason, and the
// claim is flagged for the reviewer. Found in use: 999,999 INR tests
// (£18.5 m), and a diabetes register of 50,000 in a practice of 26,408.

// MinUnusualReason is the fewest characters a reason for an unusual figure may have.
const MinUnusualReason = 10

// Usual is what a line's figures are compared with: the practice's
// registered list (0 when unknown) and, by field, its figures in the claims
// of the last twelve months.
type Usual struct {
	ListSize int64
	History  map[string][]int64
}

// Unusual lists, in words, the figures of a claim for s far out of the
// ordinary: more than the service expects a period, more than the
// practice's registered patients, or more than three times its median of
// the last twelve months (given three months or more to go on).
func Unusual(s Service, activity map[string]int64, u Usual) []string {
	var out []string
	for _, f := range s.Fields {
		v, ok := activity[f.Key]
		if !ok {
			continue
		}
		if f.Expected > 0 && v > f.Expected {
			out = append(out, fmt.Sprintf("%s (%d) is more than the %d a period the service expects", f.Label, v, f.Expected))
			continue
		}
		if u.ListSize > 0 && v > u.ListSize {
			out = append(out, fmt.Sprintf("%s (%d) is more than the practice's %d registered patients", f.Label, v, u.ListSize))
			continue
		}
		if h := u.History[f.Key]; len(h) >= MinHistory {
			sorted := slices.Sorted(slices.Values(h))
			median := sorted[len(sorted)/2]
			if len(sorted)%2 == 0 {
				median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
			}
			if v > 3*median && v > 10 {
				out = append(out, fmt.Sprintf("%s (%d) is more than three times the practice's usual %d (its median over %d other claims within a year)", f.Label, v, median, len(h)))
			}
		}
	}
	return out
}

// MinHistory is the fewest claims a practice's usual figure is judged by.
const MinHistory = 3

// Flag is what a reviewer is shown of a claim confirmed despite unusual
// figures: what was unusual, and the submitter's reason.
func Flag(unusual []string, reason string) string {
	if len(unusual) == 0 {
		return ""
	}
	return strings.Join(unusual, "; ") + ". Confirmed by the practice: " + strings.TrimSpace(reason)
}
