package orgs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/xuri/excelize/v2"
)

// MembershipRecord is one practice–PCN spell as the ODS files give it, with
// the Sub-ICB codes and names that let unknown organisations be created.
type MembershipRecord struct {
	Membership
	PracticeSubICBCode string
	PracticeSubICBName string
	PCNSubICBCode      string
	PCNSubICBName      string
	Line               int // where the row came from, for error messages
}

// pcnCode is the ODS code of a PCN: U followed by five digits.
var pcnCode = regexp.MustCompile(`^U[0-9]{5}$`)

const pcnCSVColumns = 11

// ParsePCNMembersCSV reads the ODS epcncorepartnerdetails CSV report (no
// header; one row per practice–PCN spell, 11 columns).
func ParsePCNMembersCSV(r io.Reader, file string) ([]MembershipRecord, error) {
	var out []MembershipRecord
	cols := pcnColumns{practice: 1, practiceName: 2, practiceSubICB: 3, practiceSubICBName: 4,
		pcn: 5, pcnName: 6, pcnSubICB: 7, pcnSubICBName: 8, start: 9, end: 10}
	err := nhsfile.EachRecord(r, file, func(line int, rec []string) error {
		if len(rec) != pcnCSVColumns {
			return &nhsfile.FileError{File: file, Line: line,
				Err: fmt.Errorf("has %d columns; an epcncorepartnerdetails file has exactly %d", len(rec), pcnCSVColumns)}
		}
		m, err := cols.record(rec, file, line)
		if err != nil {
			return err
		}
		if len(out) >= MaxRecords {
			return &nhsfile.FileError{File: file, Line: line, Err: fmt.Errorf("holds more than %d memberships, far more than ODS publishes: it is refused", MaxRecords)}
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return checkMemberships(out, file)
}

// pcnColumns gives the 1-based column of each field; 0 when a layout lacks it.
type pcnColumns struct {
	practice, practiceName, practiceSubICB, practiceSubICBName int
	pcn, pcnName, pcnSubICB, pcnSubICBName, start, end         int
}

func (c pcnColumns) record(rec []string, file string, line int) (MembershipRecord, error) {
	v := func(col int) string {
		if col == 0 || col > len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[col-1])
	}
	fail := func(col int, field string, err error) error {
		return &nhsfile.FileError{File: file, Line: line, Column: col, Field: field, Err: err}
	}
	m := MembershipRecord{Line: line, Membership: Membership{
		PracticeCode: strings.ToUpper(v(c.practice)), PracticeName: v(c.practiceName),
		PCNCode: strings.ToUpper(v(c.pcn)), PCNName: v(c.pcnName),
	},
		PracticeSubICBCode: v(c.practiceSubICB), PracticeSubICBName: v(c.practiceSubICBName),
		PCNSubICBCode: v(c.pcnSubICB), PCNSubICBName: v(c.pcnSubICBName),
	}
	if !odsCode.MatchString(m.PracticeCode) {
		return m, fail(c.practice, "practice code", fmt.Errorf("%q is not an ODS code", v(c.practice)))
	}
	if !pcnCode.MatchString(m.PCNCode) {
		return m, fail(c.pcn, "PCN code", fmt.Errorf("%q is not a PCN code (U and five digits, such as U12345)", v(c.pcn)))
	}
	for _, s := range []struct {
		col   int
		field string
		val   string
	}{{c.practiceSubICB, "practice Sub-ICB code", m.PracticeSubICBCode}, {c.pcnSubICB, "PCN Sub-ICB code", m.PCNSubICBCode}} {
		if s.val != "" && !odsCode.MatchString(s.val) {
			return m, fail(s.col, s.field, fmt.Errorf("%q is not an ODS code", s.val))
		}
	}
	var err error
	if m.Start, err = membershipDate(v(c.start)); err != nil || m.Start.IsZero() {
		if err == nil {
			err = errors.New("is empty")
		}
		return m, fail(c.start, "relationship start date", err)
	}
	if m.End, err = membershipDate(v(c.end)); err != nil {
		return m, fail(c.end, "relationship end date", err)
	}
	if !m.End.IsZero() && m.End.Before(m.Start) {
		return m, fail(c.end, "relationship end date", fmt.Errorf("%s is before the start date %s",
			m.End.Format(time.DateOnly), m.Start.Format(time.DateOnly)))
	}
	return m, nil
}

// membershipDate accepts ODS YYYYMMDD, and in workbooks also a date cell's
// serial number, DD/MM/YYYY or YYYY-MM-DD.
func membershipDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) != 8 {
		if t, ok := nhsfile.ExcelSerialDate(s); ok {
			return t, nil
		}
	}
	return nhsfile.ParseDate(s, nhsfile.YYYYMMDD, nhsfile.DDMMYYYY, nhsfile.ISO)
}

// checkMemberships rejects an empty file and spells of one practice that overlap.
func checkMemberships(ms []MembershipRecord, file string) ([]MembershipRecord, error) {
	if len(ms) == 0 {
		return nil, &nhsfile.FileError{File: file, Err: errors.New("is empty: it holds no practice–PCN rows")}
	}
	byPractice := map[string][]MembershipRecord{}
	for _, m := range ms {
		for _, o := range byPractice[m.PracticeCode] {
			if o.Overlaps(m.Membership) && !(o.PCNCode == m.PCNCode && o.Start.Equal(m.Start)) {
				return nil, &nhsfile.FileError{File: file, Line: m.Line, Err: fmt.Errorf(
					"practice %s is in %s from %s, which overlaps its spell in %s on line %d",
					m.PracticeCode, m.PCNCode, m.Start.Format(time.DateOnly), o.PCNCode, o.Line)}
			}
			if o.PCNCode == m.PCNCode && o.Start.Equal(m.Start) {
				return nil, &nhsfile.FileError{File: file, Line: m.Line, Err: fmt.Errorf(
					"repeats the spell of practice %s in %s from %s on line %d",
					m.PracticeCode, m.PCNCode, m.Start.Format(time.DateOnly), o.Line)}
			}
		}
		byPractice[m.PracticeCode] = append(byPractice[m.PracticeCode], m)
	}
	return ms, nil
}

// Overlaps reports whether two spells share at least one day.
func (a Membership) Overlaps(b Membership) bool {
	aEndsBeforeB := !a.End.IsZero() && a.End.Before(b.Start)
	bEndsBeforeA := !b.End.IsZero() && b.End.Before(a.Start)
	return !aEndsBeforeB && !bEndsBeforeA
}

// PCNSheet is the ePCN.xlsx sheet that lists practice–PCN spells.
const PCNSheet = "PCN Core Partner Details"

// pcnHeaders maps a normalised ePCN.xlsx header to the field it holds.
var pcnHeaders = map[string]string{
	"partner organisation code":               "practice",
	"partner name":                            "practiceName",
	"partner organisation name":               "practiceName",
	"practice parent sub icb loc code":        "practiceSubICB",
	"practice parent sub icb loc name":        "practiceSubICBName",
	"practice parent sub icb location code":   "practiceSubICB",
	"practice parent sub icb location name":   "practiceSubICBName",
	"pcn code":                                "pcn",
	"pcn name":                                "pcnName",
	"pcn parent sub icb loc code":             "pcnSubICB",
	"pcn parent sub icb loc name":             "pcnSubICBName",
	"pcn parent sub icb location code":        "pcnSubICB",
	"pcn parent sub icb location name":        "pcnSubICBName",
	"practice to pcn relationship start date": "start",
	"practice to pcn relationship end date":   "end",
}

// MaxRecords bounds the organisations or memberships one ODS file may hold
// (England has some 12,000 organisations in epraccur and 6,300 practices in
// PCNs): the records are held in memory until the file is applied.
const MaxRecords = 100_000

// Limits on a workbook: ePCN.xlsx is a few megabytes and expands to some
// tens; anything far larger is refused before it is held in memory.
const (
	maxWorkbookBytes = 64 << 20  // the file itself
	maxUnzippedBytes = 256 << 20 // all its parts, expanded
)

// ParsePCNMembersXLSX reads the "PCN Core Partner Details" sheet of the ODS
// ePCN.xlsx workbook, finding columns by their header names, a row at a
// time. Where the workbook has a "PCN Details" sheet, every PCN code must
// appear in it.
func ParsePCNMembersXLSX(r io.Reader, file string) ([]MembershipRecord, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxWorkbookBytes+1))
	if err != nil {
		return nil, &nhsfile.FileError{File: file, Err: err}
	}
	if len(data) > maxWorkbookBytes {
		return nil, &nhsfile.FileError{File: file, Err: fmt.Errorf("is larger than %d MB, far larger than ePCN.xlsx: it is refused", maxWorkbookBytes>>20)}
	}
	// Worksheets larger than UnzipXMLSizeLimit are read from a temporary
	// file, a row at a time, rather than expanded in memory.
	wb, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzippedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, &nhsfile.FileError{File: file, Err: fmt.Errorf("is not an Excel workbook, or expands to more than %d MB: %w", maxUnzippedBytes>>20, err)}
	}
	defer wb.Close()
	known, err := pcnDetailsCodes(wb)
	if err != nil {
		return nil, &nhsfile.FileError{File: file + " [PCN Details]", Err: err}
	}
	rows, err := wb.Rows(PCNSheet)
	if err != nil {
		return nil, &nhsfile.FileError{File: file, Err: fmt.Errorf("has no sheet called %q", PCNSheet)}
	}
	defer rows.Close()
	var cols pcnColumns
	var out []MembershipRecord
	for line := 1; rows.Next(); line++ {
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &nhsfile.FileError{File: file + " [" + PCNSheet + "]", Line: line, Err: err}
		}
		if line == 1 {
			if err := cols.find(row, file); err != nil {
				return nil, err
			}
			continue
		}
		if blank(row) {
			continue
		}
		m, err := cols.record(row, file+" ["+PCNSheet+"]", line)
		if err != nil {
			return nil, err
		}
		if len(out) >= MaxRecords {
			return nil, &nhsfile.FileError{File: file + " [" + PCNSheet + "]", Line: line, Err: fmt.Errorf("holds more than %d memberships, far more than ODS publishes: it is refused", MaxRecords)}
		}
		if known != nil && !known[m.PCNCode] {
			return nil, &nhsfile.FileError{File: file + " [" + PCNSheet + "]", Line: line, Column: cols.pcn,
				Field: "PCN code", Err: fmt.Errorf("%s is not in the workbook's PCN Details sheet", m.PCNCode)}
		}
		out = append(out, m)
	}
	if err := rows.Error(); err != nil {
		return nil, &nhsfile.FileError{File: file + " [" + PCNSheet + "]", Err: err}
	}
	if cols.practice == 0 && cols.pcn == 0 {
		return nil, &nhsfile.FileError{File: file, Field: PCNSheet, Err: errors.New("sheet is empty")}
	}
	return checkMemberships(out, file)
}

// find places the sheet's columns by their header names.
func (cols *pcnColumns) find(header []string, file string) error {
	set := map[string]*int{"practice": &cols.practice, "practiceName": &cols.practiceName,
		"practiceSubICB": &cols.practiceSubICB, "practiceSubICBName": &cols.practiceSubICBName,
		"pcn": &cols.pcn, "pcnName": &cols.pcnName, "pcnSubICB": &cols.pcnSubICB,
		"pcnSubICBName": &cols.pcnSubICBName, "start": &cols.start, "end": &cols.end}
	for i, h := range header {
		if f, ok := pcnHeaders[nhsfile.NormaliseHeader(h)]; ok && *set[f] == 0 {
			*set[f] = i + 1
		}
	}
	for _, need := range []struct {
		col  int
		name string
	}{{cols.practice, "Partner Organisation Code"}, {cols.pcn, "PCN Code"}, {cols.start, "Practice to PCN Relationship Start Date"}} {
		if need.col == 0 {
			return &nhsfile.FileError{File: file, Line: 1, Field: PCNSheet, Err: fmt.Errorf("has no %q column", need.name)}
		}
	}
	return nil
}

// pcnDetailsCodes returns the PCN codes the workbook's "PCN Details" sheet
// lists, read a row at a time, or nil when it has no such sheet.
func pcnDetailsCodes(wb *excelize.File) (map[string]bool, error) {
	rows, err := wb.Rows("PCN Details")
	if err != nil {
		return nil, nil // no such sheet
	}
	defer rows.Close()
	col := -1
	codes := map[string]bool{}
	for line := 1; rows.Next(); line++ {
		row, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if line == 1 {
			for i, h := range row {
				if nhsfile.NormaliseHeader(h) == "pcn code" {
					col = i
				}
			}
			if col < 0 {
				return nil, nil
			}
			continue
		}
		if col < len(row) {
			codes[strings.ToUpper(strings.TrimSpace(row[col]))] = true
		}
	}
	if err := rows.Error(); err != nil {
		return nil, err
	}
	if len(codes) == 0 {
		return nil, nil
	}
	return codes, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
