package orgs

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
)

// SettingGPPractice is the ODS prescribing setting of a GP practice.
const SettingGPPractice = 4

// PracticeFile is what an epraccur.csv holds: the GP practices (setting 4)
// and how many rows of other settings were left out.
type PracticeFile struct {
	Practices []PracticeRecord
	Skipped   int         // rows whose prescribing setting is not 4
	BySetting map[int]int // skipped rows per setting
}

// PracticeRecord is one epraccur row: the practice, and the codes of the
// region, ICB and sub-ICB above it.
type PracticeRecord struct {
	Org
	RegionCode string // column 3, national grouping
	ICBCode    string // column 4, high-level health geography
	SubICBCode string // column 15, commissioner
}

const epraccurColumns = 27

var (
	odsCode     = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)
	subTypeCode = regexp.MustCompile(`^([A-Z]|RO[0-9]{1,4})$`)
)

// ParseEpraccur reads the ODS epraccur.csv file (no header, 27 quoted columns)
// named file. It fails on the first bad row with the line and column at fault.
func ParseEpraccur(r io.Reader, file string) (*PracticeFile, error) {
	out := &PracticeFile{BySetting: map[int]int{}}
	seen := map[string]int{}
	err := nhsfile.EachRecord(r, file, func(line int, rec []string) error {
		if len(rec) != epraccurColumns {
			return &nhsfile.FileError{File: file, Line: line,
				Err: fmt.Errorf("has %d columns; an epraccur file has exactly %d", len(rec), epraccurColumns)}
		}
		fail := func(col int, field string, err error) error {
			return &nhsfile.FileError{File: file, Line: line, Column: col, Field: field, Err: err}
		}
		v := func(col int) string { return strings.TrimSpace(rec[col-1]) }

		settingText := v(26)
		setting, err := strconv.Atoi(settingText)
		if err != nil {
			return fail(26, "prescribing setting", fmt.Errorf("%q is not a number", settingText))
		}
		code := strings.ToUpper(v(1))
		if !odsCode.MatchString(code) {
			return fail(1, "organisation code", fmt.Errorf("%q is not an ODS code", v(1)))
		}
		if setting != SettingGPPractice {
			out.Skipped++
			out.BySetting[setting]++
			return nil
		}
		if prev, ok := seen[code]; ok {
			return fail(1, "organisation code", fmt.Errorf("%s appears twice (first on line %d)", code, prev))
		}
		seen[code] = line
		p := PracticeRecord{Org: Org{
			Code: code, Kind: Practice, Name: v(2), Postcode: v(10),
			Status: v(13), Phone: v(18), Setting: setting,
		}}
		if p.Name == "" {
			return fail(2, "name", errors.New("is empty"))
		}
		for col := 5; col <= 9; col++ {
			if a := v(col); a != "" {
				p.Address = append(p.Address, a)
			}
		}
		if p.OpenDate, err = optionalDate(v(11)); err != nil || p.OpenDate.IsZero() {
			if err == nil {
				err = errors.New("is empty")
			}
			return fail(11, "open date", err)
		}
		if p.CloseDate, err = optionalDate(v(12)); err != nil {
			return fail(12, "close date", err)
		}
		switch p.Status {
		case StatusActive, StatusClosed, StatusDormant, StatusProposed:
		default:
			return fail(13, "status", fmt.Errorf("%q is not A, C, D or P", p.Status))
		}
		if st := v(14); st != "" && !subTypeCode.MatchString(st) {
			return fail(14, "organisation sub-type", fmt.Errorf("%q is neither a sub-type letter nor an RO role code", st))
		}
		p.RegionCode, p.ICBCode, p.SubICBCode = v(3), v(4), v(15)
		for _, c := range []struct {
			col   int
			field string
			val   string
		}{{3, "national grouping", p.RegionCode}, {4, "high level health geography", p.ICBCode}, {15, "commissioner", p.SubICBCode}} {
			if c.val != "" && !odsCode.MatchString(c.val) {
				return fail(c.col, c.field, fmt.Errorf("%q is not an ODS code", c.val))
			}
		}
		if p.SubICBCode == "" {
			return fail(15, "commissioner", errors.New("is empty; every GP practice has a commissioning sub-ICB location"))
		}
		p.ParentCode = p.SubICBCode
		if len(out.Practices) >= MaxRecords {
			return &nhsfile.FileError{File: file, Line: line, Err: fmt.Errorf("holds more than %d organisations, far more than ODS publishes: it is refused", MaxRecords)}
		}
		out.Practices = append(out.Practices, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out.Practices) == 0 && out.Skipped == 0 {
		return nil, &nhsfile.FileError{File: file, Err: errors.New("is empty")}
	}
	return out, nil
}

func optionalDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return nhsfile.ParseDate(s, nhsfile.YYYYMMDD)
}
