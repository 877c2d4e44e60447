// Package capability holds capability reviews: frameworks as versioned data
// files (competencies, development domains, improvement surveys), reviews of
// an organisation against one for a year, alone or in a facilitated session
// where each team member scores before the team agrees, evidence, the
// change since the last review, and what is shared with whom.
package capability

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/orgs"
)

// Level is one step of a scale.
type Level struct {
	Value      int    `json:"value"`
	Label      string `json:"label"`
	Descriptor string `json:"descriptor,omitempty"`
}

// Scale is the levels an item is scored on, lowest first.
type Scale struct {
	Levels []Level `json:"levels"`
}

// Min and Max are the scale's ends.
func (s Scale) Min() int { return s.Levels[0].Value }
func (s Scale) Max() int { return s.Levels[len(s.Levels)-1].Value }

// Has reports whether v is one of the scale's levels.
func (s Scale) Has(v int) bool {
	return slices.ContainsFunc(s.Levels, func(l Level) bool { return l.Value == v })
}

// Label is a level's label.
func (s Scale) Label(v int) string {
	for _, l := range s.Levels {
		if l.Value == v {
			return l.Label
		}
	}
	return ""
}

// Item is one question of a framework.
type Item struct {
	Code     string   `json:"code"`
	Question string   `json:"question"`
	Guidance string   `json:"guidance,omitempty"`
	Evidence []string `json:"evidence_hints,omitempty"`
	Measures []string `json:"measures,omitempty"` // OnePC access measures that bear on it
	Scale    *Scale   `json:"scale,omitempty"`    // its own scale, where it differs from the framework's
	Own      bool     `json:"onepc_wording,omitempty"`
}

// Domain groups items.
type Domain struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Items []Item `json:"items"`
}

// Framework is one versioned framework file.
type Framework struct {
	ID        string      `json:"id"`
	Version   int         `json:"version"`
	Title     string      `json:"title"`
	Source    string      `json:"source"`
	Licence   string      `json:"licence"`
	Wording   string      `json:"wording"` // whose words: the source's, or which parts are OnePC's own
	AppliesTo []orgs.Kind `json:"applies_to"`
	Scale     Scale       `json:"scale"`
	LowAt     int         `json:"low_at"` // a level at or below which an item is low: an improvement action is suggested
	Domains   []Domain    `json:"domains"`
}

// ScaleOf is the scale an item is scored on.
func (f Framework) ScaleOf(it Item) Scale {
	if it.Scale != nil {
		return *it.Scale
	}
	return f.Scale
}

// Items lists every item in order, with its domain's code.
func (f Framework) Items() []Item {
	var out []Item
	for _, d := range f.Domains {
		out = append(out, d.Items...)
	}
	return out
}

// Item finds an item by code.
func (f Framework) Item(code string) (Item, bool) {
	for _, it := range f.Items() {
		if it.Code == code {
			return it, true
		}
	}
	return Item{}, false
}

// DomainOf is the code of the domain an item is in.
func (f Framework) DomainOf(code string) string {
	for _, d := range f.Domains {
		for _, it := range d.Items {
			if it.Code == code {
				return d.Code
			}
		}
	}
	return ""
}

// Applies reports whether an organisation of kind k may be reviewed against f.
func (f Framework) Applies(k orgs.Kind) bool { return slices.Contains(f.AppliesTo, k) }

// LineError is a problem in a framework file, with the line it is on.
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

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,39}$`)

// controlEscape is a JSON escape for a control character other than tab,
// line feed and carriage return.
var controlEscape = regexp.MustCompile(`\\u00(?:[01][0-8bcefBCEF]|1[0-9a-fA-F]|7[fF])`)

// unstorable is the offset of the first text in b that OnePC will not
// store (see problem.BadRune), written raw or as a JSON escape, or -1.
func unstorable(b []byte) int {
	if !utf8.Valid(b) {
		for i := 0; i < len(b); {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i
			}
			i += size
		}
	}
	if i := bytes.IndexByte(b, 0x7f); i >= 0 {
		return i
	}
	if loc := controlEscape.FindIndex(b); loc != nil {
		return loc[0]
	}
	return -1
}

// MaxFrameworkBytes and MaxItems bound an uploaded framework: the shipped
// ones have up to fourteen items; a review page shows every item at once.
const (
	MaxFrameworkBytes = 1 << 20
	MaxItems          = 300
)

// Parse reads and checks a framework file (JSON). measureKnown says whether
// a measure ID exists. Errors name the line and the field.
func Parse(b []byte, measureKnown func(string) bool) (Framework, error) {
	var f Framework
	if len(b) > MaxFrameworkBytes {
		return f, &LineError{Line: 1, Msg: "a framework file is at most 1 MB"}
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff")) // a byte-order mark, as Windows editors write
	if off := unstorable(b); off >= 0 {
		return f, &LineError{Line: lineAt(b, int64(off)), Msg: "the file holds a character that cannot be saved (bytes that are not UTF-8 text, or a control character): save it as UTF-8 text"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return f, &LineError{Line: lineAt(b, se.Offset), Msg: "not valid JSON: " + se.Error()}
		case errors.As(err, &te):
			return f, &LineError{Line: lineAt(b, te.Offset), Field: te.Field, Msg: "expected " + te.Type.String()}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return f, &LineError{Line: lineOf(b, name), Msg: "OnePC does not know the field " + name}
		}
		return f, &LineError{Line: 1, Msg: err.Error()}
	}
	at := func(needle string) int { return lineOf(b, needle) }
	switch {
	case !codePattern.MatchString(f.ID):
		return f, &LineError{Line: at(`"id"`), Field: "id", Msg: "an id is lower-case letters, digits, dots and dashes"}
	case dec.More():
		return f, &LineError{Line: lineAt(b, dec.InputOffset()), Msg: "there is more after the framework's closing brace"}
	case f.Version < 1 || f.Version > 1000:
		return f, &LineError{Line: at(`"version"`), Field: "version", Msg: "give the version, a whole number from 1 to 1000"}
	case strings.TrimSpace(f.Title) == "":
		return f, &LineError{Line: at(`"title"`), Field: "title", Msg: "give the framework's title"}
	case strings.TrimSpace(f.Source) == "":
		return f, &LineError{Line: at(`"source"`), Field: "source", Msg: "say where the framework comes from"}
	case strings.TrimSpace(f.Wording) == "":
		return f, &LineError{Line: at(`"title"`), Field: "wording", Msg: "say whose wording it is (the source's, or which parts are OnePC's own)"}
	case len(f.AppliesTo) == 0:
		return f, &LineError{Line: at(`"applies_to"`), Field: "applies_to", Msg: "say which kinds of organisation it applies to"}
	}
	for _, k := range f.AppliesTo {
		if !slices.Contains(orgs.Kinds, k) {
			return f, &LineError{Line: at(`"applies_to"`), Field: "applies_to", Msg: fmt.Sprintf("%q is not a kind of organisation", k)}
		}
	}
	if err := checkScale(f.Scale, "scale", func() int { return at(`"scale"`) }); err != nil {
		return f, err
	}
	if f.LowAt < f.Scale.Min() || f.LowAt >= f.Scale.Max() {
		return f, &LineError{Line: at(`"low_at"`), Field: "low_at", Msg: fmt.Sprintf("give the level at or below which an item is low, from %d to %d", f.Scale.Min(), f.Scale.Max()-1)}
	}
	if len(f.Domains) == 0 {
		return f, &LineError{Line: at(`"domains"`), Field: "domains", Msg: "a framework has at least one domain"}
	}
	if n := len(f.Items()); n > MaxItems {
		return f, &LineError{Line: at(`"domains"`), Field: "domains", Msg: fmt.Sprintf("a framework has at most %d items; this one has %d", MaxItems, n)}
	}
	// Line numbers are looked up only for an error: finding them for every
	// item would cost a scan of the file each.
	seen := map[string]bool{}
	for _, d := range f.Domains {
		if !codePattern.MatchString(d.Code) || seen[d.Code] {
			return f, &LineError{Line: at(`"` + d.Code + `"`), Field: "domains.code", Msg: fmt.Sprintf("domain code %q is missing, malformed or used twice", d.Code)}
		}
		seen[d.Code] = true
		if strings.TrimSpace(d.Title) == "" || len(d.Items) == 0 {
			return f, &LineError{Line: at(`"` + d.Code + `"`), Field: "domains", Msg: "domain " + d.Code + " needs a title and at least one item"}
		}
		for _, it := range d.Items {
			line := func() int { return at(`"` + it.Code + `"`) }
			switch {
			case !codePattern.MatchString(it.Code):
				return f, &LineError{Line: line(), Field: "items.code", Msg: fmt.Sprintf("item code %q is missing or malformed", it.Code)}
			case seen[it.Code]:
				return f, &LineError{Line: lastLineOf(b, `"`+it.Code+`"`), Field: "items.code", Msg: "the code " + it.Code + " is used twice"}
			case strings.TrimSpace(it.Question) == "":
				return f, &LineError{Line: line(), Field: "items.question", Msg: "item " + it.Code + " has no question"}
			}
			seen[it.Code] = true
			if it.Scale != nil {
				if err := checkScale(*it.Scale, "items.scale", line); err != nil {
					return f, err
				}
			}
			for _, m := range it.Measures {
				if measureKnown != nil && !measureKnown(m) {
					return f, &LineError{Line: lineOf(b, `"`+m+`"`), Field: "items.measures", Msg: "there is no OnePC measure " + m}
				}
			}
		}
	}
	return f, nil
}

// checkScale checks a scale's levels: at least two, labelled, from 1 up,
// each value once (0 means "not scored" throughout).
func checkScale(s Scale, field string, line func() int) error {
	if len(s.Levels) < 2 {
		return &LineError{Line: line(), Field: field, Msg: "a scale has at least two levels"}
	}
	for i, l := range s.Levels {
		switch {
		case strings.TrimSpace(l.Label) == "":
			return &LineError{Line: line(), Field: field, Msg: fmt.Sprintf("level %d has no label", l.Value)}
		case l.Value < 1 || l.Value > 100:
			return &LineError{Line: line(), Field: field, Msg: "level values run from 1 to 100"}
		case i > 0 && l.Value <= s.Levels[i-1].Value:
			return &LineError{Line: line(), Field: field, Msg: "levels go from lowest to highest, each value once"}
		}
	}
	return nil
}

func lineAt(b []byte, offset int64) int {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	return bytes.Count(b[:offset], []byte("\n")) + 1
}

func lineOf(b []byte, needle string) int {
	if i := bytes.Index(b, []byte(needle)); i >= 0 {
		return lineAt(b, int64(i))
	}
	return 1
}

func lastLineOf(b []byte, needle string) int {
	if i := bytes.LastIndex(b, []byte(needle)); i >= 0 {
		return lineAt(b, int64(i))
	}
	return 1
}

//go:embed frameworks/*.json
var shipped embed.FS

// Shipped returns the frameworks in the binary, by ID. measureKnown checks
// the measures they name.
func Shipped(measureKnown func(string) bool) ([]Framework, error) {
	names, err := fs.Glob(shipped, "frameworks/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Framework
	for _, n := range names {
		b, _ := shipped.ReadFile(n)
		f, err := Parse(b, measureKnown)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, f)
	}
	return out, nil
}
