package nhsfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// EachRecord reads CSV from r (decoded as NewReader does) and calls fn with
// each record and the line it starts on. Records may differ in length; fn
// checks what it needs. A CSV syntax error, or fn's error, stops the read;
// syntax errors come back as a FileError with line and column.
func EachRecord(r io.Reader, file string, fn func(line int, rec []string) error) error {
	text, err := NewReader(&lineLimit{r: r})
	if err != nil {
		return &FileError{File: file, Err: err}
	}
	cr := csv.NewReader(text)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fe := csvError(pe, 0)
				fe.File = file
				return fe
			}
			var fe *FileError
			if errors.As(err, &fe) {
				fe.File = file
				return fe
			}
			return &FileError{File: file, Err: err}
		}
		line, _ := cr.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// csvError places a CSV syntax error, first moving its lines on by offset.
// A quote left open is placed where its record starts, not where the file
// (or the next quote) ended it.
func csvError(pe *csv.ParseError, offset int) *FileError {
	if errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine < pe.Line {
		return &FileError{Line: offset + pe.StartLine, Err: fmt.Errorf("a quoted field in this record is not closed where it should be (the quotes run on to line %d)", offset+pe.Line)}
	}
	return &FileError{Line: offset + pe.Line, Column: pe.Column, Err: pe.Err}
}
