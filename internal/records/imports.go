package records

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// ParseSchedule reads a schedule file: OnePC's CSV form, or the Code's
// retention schedule table saved from its web page as HTML. source and
// checked fill rows that do not carry their own (the Code's table).
func ParseSchedule(r io.Reader, source, checked string) ([]Class, error) {
	b, err := io.ReadAll(io.LimitReader(r, 20<<20))
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\ufeff")))
	if bytes.HasPrefix(trimmed, []byte("<")) {
		return ParseHTML(bytes.NewReader(b), source, checked)
	}
	return ParseCSV(bytes.NewReader(b))
}

// ParseHTML reads the first table in an HTML page whose header names a
// record type and a retention period: the Code's schedule ("Record type",
// "Retention start", "Retention period", "Action following retention",
// "Notes") or a table with OnePC's CSV columns. A row OnePC cannot read is
// refused with its row number and the column at fault, and so is the file.
func ParseHTML(r io.Reader, source, checked string) ([]Class, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return nil, &LineError{Line: 1, Msg: "the file is not HTML: " + err.Error()}
	}
	var out []Class
	seen := map[string]int{}
	found, row := false, 0
	for _, table := range findAll(doc, "table") {
		rows := findAll(table, "tr")
		if len(rows) < 2 {
			continue
		}
		head := cells(rows[0])
		col := map[string]int{}
		for i, h := range head {
			col[strings.ToLower(strings.Join(strings.Fields(h), " "))] = i
		}
		_, codeType := col["record type"]
		_, codePeriod := col["retention period"]
		_, ours := col["record_type"]
		if !(codeType && codePeriod) && !ours {
			continue
		}
		// The Code splits its schedule into a table a section: rows are
		// numbered through all of them, header rows included.
		found = true
		row++
		for _, tr := range rows[1:] {
			row++
			if len(out) >= MaxRows {
				return nil, &LineError{Unit: "row", Line: row, Msg: fmt.Sprintf("a schedule has at most %d rows", MaxRows)}
			}
			cs := cells(tr)
			get := func(name string) string {
				if i, ok := col[name]; ok && i < len(cs) {
					return strings.Join(strings.Fields(cs[i]), " ")
				}
				return ""
			}
			if strings.Join(cs, "") == "" {
				continue
			}
			var c Class
			var err error
			if ours {
				line := make([]string, len(Header))
				for i, h := range Header {
					line[i] = csvQuote(get(h))
				}
				parsed, perr := ParseCSV(strings.NewReader(strings.Join(Header, ",") + "\n" + strings.Join(line, ",") + "\n"))
				if perr != nil {
					le := perr.(*LineError)
					return nil, &LineError{Unit: "row", Line: row, Field: le.Field, Msg: le.Msg}
				}
				c = parsed[0]
			} else if c, err = fromCode(get("record type"), get("retention start"), get("retention period"), get("action following retention"), get("notes"), source, checked); err != nil {
				le := err.(*LineError)
				le.Unit, le.Line = "row", row
				return nil, le
			}
			if first, dup := seen[c.Code]; dup {
				return nil, &LineError{Unit: "row", Line: row, Field: "record type", Msg: fmt.Sprintf("row %d has the same record type", first)}
			}
			seen[c.Code] = row
			out = append(out, c)
		}
	}
	if found && len(out) == 0 {
		return nil, &LineError{Unit: "row", Line: 2, Msg: "the schedule table has no rows"}
	}
	if found {
		return out, nil
	}
	return nil, &LineError{Line: 1, Msg: `no table in the page has the columns "Record type" and "Retention period"`}
}

func csvQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

var (
	yearsPattern = regexp.MustCompile(`(?i)^(\d{1,3})\s+years?\b`)
	deathPattern = regexp.MustCompile(`(?i)(\d{1,3})\s+years?\s+after\s+(the\s+)?(patient'?s?\s+)?death`)
	nonCodeRunes = regexp.MustCompile(`[^A-Z0-9]+`)
)

// fromCode reads one row of the Code's table into a class.
func fromCode(recordType, start, period, action, notes, source, checked string) (Class, error) {
	// Saved pages use typographic apostrophes: read them as plain ones.
	start, period = strings.ReplaceAll(start, "\u2019", "'"), strings.ReplaceAll(period, "\u2019", "'")
	c := Class{RecordType: recordType, Notes: notes, Source: source, Checked: checked}
	if recordType == "" {
		return c, &LineError{Field: "record type", Msg: "the row has no record type"}
	}
	c.Code = strings.Trim(nonCodeRunes.ReplaceAllString(strings.ToUpper(recordType), "-"), "-")
	if len(c.Code) > 40 {
		c.Code = strings.TrimRight(c.Code[:40], "-")
	}
	s := strings.ToLower(start)
	switch {
	case strings.Contains(s, "creation") || strings.Contains(s, "created"):
		c.Trigger, c.CreationBased = Creation, true
	case strings.Contains(s, "discharge") || strings.Contains(s, "treatment") || strings.Contains(s, "care"):
		c.Trigger = Discharge // before death: "discharge or death" counts from discharge, and its period says what death adds
	case strings.Contains(s, "death") || strings.Contains(s, "died"):
		c.Trigger = Death
	case strings.Contains(s, "deregist"):
		c.Trigger = Deregistration
	case strings.Contains(s, "last") || strings.Contains(s, "contact") || strings.Contains(s, "entry"):
		c.Trigger = LastContact
	case strings.Contains(s, "closure") || strings.Contains(s, "closed") || strings.Contains(s, "end of"):
		c.Trigger = Closure
	case strings.Contains(s, "publication") || strings.Contains(s, "published"):
		c.Trigger = Publication
	case strings.Contains(s, "birth"):
		c.Trigger = Birth
	default:
		c.Trigger = None
	}
	p := strings.ToLower(period)
	switch {
	case strings.Contains(p, "25th birthday"):
		c.Rule, c.Trigger = Child, Discharge
	case strings.Contains(p, "building"):
		c.Rule, c.Trigger = LifeOfBuilding, None
	case strings.Contains(p, "permanent"):
		c.Rule, c.Trigger = Permanent, None
	case strings.Contains(p, "alive") || strings.Contains(p, "life of the patient"):
		c.Rule, c.Trigger = WhileAlive, None
	case yearsPattern.MatchString(p):
		c.Years, _ = strconv.Atoi(yearsPattern.FindStringSubmatch(p)[1])
		c.Rule = Years
		if m := deathPattern.FindStringSubmatch(p); m != nil && c.Trigger != Death {
			c.Rule = YearsOrAfterDeath
			c.DeathYears, _ = strconv.Atoi(m[1])
		} else if c.Trigger != Death && (strings.Contains(p, "death") || strings.Contains(p, "died")) {
			// A period that says something about death OnePC cannot read must
			// not be shortened to its first number.
			return c, &LineError{Field: "retention period", Msg: fmt.Sprintf("OnePC cannot read what %q says about death; give this row in the CSV form", period)}
		}
		if c.Trigger == None {
			return c, &LineError{Field: "retention start", Msg: fmt.Sprintf("%q does not say when the %d years start", start, c.Years)}
		}
	default:
		return c, &LineError{Field: "retention period", Msg: fmt.Sprintf("OnePC cannot read %q as a period; give this row in the CSV form", period)}
	}
	a := strings.ToLower(action)
	switch {
	case strings.Contains(a, "place of deposit") || strings.Contains(a, "transfer"):
		c.Action = Transfer
	case c.Rule == Permanent || strings.Contains(a, "permanent"):
		c.Action = KeepForever
	case strings.Contains(a, "destroy"):
		c.Action = ReviewDestroy
	case strings.Contains(a, "review"):
		c.Action = Review
	default:
		return c, &LineError{Field: "action following retention", Msg: fmt.Sprintf("OnePC cannot read %q as an action", action)}
	}
	if f, msg := c.Check(); f != "" {
		return c, &LineError{Field: f, Msg: msg}
	}
	return c, nil
}

func findAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
			if tag == "table" {
				return // nested tables are not the schedule's rows
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func cells(tr *html.Node) []string {
	var out []string
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			out = append(out, textOf(c))
		}
	}
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && (n.Data == "br" || n.Data == "p") {
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// Change is one difference between two schedules.
type Change struct {
	Code   string   `json:"code"`
	Kind   string   `json:"kind"` // added, removed, changed
	Fields []string `json:"fields,omitempty"`
	Old    *Class   `json:"old,omitempty"`
	New    *Class   `json:"new,omitempty"`
}

// Diff lists what moving from old to new would change, by code.
func Diff(old, new []Class) []Change {
	was := map[string]Class{}
	for _, c := range old {
		was[c.Code] = c
	}
	var out []Change
	is := map[string]bool{}
	for _, n := range new {
		is[n.Code] = true
		o, ok := was[n.Code]
		if !ok {
			out = append(out, Change{Code: n.Code, Kind: "added", New: &n})
			continue
		}
		var fields []string
		for _, f := range []struct {
			name string
			a, b any
		}{{"record_type", o.RecordType, n.RecordType}, {"trigger", o.Trigger, n.Trigger}, {"rule", o.Rule, n.Rule},
			{"years", o.Years, n.Years}, {"death_years", o.DeathYears, n.DeathYears}, {"action", o.Action, n.Action},
			{"creation_based", o.CreationBased, n.CreationBased}, {"source", o.Source, n.Source}, {"checked", o.Checked, n.Checked}, {"notes", o.Notes, n.Notes}} {
			if f.a != f.b {
				fields = append(fields, f.name)
			}
		}
		if len(fields) > 0 {
			out = append(out, Change{Code: n.Code, Kind: "changed", Fields: fields, Old: &o, New: &n})
		}
	}
	for _, o := range old {
		if !is[o.Code] {
			out = append(out, Change{Code: o.Code, Kind: "removed", Old: &o})
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// AdoptCodes gives imported rows the codes of the classes in force that have
// the same record type: the Code's table names no codes, so rows read from
// it get codes made from their record types, and a register's collections
// keep their class when the schedule is updated.
func AdoptCodes(imported, current []Class) ([]Class, error) {
	byType := map[string]string{}
	for _, c := range current {
		byType[strings.ToLower(strings.Join(strings.Fields(c.RecordType), " "))] = c.Code
	}
	out := slices.Clone(imported)
	for i := range out {
		if code, ok := byType[strings.ToLower(strings.Join(strings.Fields(out[i].RecordType), " "))]; ok {
			out[i].Code = code
		}
	}
	seen := map[string]string{}
	for _, c := range out {
		if other, dup := seen[c.Code]; dup {
			return nil, fmt.Errorf("two rows would have the code %s (%q and %q): rename one in the file, or give the schedule in the CSV form with its codes", c.Code, other, c.RecordType)
		}
		seen[c.Code] = c.RecordType
	}
	return out, nil
}
