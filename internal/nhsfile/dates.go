package nhsfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateStyle names one of the date spellings NHS files use.
type DateStyle int

const (
	YYYYMMDD  DateStyle = iota // 20130401 (ODS)
	DDMONYYYY                  // 01DEC2025 (appointments, registered patients)
	MONYYYY                    // DEC2025
	DDMonYY                    // 01-Apr-17
	DDMMYYYY                   // 01/12/2025
	ISO                        // 2025-12-01
)

var layouts = map[DateStyle]string{
	YYYYMMDD:  "20060102",
	DDMONYYYY: "02Jan2006",
	MONYYYY:   "Jan2006",
	DDMonYY:   "02-Jan-06",
	DDMMYYYY:  "02/01/2006",
	ISO:       "2006-01-02",
}

// ParseDate reads s in the first of styles that fits and returns midnight UTC.
// Month names are matched in any case (DEC, Dec).
//
// A date is from MinYear to MaxYear: no record OnePC keeps is older, and
// PostgreSQL cannot store year 0 at all, which the layouts would accept.
func ParseDate(s string, styles ...DateStyle) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, st := range styles {
		v := s
		if st == DDMONYYYY || st == MONYYYY || st == DDMonYY {
			v = titleMonth(v)
		}
		if t, err := time.Parse(layouts[st], v); err == nil {
			if t.Year() < MinYear || t.Year() > MaxYear {
				return time.Time{}, fmt.Errorf("%q is not a date from %d to %d", s, MinYear, MaxYear)
			}
			return t, nil
		}
	}
	var want []string
	for _, st := range styles {
		want = append(want, example[st])
	}
	return time.Time{}, fmt.Errorf("%q is not a date (expected %s)", s, strings.Join(want, " or "))
}

// The years a date may fall in (see ParseDate).
const (
	MinYear = 1900
	MaxYear = 2999
)

var example = map[DateStyle]string{
	YYYYMMDD:  "YYYYMMDD such as 20130401",
	DDMONYYYY: "DDMONYYYY such as 01DEC2025",
	MONYYYY:   "MONYYYY such as DEC2025",
	DDMonYY:   "DD-Mon-YY such as 01-Apr-17",
	DDMMYYYY:  "DD/MM/YYYY such as 01/12/2025",
	ISO:       "YYYY-MM-DD such as 2025-12-01",
}

// titleMonth turns "01DEC2025" into "01Dec2025" so time.Parse accepts it.
func titleMonth(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if isLetter(b[i]) && isLetter(b[i+1]) && isLetter(b[i+2]) {
			b[i] = upper(b[i])
			b[i+1] = lower(b[i+1])
			b[i+2] = lower(b[i+2])
			break
		}
	}
	return string(b)
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func upper(c byte) byte    { return c &^ 0x20 }
func lower(c byte) byte    { return c | 0x20 }

// ExcelSerialDate converts a spreadsheet serial day number (1900 date system)
// such as "43647" to a date; ok is false when s is not such a number.
func ExcelSerialDate(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 1 || f > 2958465 {
		return time.Time{}, false
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return base.AddDate(0, 0, int(f)), true
}

// NormaliseHeader makes a header cell comparable: BOM, line breaks and runs of
// spaces become single spaces, ends trimmed, case folded. Only for header
// names: values keep their inner spaces.
func NormaliseHeader(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	return strings.ToLower(strings.Join(strings.Fields(h), " "))
}
