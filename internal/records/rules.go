package records

import (
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// Facts are what a register entry says that the rules count from.
type Facts struct {
	Event  time.Time // the trigger event; zero where the rule has no clock
	Reused time.Time // when the records last came back into use: this restarts the clock
	Birth  time.Time // children's records: the date of birth (of the youngest, for a collection)
	Death  time.Time // where known: the patient's death
}

// Due is when a collection's minimum retention ends, and why.
type Due struct {
	Date  time.Time `json:"date"`  // zero when Never
	Never bool      `json:"never"` // no date: while alive, life of the building, permanent
	Basis string    `json:"basis"` // the reckoning in words
}

// DueDate works out when the minimum retention of records of this class
// ends, given their facts, on day today. Errors name the fact at fault.
//
// Years are added as calendar years; a clock that starts on 29 February
// ends on 1 March in a year with no 29 February, the later of the two
// candidate days, because retention periods are minimums.
func (c Class) DueDate(f Facts, today time.Time) (Due, error) {
	var errs problem.Fields
	for _, d := range []struct {
		name string
		t    time.Time
		what string
	}{{"event_date", f.Event, "The date that starts the clock"}, {"reused_on", f.Reused, "The date the records were last used"},
		{"birth_date", f.Birth, "The date of birth"}, {"death_date", f.Death, "The date of death"}} {
		if d.t.After(today) {
			errs.Add(d.name, d.what+" cannot be in the future")
		}
	}
	if err := errs.Err(); err != nil {
		return Due{}, err
	}
	switch c.Rule {
	case WhileAlive:
		if !f.Death.IsZero() {
			return Due{}, problem.OnField(problem.Invalid, "death_date", "This class is for living patients; after death the record is kept as a deceased patient's record (GP-DECEASED)")
		}
		return Due{Never: true, Basis: "Kept while the patient is alive"}, nil
	case LifeOfBuilding:
		return Due{Never: true, Basis: "Kept for the life of the building; review when the building is disposed of"}, nil
	case Permanent:
		return Due{Never: true, Basis: "Kept permanently"}, nil
	}
	start, reused, err := c.start(f)
	if err != nil {
		return Due{}, err
	}
	from := " after " + c.eventWords() + " on " + day(start)
	if reused {
		from = " after the records were last used, on " + day(start) + " (coming back into use restarts the clock)"
	}
	switch c.Rule {
	case Years:
		return Due{Date: addYears(start, c.Years), Basis: plural(c.Years) + from}, nil
	case YearsOrAfterDeath:
		due := Due{Date: addYears(start, c.Years), Basis: plural(c.Years) + from}
		if !f.Death.IsZero() {
			if after := addYears(f.Death, c.DeathYears); after.After(due.Date) {
				return Due{Date: after, Basis: plural(c.DeathYears) + " after death on " + day(f.Death) + ", later than " + plural(c.Years) + from}, nil
			}
			due.Basis += ", later than " + plural(c.DeathYears) + " after death on " + day(f.Death)
		}
		return due, nil
	case Child:
		if f.Birth.IsZero() {
			return Due{}, problem.OnField(problem.Invalid, "birth_date", "Enter the date of birth (for a collection, of its youngest person): children's records are kept to a birthday")
		}
		if f.Birth.After(start) {
			return Due{}, problem.OnField(problem.Invalid, "birth_date", "The date of birth is after the conclusion of treatment")
		}
		age := ageOn(f.Birth, start)
		switch {
		case age >= 18:
			return Due{}, problem.OnField(problem.Invalid, "birth_date", "The person was 18 or over at the conclusion of treatment: use the adult class (ADULT)")
		case age == 17:
			return Due{Date: addYears(f.Birth, 26), Basis: "Until the 26th birthday, as the young person was 17 at the conclusion of treatment on " + day(start)}, nil
		}
		return Due{Date: addYears(f.Birth, 25), Basis: "Until the 25th birthday (the young person was " + strconv.Itoa(age) + " at the conclusion of treatment on " + day(start) + ")"}, nil
	}
	return Due{}, problem.New(problem.Invalid, "The class %s has a rule OnePC does not know: %s", c.Code, c.Rule)
}

// start is the date the clock runs from: the trigger event (for a class
// counted from death, the date of death), or a later return to use.
func (c Class) start(f Facts) (time.Time, bool, error) {
	if c.Trigger == Death && !f.Death.IsZero() {
		if !f.Event.IsZero() && !f.Event.Equal(f.Death) {
			return time.Time{}, false, problem.OnField(problem.Invalid, "death_date", "This kind of record counts from death: give the date of death once, not a different start date")
		}
		f.Event = f.Death
	}
	if f.Event.IsZero() {
		return time.Time{}, false, problem.OnField(problem.Invalid, "event_date", "Enter the date of "+c.eventWords()+": the clock starts then")
	}
	if f.Reused.After(f.Event) {
		return f.Reused, true, nil
	}
	if !f.Reused.IsZero() && f.Reused.Before(f.Event) {
		return time.Time{}, false, problem.OnField(problem.Invalid, "reused_on", "The records cannot have been used again before the event that started their clock")
	}
	return f.Event, false, nil
}

func (c Class) eventWords() string {
	switch c.Trigger {
	case Closure:
		return "closure"
	case Discharge:
		return "the conclusion of treatment"
	case LastContact:
		return "the last entry"
	case Death:
		return "death"
	case Deregistration:
		return "deregistration"
	case Creation:
		return "creation"
	case Publication:
		return "publication"
	case Birth:
		return "birth"
	}
	return "the event"
}

// NeedsEvent reports whether the class counts from an event date.
func (c Class) NeedsEvent() bool {
	return c.Rule == Years || c.Rule == YearsOrAfterDeath || c.Rule == Child
}

// addYears adds calendar years; 29 February becomes 1 March (see DueDate).
func addYears(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) }

// ageOn is a person's age in whole years on a day.
func ageOn(birth, on time.Time) int {
	age := on.Year() - birth.Year()
	if on.Month() < birth.Month() || (on.Month() == birth.Month() && on.Day() < birth.Day()) {
		age--
	}
	return age
}

func day(t time.Time) string { return t.Format("2 January 2006") }

func plural(n int) string {
	if n == 1 {
		return "1 year"
	}
	return strconv.Itoa(n) + " years"
}

// Period says a class's minimum retention in words, as the schedule page shows it.
func (c Class) Period() string {
	switch c.Rule {
	case Years:
		return plural(c.Years) + " after " + c.eventWords()
	case YearsOrAfterDeath:
		return plural(c.Years) + " after " + c.eventWords() + ", or " + plural(c.DeathYears) + " after death if later"
	case Child:
		return "Until the 25th birthday, or the 26th if 17 at the conclusion of treatment"
	case WhileAlive:
		return "While the patient is alive"
	case LifeOfBuilding:
		return "For the life of the building"
	case Permanent:
		return "Permanently"
	}
	return string(c.Rule)
}

// SourceURL is the link in a row's source ("Title: https://…"), or "".
func (c Class) SourceURL() string {
	if i := strings.Index(c.Source, "https://"); i >= 0 {
		return strings.TrimSpace(c.Source[i:])
	}
	return ""
}

// SourceTitle is a row's source without its link.
func (c Class) SourceTitle() string {
	if i := strings.Index(c.Source, "https://"); i >= 0 {
		return strings.TrimRight(strings.TrimSpace(c.Source[:i]), ":")
	}
	return c.Source
}
