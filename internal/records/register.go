package records

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// Collection is one entry of an organisation's register: a body of records
// kept together ("complaints files 2019", "CCTV", "DSPT evidence").
type Collection struct {
	ID       int64     `json:"id"`
	Org      string    `json:"org_code"`
	Name     string    `json:"name"`
	Class    string    `json:"class"`
	Location string    `json:"location"` // a system, or a physical place
	Owner    string    `json:"owner"`    // who answers for it
	Volume   string    `json:"volume"`   // "3 boxes", "12 GB", "about 400 files"
	Facts    Facts     `json:"-"`
	Event    string    `json:"event_date,omitempty"`
	Reused   string    `json:"reused_on,omitempty"`
	Birth    string    `json:"birth_date,omitempty"`
	Death    string    `json:"death_date,omitempty"`
	Keep     KeepUntil `json:"keep"`     // a decision to keep longer, if any
	Disposed bool      `json:"disposed"` // destroyed or transferred: a certificate says so
	AddedBy  string    `json:"added_by"`
	AddedAt  time.Time `json:"added_at"`
	Version  int       `json:"version"` // rises with each change, so two edits cannot cross
}

// KeepUntil is a decision, approved by a second person, to keep a
// collection past its minimum period.
type KeepUntil struct {
	Until         time.Time `json:"until"`
	Justification string    `json:"justification,omitempty"`
}

// CollectionInput is what a person types to add or change an entry.
type CollectionInput struct {
	Name     string `form:"name" json:"name"`
	Class    string `form:"class" json:"class"`
	Location string `form:"location" json:"location"`
	Owner    string `form:"owner" json:"owner"`
	Volume   string `form:"volume" json:"volume"`
	Event    string `form:"event_date" json:"event_date"`
	Reused   string `form:"reused_on" json:"reused_on"`
	Birth    string `form:"birth_date" json:"birth_date"`
	Death    string `form:"death_date" json:"death_date"`
}

// NewCollection checks an entry against the schedule on day today: its
// class must exist, its dates must be dates and not in the future, and the
// facts its class's rule needs must be there. Errors name each field.
func NewCollection(in CollectionInput, schedule map[string]Class, today time.Time) (Collection, Due, error) {
	c := Collection{Name: strings.TrimSpace(in.Name), Class: strings.ToUpper(strings.TrimSpace(in.Class)),
		Location: strings.TrimSpace(in.Location), Owner: strings.TrimSpace(in.Owner), Volume: strings.TrimSpace(in.Volume)}
	var errs problem.Fields
	text := func(field, value, label string, max int) {
		switch {
		case value == "":
			errs.Add(field, "Enter the "+label)
		case utf8.RuneCountInString(value) > max:
			errs.Add(field, "The "+label+" must be "+strconv.Itoa(max)+" characters or fewer")
		}
	}
	// Fields are checked in the order the form asks for them, so that the
	// error summary reads top to bottom.
	text("name", c.Name, "collection's name", 200)
	class, known := schedule[c.Class]
	if c.Class == "" {
		errs.Add("class", "Choose the kind of record from the retention schedule")
	} else if !known {
		errs.Add("class", "There is no class "+c.Class+" in the retention schedule")
	}
	text("location", c.Location, "location (a system, or where the records are kept)", 200)
	text("owner", c.Owner, "owner (who answers for the collection)", 200)
	if utf8.RuneCountInString(c.Volume) > 100 {
		errs.Add("volume", "The volume must be 100 characters or fewer")
	}
	date := func(field, value string, into *time.Time, keep *string) {
		value = strings.TrimSpace(value)
		if value == "" {
			return
		}
		t, err := time.Parse(time.DateOnly, value)
		if err != nil {
			errs.Add(field, "Enter a real date as YYYY-MM-DD, for example 2019-03-31")
			return
		}
		if t.Year() < 1900 {
			errs.Add(field, "Enter a date from 1900 on, as YYYY-MM-DD")
			return
		}
		*into, *keep = t, value
	}
	date("event_date", in.Event, &c.Facts.Event, &c.Event)
	date("reused_on", in.Reused, &c.Facts.Reused, &c.Reused)
	date("birth_date", in.Birth, &c.Facts.Birth, &c.Birth)
	date("death_date", in.Death, &c.Facts.Death, &c.Death)
	// The dates' own problems (in the future, missing for the class) come
	// with the rest, not in a second round.
	dateFields := []string{"event_date", "reused_on", "birth_date", "death_date"}
	var due Due
	if known && !slices.ContainsFunc(errs, func(f problem.Field) bool { return slices.Contains(dateFields, f.Name) }) {
		var err error
		if due, err = class.DueDate(c.Facts, today); err != nil {
			errs = append(errs, problem.FieldsOf(err)...)
		}
	}
	return c, due, errs.Err()
}

// DueOf is when a collection comes up for review or disposal: its class's
// minimum period, or a later date an approved decision keeps it to.
func DueOf(c Collection, class Class, today time.Time) (Due, error) {
	due, err := class.DueDate(c.Facts, today)
	if err != nil {
		return due, err
	}
	// A decision to keep longer moves a date later; it never gives a date
	// to records that have none (those kept while a patient lives, say).
	if !c.Keep.Until.IsZero() && !due.Never && c.Keep.Until.After(due.Date) {
		return Due{Date: c.Keep.Until, Basis: "Kept until " + day(c.Keep.Until) + " by an approved decision: " + c.Keep.Justification +
			" (the minimum period: " + lowerFirst(due.Basis) + ")"}, nil
	}
	return due, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// State is where a collection stands on a day.
type State string

const (
	NotDue   State = "not_due"
	DueNow   State = "due"      // the minimum period has ended and no decision is waiting
	Proposed State = "proposed" // a decision waits for a second person
	Held     State = "held"     // a legal hold stops disposal
	Disposed State = "disposed" // destroyed or transferred; a certificate says so
	Never    State = "never"    // no date: while alive, life of the building, permanent
)

// Label is a state in words.
func (s State) Label() string {
	return map[State]string{NotDue: "Not due", DueNow: "Due for review", Proposed: "Decision waiting for approval",
		Held: "On legal hold", Disposed: "Disposed of", Never: "No disposal date"}[s]
}

// StateOf says where a collection stands, given its due date, whether a
// decision waits and whether a hold covers it.
func StateOf(c Collection, due Due, pending, held bool, today time.Time) State {
	switch {
	case c.Disposed:
		return Disposed
	case held:
		return Held
	case pending:
		return Proposed
	case due.Never:
		return Never
	case !due.Date.After(today):
		return DueNow
	}
	return NotDue
}
