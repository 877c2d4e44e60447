package access

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
)

// columns a practice-level file must have, found by name (their order has
// changed between publications; extra columns are harmless).
var required = []string{"appointment_month_start_date", "gp_code", "hcp_type", "appt_mode", "national_category",
	"time_between_book_and_appt", "count_of_appointments", "appt_status"}

// Summary counts what a parse read.
type Summary struct {
	Rows  int64 // data rows read
	Blank int64 // rows whose count was blank or suppressed: left out, not taken as zero
}

// columns holds where each column the parser reads is, -1 when absent.
type columns struct {
	month, code, name, pcn, pcnName, sub, subName, hcp, mode, category, band, count, status int
	width                                                                                   int // the header's
}

func readHeader(rec [][]byte, file string) (*columns, error) {
	col := map[string]int{}
	for i, h := range rec {
		col[strings.ReplaceAll(nhsfile.NormaliseHeader(string(h)), " ", "_")] = i
	}
	for _, need := range required {
		if _, ok := col[need]; !ok {
			return nil, &nhsfile.FileError{File: file, Line: 1, Err: fmt.Errorf("has no %s column", strings.ToUpper(need))}
		}
	}
	at := func(name string) int {
		if i, ok := col[name]; ok {
			return i
		}
		return -1
	}
	return &columns{
		month: at("appointment_month_start_date"), code: at("gp_code"), name: at("gp_name"), pcn: at("pcn_code"),
		pcnName: at("pcn_name"), sub: at("sub_icb_location_code"), subName: at("sub_icb_location_name"),
		hcp: at("hcp_type"), mode: at("appt_mode"), category: at("national_category"),
		band: at("time_between_book_and_appt"), count: at("count_of_appointments"), status: at("appt_status"),
		width: len(rec),
	}, nil
}

// key is a practice's month.
type key struct {
	code  string
	month time.Time
}

// chunkParser sums one chunk's rows; each goroutine has its own.
type chunkParser struct {
	cols      *columns
	file      string
	lastDate  []byte // files hold a month or two: parse each date once
	month     time.Time
	lastCode  []byte // rows come practice by practice: look each up once
	curKey    key
	cur       *Counts
	counts    map[key]*Counts
	practices map[string]Practice
	rows      int64
	blank     int64
	dims      []dimension
}

// dimension is a column read against a vocabulary.
type dimension struct {
	vocab *vocab
	col   int
	name  string
}

func (c *columns) dimensions() []dimension {
	return []dimension{{statusVocab, c.status, "appt_status"}, {hcpVocab, c.hcp, "hcp_type"}, {modeVocab, c.mode, "appt_mode"},
		{bandVocab, c.band, "time_between_book_and_appt"}, {categoryVocab, c.category, "national_category"}}
}

func (p *chunkParser) fail(line, col int, field string, err error) error {
	return &nhsfile.FileError{File: p.file, Line: line, Column: col + 1, Field: strings.ToUpper(field), Err: err}
}

// row adds one record. The checks and their order are the publication's
// rules: date, practice, the four dimensions, the category, then the count.
func (p *chunkParser) row(rec [][]byte, line int) error {
	c := p.cols
	if len(rec) == 1 && len(bytes.TrimSpace(rec[0])) == 0 {
		return nil
	}
	if len(rec) < len(required) {
		return &nhsfile.FileError{File: p.file, Line: line, Err: fmt.Errorf("has %d columns; the header has %d (is the file cut short?)", len(rec), c.width)}
	}
	p.rows++
	field := func(i int) []byte {
		if i < 0 || i >= len(rec) {
			return nil
		}
		return bytes.TrimSpace(rec[i])
	}
	if date := field(c.month); !bytes.Equal(date, p.lastDate) || p.lastDate == nil {
		m, err := nhsfile.ParseDate(string(date), nhsfile.DDMONYYYY, nhsfile.DDMonYY, nhsfile.ISO)
		if err != nil {
			return p.fail(line, c.month, "appointment_month_start_date", err)
		}
		if m.Day() != 1 {
			return p.fail(line, c.month, "appointment_month_start_date", fmt.Errorf("%s is not the first of a month", date))
		}
		p.lastDate, p.month, p.cur, p.lastCode = append(p.lastDate[:0:0], date...), m, nil, nil
	}
	if code := field(c.code); !bytes.Equal(code, p.lastCode) || p.lastCode == nil {
		upper := strings.ToUpper(string(code))
		if len(upper) == 0 || len(upper) > 8 {
			return p.fail(line, c.code, "gp_code", fmt.Errorf("%q is not a practice code", code))
		}
		p.curKey = key{upper, p.month}
		p.cur = p.counts[p.curKey]
		p.lastCode = append(p.lastCode[:0:0], code...)
	}
	// APPT_STATUS, HCP_TYPE, APPT_MODE, TIME_BETWEEN_BOOK_AND_APPT, then
	// NATIONAL_CATEGORY (checked, not kept).
	var dims [5]uint8
	for i, d := range p.dims {
		v, err := d.vocab.read(field(d.col))
		if err != nil {
			return p.fail(line, d.col, d.name, err)
		}
		dims[i] = v
	}
	n, known, ok := parseCount(field(c.count))
	if !ok {
		return p.fail(line, c.count, "count_of_appointments", fmt.Errorf("%q is not a count of appointments", field(c.count)))
	}
	if !known {
		p.blank++ // suppressed or blank: not known, so not counted
		return nil
	}
	if p.cur == nil {
		p.cur = new(Counts)
		p.counts[p.curKey] = p.cur
		if _, seen := p.practices[p.curKey.code]; !seen {
			p.practices[p.curKey.code] = Practice{Code: p.curKey.code, Name: string(field(c.name)),
				PCN: strings.ToUpper(string(field(c.pcn))), PCNName: string(field(c.pcnName)),
				SubICB: strings.ToUpper(string(field(c.sub))), SubICBName: string(field(c.subName))}
		}
	}
	p.cur[Cell(Status(dims[0]), HCP(dims[1]), Mode(dims[2]), Band(dims[3]))] += n
	return nil
}

// parseCount reads a count as published: digits, perhaps with thousands
// separators. Blank, "*" and "-" are suppressed (known is false).
func parseCount(b []byte) (n int64, known, ok bool) {
	if len(b) == 0 || (len(b) == 1 && (b[0] == '*' || b[0] == '-')) {
		return 0, false, true
	}
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
			digits++
		case c == ',' && digits > 0:
		default:
			return 0, false, false
		}
		if digits > 15 {
			return 0, false, false
		}
	}
	return n, true, digits > 0
}

// vocab finds a published string among a few without allocating; what it
// does not know goes to slow, the vocabulary's rules in full, which accepts
// other spellings or says what is wrong.
type vocab struct {
	byLen [80][]vocabEntry
	slow  func(string) (uint8, error)
}

type vocabEntry struct {
	s string
	v uint8
}

func newVocab[T ~uint8](list []string, aliases map[string]int, slow func(string) (T, error)) *vocab {
	v := vocab{slow: func(s string) (uint8, error) { x, err := slow(s); return uint8(x), err }}
	for i, s := range list {
		v.byLen[len(s)] = append(v.byLen[len(s)], vocabEntry{s, uint8(i)})
	}
	for s, i := range aliases {
		v.byLen[len(s)] = append(v.byLen[len(s)], vocabEntry{s, uint8(i)})
	}
	return &v
}

func (v *vocab) read(b []byte) (uint8, error) {
	if len(b) < len(v.byLen) {
		for _, e := range v.byLen[len(b)] {
			if string(b) == e.s {
				return e.v, nil
			}
		}
	}
	return v.slow(string(b))
}

var (
	statusVocab   = newVocab(Statuses, nil, ParseStatus)
	hcpVocab      = newVocab(HCPs, map[string]int{"Not Provided": 2}, ParseHCP)
	modeVocab     = newVocab(Modes, map[string]int{"Video/Online": 3}, ParseMode)
	bandVocab     = newVocab(Bands, nil, ParseBand) // other "Unknown…" spellings go through ParseBand
	categoryVocab = newVocab(Categories, nil, func(s string) (uint8, error) { return 0, checkCategory(s) })
)
