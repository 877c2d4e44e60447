package mustdo

import (
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

// Instance is one occurrence of an obligation: when it opens (for a
// window) and when it is due.
type Instance struct {
	Code  string    `json:"code"`
	Opens time.Time `json:"opens,omitzero"`
	Due   time.Time `json:"due"`
}

// Dates are a year's own dates for a window that moves (set yearly by the
// body that runs it), replacing the catalogue's defaults for that year.
type Dates struct {
	Opens, Due time.Time
	Sequence   int // rises with each change of the year's dates
}

// Instances are an obligation's occurrences due in a year. override, when
// given, replaces a window's default dates for that year. Monthly
// obligations need the year's bank holidays.
func (o Obligation) Instances(year int, cal Calendar, override *Dates) ([]Instance, error) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	switch o.Recurrence {
	case Yearly:
		return []Instance{{Code: o.Code, Due: day(year, o.Month, o.Day)}}, nil
	case Window:
		if override != nil {
			return []Instance{{Code: o.Code, Opens: override.Opens, Due: override.Due}}, nil
		}
		opens, due := day(year, o.OpenMonth, o.OpenDay), day(year, o.Month, o.Day)
		if due.Before(opens) { // a window over the new year closes in the next
			due = due.AddDate(1, 0, 0)
		}
		return []Instance{{Code: o.Code, Opens: opens, Due: due}}, nil
	case OneOff:
		d, _ := time.Parse(time.DateOnly, o.Date)
		if d.Year() != year {
			return nil, nil
		}
		return []Instance{{Code: o.Code, Due: d}}, nil
	case Monthly:
		if !cal.Covers(year) {
			return nil, fmt.Errorf("%s: England's bank holidays for %d are not loaded, so its working days cannot be counted", o.Code, year)
		}
		var out []Instance
		for m := 1; m <= 12; m++ {
			if !o.inSeason(m) {
				continue
			}
			out = append(out, Instance{Code: o.Code, Due: cal.NthWorkingDay(year, time.Month(m), o.Nth)})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unknown recurrence %q", o.Code, o.Recurrence)
}

// inSeason reports whether a monthly obligation falls in month m: every
// month, or those from OpenMonth to Month (which may run over the new year).
func (o Obligation) inSeason(m int) bool {
	if o.OpenMonth == 0 || o.Month == 0 {
		return true
	}
	if o.OpenMonth <= o.Month {
		return m >= o.OpenMonth && m <= o.Month
	}
	return m >= o.OpenMonth || m <= o.Month
}

// Owes reports whether an organisation of kind k owes an obligation itself.
// A GP's personal obligations are owed by each GP at a practice.
func (o Obligation) Owes(k orgs.Kind) bool {
	switch o.Owner {
	case Practice, GP:
		return k == orgs.Practice
	case PCN:
		return k == orgs.PCN
	case Place:
		return k == orgs.Place
	case ICB:
		return k == orgs.ICB
	}
	return false
}

// Personal reports whether each person owes the obligation for themselves,
// so that only they see it.
func (o Obligation) Personal() bool { return o.Owner == GP }
