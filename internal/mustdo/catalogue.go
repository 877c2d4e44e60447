package mustdo

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

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/problem"
)

// Owner is who owes an obligation.
type Owner string

const (
	Practice Owner = "practice"
	PCN      Owner = "pcn"
	Place    Owner = "place"
	ICB      Owner = "icb"
	GP       Owner = "gp" // each GP personally: private to them
)

// Owners lists the vocabulary.
var Owners = []Owner{Practice, PCN, Place, ICB, GP}

// Recurrence is how an obligation comes round.
type Recurrence string

const (
	Yearly  Recurrence = "yearly"  // on a month and day each year
	Monthly Recurrence = "monthly" // on the nth working day of each month
	Window  Recurrence = "window"  // open from one month and day to another each year; the dates may be set yearly
	OneOff  Recurrence = "one_off" // once, on a date
)

// Recurrences lists the vocabulary.
var Recurrences = []Recurrence{Yearly, Monthly, Window, OneOff}

// Obligation is one row of the catalogue.
type Obligation struct {
	Code       string     `json:"code"`
	Title      string     `json:"title"`
	Guidance   string     `json:"guidance"` // Markdown
	Owner      Owner      `json:"owner"`
	Recurrence Recurrence `json:"recurrence"`
	Month      int        `json:"month,omitempty"` // yearly: the due month; window: the closing month
	Day        int        `json:"day,omitempty"`   // yearly: the due day; window: the closing day
	OpenMonth  int        `json:"open_month,omitempty"`
	OpenDay    int        `json:"open_day,omitempty"`
	Nth        int        `json:"nth_working_day,omitempty"` // monthly
	Date       string     `json:"date,omitempty"`            // one-off, YYYY-MM-DD
	Evidence   bool       `json:"evidence"`                  // completing it needs evidence
	Source     string     `json:"source"`
	Checked    string     `json:"checked"`
	Withdrawn  bool       `json:"withdrawn,omitempty"` // no longer owed: calendars are told it is cancelled
}

// Header is the catalogue CSV's header.
var Header = []string{"code", "title", "guidance", "owner", "recurrence", "month", "day", "open_month", "open_day", "nth_working_day", "date", "evidence", "source", "checked"}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)

// Check returns the field at fault and why, or "".
func (o Obligation) Check() (field, msg string) {
	validDay := func(m, d int) bool {
		return m >= 1 && m <= 12 && d >= 1 && d <= time.Date(2024, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() // 2024: 29 February exists
	}
	switch {
	case !codePattern.MatchString(o.Code):
		return "code", "a code is 2 to 40 capital letters, digits and dashes"
	case strings.TrimSpace(o.Title) == "":
		return "title", "give the obligation's title"
	case !slices.Contains(Owners, o.Owner):
		return "owner", fmt.Sprintf("%q is not who can owe an obligation; use practice, pcn, place, icb or gp", o.Owner)
	case !slices.Contains(Recurrences, o.Recurrence):
		return "recurrence", fmt.Sprintf("%q is not a recurrence; use yearly, monthly, window or one_off", o.Recurrence)
	case strings.TrimSpace(o.Source) == "":
		return "source", "say where the obligation comes from"
	}
	if _, err := time.Parse(time.DateOnly, o.Checked); err != nil {
		return "checked", "give the date the source was checked as YYYY-MM-DD"
	}
	switch o.Recurrence {
	case Yearly:
		if !validDay(o.Month, o.Day) || o.Month == 2 && o.Day == 29 {
			return "day", fmt.Sprintf("month %d day %d is not a day that comes every year", o.Month, o.Day)
		}
	case Window:
		if !validDay(o.OpenMonth, o.OpenDay) || o.OpenMonth == 2 && o.OpenDay == 29 {
			return "open_day", fmt.Sprintf("month %d day %d is not a day that comes every year", o.OpenMonth, o.OpenDay)
		}
		if !validDay(o.Month, o.Day) || o.Month == 2 && o.Day == 29 {
			return "day", fmt.Sprintf("month %d day %d is not a day that comes every year", o.Month, o.Day)
		}
	case Monthly:
		if o.Nth < 1 || o.Nth > 20 {
			return "nth_working_day", "give which working day of the month, from 1 to 20"
		}
	case OneOff:
		if _, err := time.Parse(time.DateOnly, o.Date); err != nil {
			return "date", fmt.Sprintf("%q is not a date as YYYY-MM-DD", o.Date)
		}
	}
	return "", ""
}

// LineError is a problem in a catalogue file, by line and field.
type LineError struct {
	Line  int
	Field string
	Msg   string
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg)
}

// MaxObligations bounds a catalogue file.
const MaxObligations = 2000

// ParseCatalogue reads a catalogue CSV (Header); any bad line refuses the
// whole file, naming the line and the field.
func ParseCatalogue(r io.Reader) ([]Obligation, error) {
	text, err := nhsfile.NewReader(r) // a BOM, Windows-1252, lines ended by CR alone
	if err != nil {
		le := &LineError{Line: 1, Msg: err.Error()}
		var ee *nhsfile.EncodingError
		if errors.As(err, &ee) {
			le.Line = ee.Line
		}
		return nil, le
	}
	cr := csv.NewReader(text)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, &LineError{Line: 1, Msg: "the file is empty or not CSV"}
	}
	// Every column, and no other: the file replaces the whole catalogue, so
	// a column misspelt or left out would empty that field of every
	// obligation without a word.
	col := map[string]int{}
	names := make([]string, len(head))
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h)) // NewReader dropped any byte-order mark
		names[i] = h
		if !slices.Contains(Header, h) {
			return nil, &LineError{Line: 1, Field: h, Msg: fmt.Sprintf("the header has a column %q, which a catalogue does not have (its columns are %s)", h, strings.Join(Header, ", "))}
		}
		if _, dup := col[h]; dup {
			return nil, &LineError{Line: 1, Field: h, Msg: "the header has the column " + h + " twice"}
		}
		col[h] = i
	}
	for _, h := range Header {
		if _, ok := col[h]; !ok {
			return nil, &LineError{Line: 1, Field: h, Msg: "the header has no column " + h + " (download the catalogue for a file with every column)"}
		}
	}
	var out []Obligation
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
		for i, v := range rec {
			if pos, what := problem.BadRune(v); pos > 0 {
				field := ""
				if i < len(names) {
					field = names[i]
				}
				return nil, &LineError{Line: line, Field: field, Msg: fmt.Sprintf("holds %s at character %d, which cannot be saved", what, pos)}
			}
		}
		if len(out) >= MaxObligations {
			return nil, &LineError{Line: line, Msg: fmt.Sprintf("a catalogue has at most %d obligations", MaxObligations)}
		}
		get := func(h string) string {
			if i, ok := col[h]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		o := Obligation{Code: strings.ToUpper(get("code")), Title: get("title"), Guidance: get("guidance"), Owner: Owner(get("owner")),
			Recurrence: Recurrence(get("recurrence")), Date: get("date"), Source: get("source"), Checked: get("checked")}
		for _, n := range []struct {
			field string
			into  *int
		}{{"month", &o.Month}, {"day", &o.Day}, {"open_month", &o.OpenMonth}, {"open_day", &o.OpenDay}, {"nth_working_day", &o.Nth}} {
			if v := get(n.field); v != "" {
				if *n.into, err = strconv.Atoi(v); err != nil {
					return nil, &LineError{Line: line, Field: n.field, Msg: fmt.Sprintf("%q is not a whole number", v)}
				}
			}
		}
		switch strings.ToLower(get("evidence")) {
		case "yes", "true", "1":
			o.Evidence = true
		case "no", "false", "0", "":
		default:
			return nil, &LineError{Line: line, Field: "evidence", Msg: "write yes or no"}
		}
		if f, msg := o.Check(); f != "" {
			return nil, &LineError{Line: line, Field: f, Msg: msg}
		}
		if first, dup := seen[o.Code]; dup {
			return nil, &LineError{Line: line, Field: "code", Msg: fmt.Sprintf("%s is on line %d already", o.Code, first)}
		}
		seen[o.Code] = line
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, &LineError{Line: 2, Msg: "the catalogue has no obligations"}
	}
	return out, nil
}

// WriteCatalogue writes a catalogue in the form ParseCatalogue reads.
func WriteCatalogue(w io.Writer, os []Obligation) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	n := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	for _, o := range os {
		ev := "no"
		if o.Evidence {
			ev = "yes"
		}
		cw.Write([]string{o.Code, o.Title, o.Guidance, string(o.Owner), string(o.Recurrence), n(o.Month), n(o.Day), n(o.OpenMonth), n(o.OpenDay),
			n(o.Nth), o.Date, ev, o.Source, o.Checked})
	}
	cw.Flush()
	return cw.Error()
}

//go:embed catalogue.csv
var shippedCatalogue string

// Shipped is the catalogue in the binary.
func Shipped() []Obligation {
	os, err := ParseCatalogue(strings.NewReader(shippedCatalogue))
	if err != nil {
		panic("mustdo: the shipped catalogue.csv is broken: " + err.Error())
	}
	return os
}
