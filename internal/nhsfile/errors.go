package nhsfile

import "fmt"

// FileError says where in which file a problem lies; Line and Column are
// 1-based, Column 0 when the whole line is at fault.
type FileError struct {
	File   string
	Line   int
	Column int
	Field  string
	Err    error
}

func (e *FileError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Column > 0 {
		s += fmt.Sprintf(", column %d", e.Column)
	}
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }
