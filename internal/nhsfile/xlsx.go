package nhsfile

import (
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Limits on a workbook read by EachXLSXRow: far above any return or
// template a person fills in, far below what would exhaust memory.
const (
	MaxWorkbookBytes = 20 << 20  // the file as sent
	maxExpandedBytes = 256 << 20 // all its parts, expanded
)

// EachXLSXRow calls fn with each row of a workbook's sheet (the first sheet
// when sheet is ""), a row at a time, numbering lines from 1 as a
// spreadsheet does. Cell values are as typed (dates and numbers as their
// text), so that one parser serves a CSV and a workbook.
func EachXLSXRow(r io.Reader, file, sheet string, fn func(line int, rec []string) error) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxWorkbookBytes+1))
	if err != nil {
		return &FileError{File: file, Err: err}
	}
	if len(data) > MaxWorkbookBytes {
		return &FileError{File: file, Err: fmt.Errorf("is larger than %d MB: it is refused", MaxWorkbookBytes>>20)}
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxExpandedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return &FileError{File: file, Err: fmt.Errorf("is not an Excel workbook, or expands to more than %d MB: %w", maxExpandedBytes>>20, err)}
	}
	defer wb.Close()
	if sheet == "" {
		sheet = wb.GetSheetName(0)
	}
	rows, err := wb.Rows(sheet)
	if err != nil {
		return &FileError{File: file, Err: fmt.Errorf("has no sheet called %q", sheet)}
	}
	defer rows.Close()
	for line := 1; rows.Next(); line++ {
		rec, err := rows.Columns()
		if err != nil {
			return &FileError{File: file + " [" + sheet + "]", Line: line, Err: err}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
	return rows.Error()
}
