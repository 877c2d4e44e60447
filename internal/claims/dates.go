package claims

import (
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

// YearRange is a financial year's first and last days.
func YearRange(year int) (first, last time.Time) {
	first = time.Date(year, time.April, 1, 0, 0, 0, 0, time.UTC)
	return first, first.AddDate(1, 0, -1)
}

// Span is a run of days, both ends included.
type Span struct {
	From, To time.Time
}

// Runs is the days the service may be claimed for: its start (the year's
// first day unless set) to its end (the year's last unless set).
func (s Service) Runs() Span {
	first, last := YearRange(s.Year)
	if !s.Starts.IsZero() {
		first = s.Starts
	}
	if !s.Ends.IsZero() {
		last = s.Ends
	}
	return Span{first, last}
}

// Claimable says whether o may claim s for period p, as far as dates go (who
// may claim at all is Eligible's question), and if not, why, in words a
// practice manager can act on. A period counts if any of its days lies
// within all of: the service's own dates, the sign-up (from the day the
// offer was accepted, or the start the commissioner set on it), and the
// days the organisation was open. A sign-up made in November does not reach
// back to April; a practice closed in September claims nothing after it.
func (s Service) Claimable(p Period, o orgs.Org, offer *Offer) (bool, string) {
	runs := s.Runs()
	day := func(t time.Time) string { return t.Format("2 January 2006") }
	switch {
	case s.IsWithdrawn():
		return false, fmt.Sprintf("%s was withdrawn on %s", s.Name, day(s.Withdrawn))
	case p.End.Before(runs.From):
		return false, fmt.Sprintf("%s starts on %s", s.Name, day(runs.From))
	case p.Start.After(runs.To):
		return false, fmt.Sprintf("%s ended on %s", s.Name, day(runs.To))
	case s.SignUp && offer != nil && !offer.Start.IsZero() && p.End.Before(offer.Start):
		return false, fmt.Sprintf("%s signed up to %s from %s", o.Name, s.Name, day(offer.Start))
	case o.Status == orgs.StatusClosed && o.CloseDate.IsZero():
		return false, fmt.Sprintf("%s is closed", o.Name)
	case !o.OpenDate.IsZero() && p.End.Before(o.OpenDate):
		return false, fmt.Sprintf("%s opened on %s", o.Name, day(o.OpenDate))
	case !o.CloseDate.IsZero() && p.Start.After(o.CloseDate):
		return false, fmt.Sprintf("%s closed on %s", o.Name, day(o.CloseDate))
	}
	return true, ""
}
