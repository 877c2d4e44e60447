package access

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

var measureID = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Validate checks a measure before it is saved; problems name the field
// (id, title, unit, direction, numerator).
func (m Measure) Validate() error {
	var errs problem.Fields
	if !measureID.MatchString(m.ID) {
		errs.Add("id", "Enter a short name of lower-case letters, numbers and hyphens, like video-share")
	}
	if m.Title == "" {
		errs.Add("title", "Enter the measure's title")
	}
	// Titles head tables and charts; the words explain it on its page.
	for _, f := range []struct {
		field, text, label string
		most               int
	}{{"title", m.Title, "title", 200}, {"description", m.Description, "description", 2000}, {"why", m.Why, "reason it matters", 2000}} {
		if n := utf8.RuneCountInString(f.text); n > f.most {
			errs.Add(f.field, fmt.Sprintf("The %s is at most %d characters (this has %d)", f.label, f.most, n))
		}
	}
	if m.Unit != Percent && m.Unit != Per1000 {
		errs.Add("unit", "Choose what the measure counts")
	}
	if m.Direction != HigherBetter && m.Direction != LowerBetter && m.Direction != Neutral {
		errs.Add("direction", "Choose which way is better")
	}
	if m.Unit == Percent && m.Numerator.Empty() && m.Denominator.Empty() {
		errs.Add("numerator", "Tick what the numerator counts: a share of everything needs a part of it")
	}
	return errs.Err()
}

// CheckTarget checks a target in the measure's unit: a percentage from 0 to
// 100, a rate per 1,000 from 0 to 100,000. It names the field "target".
func CheckTarget(m Measure, v float64) error {
	most, words := 100000.0, "100,000"
	if m.Unit == Percent {
		most, words = 100, "100"
	}
	if math.IsNaN(v) || v < 0 || v > most {
		return problem.BadField("target", "Enter the target as a number from 0 to %s, like 62.5, not %s", words, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return nil
}
