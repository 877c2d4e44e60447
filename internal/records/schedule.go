// Package records keeps organisations' registers of record collections and
// applies the NHS Records Management Code of Practice's retention schedule
// to them: when each collection is due for review or disposal and why,
// disposal proposed by one person and approved by another, legal holds that
// stop disposal, and certificates of what was destroyed.
//
// The schedule is data (schedule.csv, versioned in the database); the small
// vocabulary of rules that turn a row into a date is code (rules.go).
package records

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule names how a retention period is counted.
type Rule string

const (
	// Years: a number of years after the trigger event.
	Years Rule = "years"
	// Child: until the 25th birthday, or the 26th if the young person was 17
	// at the conclusion of treatment.
	Child Rule = "child"
	// WhileAlive: kept while the patient is alive (a GP record of a living patient).
	WhileAlive Rule = "while_alive"
	// YearsOrAfterDeath: Years after the trigger, or DeathYears after death,
	// whichever is later (mental health: 20 years after treatment or 10 after death).
	YearsOrAfterDeath Rule = "years_or_after_death"
	// LifeOfBuilding: for as long as the building stands.
	LifeOfBuilding Rule = "life_of_building"
	// Permanent: never destroyed.
	Permanent Rule = "permanent"
)

// Rules lists the vocabulary.
var Rules = []Rule{Years, Child, WhileAlive, YearsOrAfterDeath, LifeOfBuilding, Permanent}

// Trigger is the event that starts a retention clock.
type Trigger string

const (
	Closure        Trigger = "closure"        // the file or case closed
	Discharge      Trigger = "discharge"      // conclusion of treatment, discharge
	LastContact    Trigger = "last_contact"   // the last entry or contact
	Death          Trigger = "death"          // the patient's death
	Deregistration Trigger = "deregistration" // the patient left the practice's list
	Creation       Trigger = "creation"       // the record was made (the Code marks these rows)
	Publication    Trigger = "publication"    // the document was published
	Birth          Trigger = "birth"          // the person's date of birth (children's records)
	None           Trigger = "none"           // no clock: while alive, life of building, permanent
)

// Triggers lists the vocabulary.
var Triggers = []Trigger{Closure, Discharge, LastContact, Death, Deregistration, Creation, Publication, Birth, None}

// Action is what happens when the minimum period ends.
type Action string

const (
	ReviewDestroy Action = "review_destroy" // review, and destroy if no longer needed
	Review        Action = "review"         // review
	Transfer      Action = "transfer"       // transfer to a place of deposit
	KeepForever   Action = "permanent"      // keep permanently
)

// Actions lists the vocabulary.
var Actions = []Action{ReviewDestroy, Review, Transfer, KeepForever}

// Label is an action in words.
func (a Action) Label() string {
	switch a {
	case ReviewDestroy:
		return "Review, and destroy if no longer needed"
	case Review:
		return "Review"
	case Transfer:
		return "Transfer to a place of deposit"
	case KeepForever:
		return "Keep permanently"
	}
	return string(a)
}

// Class is one row of the retention schedule.
type Class struct {
	Code          string  `json:"code"`
	RecordType    string  `json:"record_type"`
	Trigger       Trigger `json:"trigger"`
	Rule          Rule    `json:"rule"`
	Years         int     `json:"years,omitempty"`
	DeathYears    int     `json:"death_years,omitempty"`
	Action        Action  `json:"action"`
	CreationBased bool    `json:"creation_based"` // the Code marks the row as counted from creation
	Source        string  `json:"source"`         // the publication and link the row comes from
	Checked       string  `json:"checked"`        // the date the row was checked against its source
	Notes         string  `json:"notes,omitempty"`
}

// Header is the schedule CSV's header, in order.
var Header = []string{"code", "record_type", "trigger", "rule", "years", "death_years", "action", "creation_based", "source", "checked", "notes"}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)

// Check returns what is wrong with a row, naming the field.
func (c Class) Check() (field, msg string) {
	switch {
	case !codePattern.MatchString(c.Code):
		return "code", "a code is 2 to 40 capital letters, digits and dashes"
	case strings.TrimSpace(c.RecordType) == "":
		return "record_type", "give the record type"
	case !slices.Contains(Triggers, c.Trigger):
		return "trigger", fmt.Sprintf("%q is not a trigger; use one of %s", c.Trigger, join(Triggers))
	case !slices.Contains(Rules, c.Rule):
		return "rule", fmt.Sprintf("%q is not a rule; use one of %s", c.Rule, join(Rules))
	case !slices.Contains(Actions, c.Action):
		return "action", fmt.Sprintf("%q is not an action; use one of %s", c.Action, join(Actions))
	case c.Source == "":
		return "source", "give the source the row comes from"
	}
	if _, err := time.Parse(time.DateOnly, c.Checked); err != nil {
		return "checked", "give the date the row was checked as YYYY-MM-DD"
	}
	needsYears := c.Rule == Years || c.Rule == YearsOrAfterDeath
	switch {
	case needsYears && (c.Years < 1 || c.Years > 150):
		return "years", "a period in years is from 1 to 150"
	case !needsYears && c.Years != 0:
		return "years", "the rule " + string(c.Rule) + " takes no years"
	case c.Rule == YearsOrAfterDeath && (c.DeathYears < 1 || c.DeathYears > 150):
		return "death_years", "give the years after death, from 1 to 150"
	case c.Rule != YearsOrAfterDeath && c.DeathYears != 0:
		return "death_years", "only the rule years_or_after_death takes years after death"
	case needsYears && c.Trigger == None:
		return "trigger", "a period in years needs an event to count from"
	case (c.Rule == WhileAlive || c.Rule == LifeOfBuilding || c.Rule == Permanent) && c.Trigger != None:
		return "trigger", "the rule " + string(c.Rule) + " has no clock: use none"
	case c.Rule == Child && c.Trigger != Discharge:
		return "trigger", "the children's rule counts to birthdays from the conclusion of treatment: use discharge"
	case c.Rule == Permanent && c.Action != KeepForever && c.Action != Transfer:
		return "action", "a permanent record is kept or transferred to a place of deposit"
	case c.CreationBased != (c.Trigger == Creation):
		return "creation_based", "a row is creation-based exactly when its trigger is creation"
	}
	return "", ""
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// LineError is a problem in a schedule file, by line and field.
type LineError struct {
	Unit  string // "line" of a CSV file (the default), or "row" of an HTML table
	Line  int
	Field string
	Msg   string
}

func (e *LineError) Error() string {
	unit := e.Unit
	if unit == "" {
		unit = "line"
	}
	if e.Field == "" {
		return fmt.Sprintf("%s %d: %s", unit, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s %d: %s: %s", unit, e.Line, e.Field, e.Msg)
}

// MaxRows bounds a schedule file: the Code's schedule has a few hundred rows.
const MaxRows = 5000

// ParseCSV reads a schedule in OnePC's CSV form (Header). Any bad line
// refuses the whole file, naming the line and field.
func ParseCSV(r io.Reader) ([]Class, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, &LineError{Line: 1, Msg: "the file is empty or not CSV"}
	}
	for i := range head {
		head[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff")))
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range Header {
		if _, ok := col[h]; !ok && h != "notes" && h != "death_years" {
			return nil, &LineError{Line: 1, Field: h, Msg: "the header has no column " + h}
		}
	}
	var out []Class
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, &LineError{Line: line, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(out) >= MaxRows {
			return nil, &LineError{Line: line, Msg: fmt.Sprintf("a schedule has at most %d rows", MaxRows)}
		}
		get := func(h string) string {
			if i, ok := col[h]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		c := Class{Code: strings.ToUpper(get("code")), RecordType: get("record_type"), Trigger: Trigger(get("trigger")),
			Rule: Rule(get("rule")), Action: Action(get("action")), Source: get("source"), Checked: get("checked"), Notes: get("notes")}
		for _, n := range []struct {
			field string
			into  *int
		}{{"years", &c.Years}, {"death_years", &c.DeathYears}} {
			if v := get(n.field); v != "" {
				if *n.into, err = strconv.Atoi(v); err != nil {
					return nil, &LineError{Line: line, Field: n.field, Msg: fmt.Sprintf("%q is not a whole number of years", v)}
				}
			}
		}
		switch strings.ToLower(get("creation_based")) {
		case "yes", "true", "1":
			c.CreationBased = true
		case "no", "false", "0", "":
		default:
			return nil, &LineError{Line: line, Field: "creation_based", Msg: "write yes or no"}
		}
		if f, msg := c.Check(); f != "" {
			return nil, &LineError{Line: line, Field: f, Msg: msg}
		}
		if first, dup := seen[c.Code]; dup {
			return nil, &LineError{Line: line, Field: "code", Msg: fmt.Sprintf("%s is on line %d already", c.Code, first)}
		}
		seen[c.Code] = line
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, &LineError{Line: 2, Msg: "the schedule has no rows"}
	}
	return out, nil
}

//go:embed schedule.csv
var shipped string

// Shipped is the schedule in the binary: the rows verified against NHS
// England's publications (and statutory periods from outside the Code),
// each with its source and the date it was checked.
func Shipped() []Class {
	cs, err := ParseCSV(strings.NewReader(shipped))
	if err != nil {
		panic("records: the shipped schedule.csv is broken: " + err.Error())
	}
	return cs
}

// WriteCSV writes a schedule in the form ParseCSV reads.
func WriteCSV(w io.Writer, cs []Class) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	for _, c := range cs {
		cb := "no"
		if c.CreationBased {
			cb = "yes"
		}
		cw.Write([]string{c.Code, c.RecordType, string(c.Trigger), string(c.Rule), itoa0(c.Years), itoa0(c.DeathYears),
			string(c.Action), cb, c.Source, c.Checked, c.Notes})
	}
	cw.Flush()
	return cw.Error()
}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
