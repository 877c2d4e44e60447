package claims

import (
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

// LatestEnded is the service's latest period that has ended by today, or
// its first when none has: the period a commissioner looks at by default.
func (s Service) LatestEnded(today time.Time) Period {
	ps := s.Periods()
	if len(ps) == 0 {
		return Period{}
	}
	cur := ps[0]
	for _, p := range ps {
		if !p.End.After(today) {
			cur = p
		}
	}
	return cur
}

// NeedsArea reports whether Expected needs the practices of the
// commissioner's area: a service open to all of them, with no sign-up.
func (s Service) NeedsArea() bool { return !s.SignUp && s.Eligibility == AllPractices }

// Expected lists the organisations expected to claim s for period p (none
// outside the service's dates): those signed up by the period's end, where
// the service asks for sign-up; otherwise those chosen, or every practice of
// the commissioner's area (area) open on any day of the period.
func (s Service) Expected(p Period, offers []Offer, area []orgs.Org) []string {
	if runs := s.Runs(); p.End.Before(runs.From) || p.Start.After(runs.To) {
		return nil
	}
	var codes []string
	switch {
	case s.SignUp:
		// Signed up by the period's end: a sign-up made later does not make
		// an earlier month's table show it as missing.
		for _, f := range offers {
			if f.Status == Active && (f.Start.IsZero() || !p.End.Before(f.Start)) {
				codes = append(codes, f.Org)
			}
		}
	case s.Eligibility == AllPractices:
		for _, o := range area {
			if o.Kind == orgs.Practice && (o.Open(p.Start) || o.Open(p.End)) {
				codes = append(codes, o.Code)
			}
		}
	default:
		codes = append(codes, s.Chosen...)
	}
	return codes
}

// Standing says where an expected claim stands for a commissioner: its
// status in words, and whether it is late (a claim not yet submitted is late
// once the deadline has passed).
func Standing(cl *Claim, deadline, today time.Time) (status string, late bool) {
	switch {
	case cl == nil:
		return "Not submitted", IsLate(deadline, today)
	case cl.Status == Draft:
		return "Draft saved", IsLate(deadline, today)
	}
	return cl.Status.Label(), cl.Late
}
