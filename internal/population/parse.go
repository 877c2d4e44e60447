package population

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/nhsfile"
)

// columns of a registered-patients file, found by header name: the names
// changed between vintages (ORG_CODE → CODE, AGE_GROUP_5 beside AGE, Sub-ICB
// columns added in 2022).
type columns struct {
	extract, orgType, code, subICB, postcode, sex, age, ageGroup, patients int
}

var headerNames = map[string][]string{
	"extract":  {"extract_date"},
	"orgType":  {"org_type", "type"},
	"code":     {"org_code", "code", "practice_code"},
	"subICB":   {"sub_icb_location_code", "ccg_code"},
	"postcode": {"postcode"},
	"sex":      {"sex"},
	"age":      {"age"},
	"ageGroup": {"age_group_5"},
	"patients": {"number_of_patients"},
}

// findColumns reads a header row; ok is false when it is not the header
// (files may have preamble lines above it).
func findColumns(rec []string) (columns, bool) {
	c := columns{-1, -1, -1, -1, -1, -1, -1, -1, -1}
	fields := map[string]*int{"extract": &c.extract, "orgType": &c.orgType, "code": &c.code, "subICB": &c.subICB,
		"postcode": &c.postcode, "sex": &c.sex, "age": &c.age, "ageGroup": &c.ageGroup, "patients": &c.patients}
	for i, h := range rec {
		h = nhsfile.NormaliseHeader(h)
		for field, names := range headerNames {
			for _, n := range names {
				if h == n && *fields[field] < 0 {
					*fields[field] = i
				}
			}
		}
	}
	return c, c.extract >= 0 && c.code >= 0 && c.patients >= 0 && c.sex >= 0
}

// MaxPractices bounds the practices one extract may hold (England has
// about 6,300): they are held in memory while the file is read.
const MaxPractices = 50_000

// Parse reads one "Patients Registered at a GP Practice" file: the practice
// totals file (SEX=ALL, AGE=ALL rows), the five-year age band file
// (AGE_GROUP_5) or a single-year-of-age file (AGE 0…95+), which it adds up
// into five-year bands. progress, if not nil, is called now and then with
// the rows read so far. Any bad row stops the read with an error naming the
// file, line, column and field.
func Parse(r io.Reader, file string, progress func(rows int)) (*Extract, error) {
	var (
		cols     columns
		header   bool
		out      = &Extract{}
		index    = map[string]int{} // practice code → position in out.Practices
		seen     = map[string]int{} // code|sex|band → line, to catch duplicates
		suppress = map[string]bool{}
		rows     int
		dateCol  string
	)
	err := nhsfile.EachRecord(r, file, func(line int, rec []string) error {
		if !header {
			var ok bool
			if cols, ok = findColumns(rec); ok {
				header = true
				if cols.age < 0 && cols.ageGroup < 0 {
					return &nhsfile.FileError{File: file, Line: line, Err: errors.New("has neither an AGE nor an AGE_GROUP_5 column")}
				}
			} else if line > 20 {
				return &nhsfile.FileError{File: file, Line: 1, Err: errors.New(
					"has no header row with EXTRACT_DATE, CODE (or ORG_CODE), SEX and NUMBER_OF_PATIENTS in its first 20 lines")}
			}
			return nil
		}
		rows++
		if progress != nil && rows%50000 == 0 {
			progress(rows)
		}
		v := func(col int) string {
			if col < 0 || col >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[col])
		}
		fail := func(col int, field string, err error) error {
			return &nhsfile.FileError{File: file, Line: line, Column: col + 1, Field: field, Err: err}
		}
		if len(rec) == 1 && v(0) == "" {
			return nil // a blank line
		}
		if t := strings.ToUpper(v(cols.orgType)); cols.orgType >= 0 && t != "GP" {
			out.Skipped++
			return nil
		}
		code := strings.ToUpper(v(cols.code))
		if code == "" || len(code) > 8 {
			return fail(cols.code, "CODE", fmt.Errorf("%q is not a practice code", v(cols.code)))
		}
		d, err := nhsfile.ParseDate(v(cols.extract), nhsfile.DDMONYYYY, nhsfile.DDMonYY, nhsfile.DDMMYYYY, nhsfile.ISO)
		if err != nil {
			return fail(cols.extract, "EXTRACT_DATE", err)
		}
		if out.Date.IsZero() {
			out.Date, dateCol = d, v(cols.extract)
		} else if !d.Equal(out.Date) {
			return fail(cols.extract, "EXTRACT_DATE", fmt.Errorf("%q differs from %q on the first row: a file holds one extract", v(cols.extract), dateCol))
		}
		sex := strings.ToUpper(v(cols.sex))
		if sex != "ALL" && sex != "MALE" && sex != "FEMALE" {
			return fail(cols.sex, "SEX", fmt.Errorf("%q is not ALL, FEMALE or MALE", v(cols.sex)))
		}
		ageCol, ageField := cols.ageGroup, "AGE_GROUP_5"
		if ageCol < 0 {
			ageCol, ageField = cols.age, "AGE"
		}
		age := strings.ToUpper(v(ageCol))
		band, isTotal := -1, age == "ALL"
		if !isTotal {
			if band, err = parseBand(age, ageField == "AGE"); err != nil {
				return fail(ageCol, ageField, err)
			}
			if sex == "ALL" && ageField == "AGE" {
				return nil // the persons file of single years: the sexes come from their own files
			}
			if sex == "ALL" {
				return fail(cols.sex, "SEX", fmt.Errorf("SEX=ALL rows carry only %s=ALL, not %q", ageField, v(ageCol)))
			}
		}
		text := strings.ReplaceAll(v(cols.patients), ",", "")
		i, known := index[code]
		if !known {
			if len(out.Practices) >= MaxPractices {
				return fail(cols.code, "CODE", fmt.Errorf("the file names more than %d practices, far more than England has: it is refused", MaxPractices))
			}
			i = len(out.Practices)
			index[code] = i
			out.Practices = append(out.Practices, Practice{Code: code, SubICB: strings.ToUpper(v(cols.subICB)), Postcode: v(cols.postcode)})
		}
		p := &out.Practices[i]
		if text == "" || text == "*" || text == "-" {
			// Suppressed for a small list: unknown, not zero.
			if !isTotal {
				suppress[code] = true
			}
			return nil
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 {
			return fail(cols.patients, "NUMBER_OF_PATIENTS", fmt.Errorf("%q is not a count of patients", v(cols.patients)))
		}
		key := code + "|" + sex + "|" + age
		if isTotal && sex != "ALL" {
			return nil // per-sex totals follow from the bands
		}
		if prev, dup := seen[key]; dup {
			return &nhsfile.FileError{File: file, Line: line, Err: fmt.Errorf("repeats %s %s %s from line %d", code, sex, age, prev)}
		}
		seen[key] = line
		if isTotal {
			p.Total = n
			return nil
		}
		s := Female
		if sex == "MALE" {
			s = Male
		}
		p.Bands[s][band] += n
		p.HasBands = true
		return nil
	})
	if progress != nil {
		progress(rows)
	}
	if err != nil {
		return nil, err
	}
	if !header {
		return nil, &nhsfile.FileError{File: file, Err: errors.New("is empty or has no header row")}
	}
	if len(out.Practices) == 0 {
		return nil, &nhsfile.FileError{File: file, Err: errors.New("has a header but no practice rows")}
	}
	for i := range out.Practices {
		p := &out.Practices[i]
		if suppress[p.Code] {
			p.Bands, p.HasBands = Pyramid{}, false
			out.Suppressed++
		}
		if p.Total == 0 && p.HasBands {
			p.Total = p.Bands.Total()
		}
	}
	return out, nil
}

// parseBand reads "0_4"…"95+" or, in single-year files, "0"…"94" and "95+".
func parseBand(s string, singleYear bool) (int, error) {
	if s == "95+" {
		return NBands - 1, nil
	}
	if singleYear {
		if age, err := strconv.Atoi(s); err == nil && age >= 0 && age <= 120 {
			return bandOfAge(age), nil
		}
		return 0, fmt.Errorf("%q is not an age (0 to 94, 95+ or ALL)", s)
	}
	if i, ok := BandIndex(s); ok {
		return i, nil
	}
	return 0, fmt.Errorf("%q is not a five-year age group (0_4 to 90_94, 95+ or ALL)", s)
}
