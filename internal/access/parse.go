package access

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
)

// Row is one row of a practice-level appointments file, with the national
// category checked and dropped (measures do not use it).
type Row struct {
	Month        time.Time
	Practice     string
	PracticeName string
	PCN          string
	PCNName      string
	SubICB       string
	SubICBName   string
	Status       Status
	HCP          HCP
	Mode         Mode
	Band         Band
	Count        int64
}

// columns a practice-level file must have, found by name (their order has
// changed between publications; extra columns are harmless).
var required = []string{"appointment_month_start_date", "gp_code", "hcp_type", "appt_mode", "national_category",
	"time_between_book_and_appt", "count_of_appointments", "appt_status"}

var optional = []string{"gp_name", "pcn_code", "pcn_name", "sub_icb_location_code", "sub_icb_location_name"}

// Summary counts what a parse read.
type Summary struct {
	Rows  int64 // data rows read
	Blank int64 // rows whose count was blank or suppressed: left out, not taken as zero
}

// Parse streams a practice-level appointments file, calling fn for every
// row in file order and holding one row at a time. progress, if not nil,
// hears the rows read so far now and then. A missing column, an unknown
// vocabulary value, a bad date or a count that is not a number stops the
// read with the file, line, column and field.
func Parse(r io.Reader, file string, fn func(Row) error, progress func(rows int64)) (Summary, error) {
	var sum Summary
	col := map[string]int{}
	var lastDateText string // files hold a month or two: parse each date once
	var lastDate time.Time
	header := true
	err := nhsfile.EachRecord(r, file, func(line int, rec []string) error {
		if header {
			header = false
			for i, h := range rec {
				col[strings.ReplaceAll(nhsfile.NormaliseHeader(h), " ", "_")] = i
			}
			for _, need := range required {
				if _, ok := col[need]; !ok {
					return &nhsfile.FileError{File: file, Line: line, Err: fmt.Errorf("has no %s column", strings.ToUpper(need))}
				}
			}
			for _, o := range optional {
				if _, ok := col[o]; !ok {
					col[o] = -1
				}
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		v := func(name string) string {
			i := col[name]
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		fail := func(name string, err error) error {
			return &nhsfile.FileError{File: file, Line: line, Column: col[name] + 1, Field: strings.ToUpper(name), Err: err}
		}
		if len(rec) < len(required) {
			return &nhsfile.FileError{File: file, Line: line, Err: fmt.Errorf("has %d columns; the header has %d (is the file cut short?)", len(rec), len(col))}
		}
		sum.Rows++
		if progress != nil && sum.Rows%100000 == 0 {
			progress(sum.Rows)
		}
		var row Row
		var err error
		if dt := v("appointment_month_start_date"); dt == lastDateText {
			row.Month = lastDate
		} else if row.Month, err = nhsfile.ParseDate(dt, nhsfile.DDMONYYYY, nhsfile.DDMonYY, nhsfile.ISO); err != nil {
			return fail("appointment_month_start_date", err)
		} else {
			lastDateText, lastDate = dt, row.Month
		}
		if row.Month.Day() != 1 {
			return fail("appointment_month_start_date", fmt.Errorf("%s is not the first of a month", v("appointment_month_start_date")))
		}
		row.Practice = strings.ToUpper(v("gp_code"))
		if row.Practice == "" || len(row.Practice) > 8 {
			return fail("gp_code", fmt.Errorf("%q is not a practice code", v("gp_code")))
		}
		row.PracticeName, row.PCN, row.PCNName = v("gp_name"), strings.ToUpper(v("pcn_code")), v("pcn_name")
		row.SubICB, row.SubICBName = strings.ToUpper(v("sub_icb_location_code")), v("sub_icb_location_name")
		if row.Status, err = ParseStatus(v("appt_status")); err != nil {
			return fail("appt_status", err)
		}
		if row.HCP, err = ParseHCP(v("hcp_type")); err != nil {
			return fail("hcp_type", err)
		}
		if row.Mode, err = ParseMode(v("appt_mode")); err != nil {
			return fail("appt_mode", err)
		}
		if row.Band, err = ParseBand(v("time_between_book_and_appt")); err != nil {
			return fail("time_between_book_and_appt", err)
		}
		if err := checkCategory(v("national_category")); err != nil {
			return fail("national_category", err)
		}
		count := strings.ReplaceAll(v("count_of_appointments"), ",", "")
		if count == "" || count == "*" || count == "-" {
			sum.Blank++ // suppressed or blank: not known, so not counted
			return nil
		}
		if row.Count, err = strconv.ParseInt(count, 10, 64); err != nil || row.Count < 0 {
			return fail("count_of_appointments", fmt.Errorf("%q is not a count of appointments", v("count_of_appointments")))
		}
		return fn(row)
	})
	if progress != nil {
		progress(sum.Rows)
	}
	if err != nil {
		return sum, err
	}
	if header {
		return sum, &nhsfile.FileError{File: file, Err: errors.New("is empty")}
	}
	if sum.Rows == 0 {
		return sum, &nhsfile.FileError{File: file, Err: errors.New("has a header but no rows")}
	}
	return sum, nil
}
