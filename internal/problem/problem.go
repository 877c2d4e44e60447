// Package problem names the kinds of failure every OnePC capability reports,
// so that the web layer can map each to a status code and a page in one place.
package problem

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is what sort of failure an error is.
type Kind int

const (
	Internal     Kind = iota // a fault of ours: logged, never shown
	Invalid                  // the input is wrong; the message says how
	NotFound                 // no such thing
	Forbidden                // the user may not do this
	Conflict                 // clashes with what is already there
	Unauthorized             // not signed in, or the session has ended
	TooMany                  // too many attempts; try later
	TooLarge                 // the request body is over its route's limit
	Unsupported              // the request body is of a type nothing reads
)

// Error is a failure with a message fit to show the person who caused it.
type Error struct {
	Kind    Kind
	Message string
	Fields  Fields // per-field problems of a form, in form order
	Err     error  // the cause, for the log
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	if e.Message == "" && len(e.Fields) > 0 {
		return e.Fields.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error of kind k with a message for people.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err; errors not made here are Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var f Fields
	if errors.As(err, &f) {
		return Invalid
	}
	return Internal
}

// Message returns the message for people, or "" for an Internal error.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		if e.Message == "" {
			return e.Fields.Error()
		}
		return e.Message
	}
	var f Fields
	if errors.As(err, &f) {
		return f.Error()
	}
	return ""
}

// FieldsOf returns the per-field problems in err, if any.
func FieldsOf(err error) Fields {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	var f Fields
	errors.As(err, &f)
	return f
}

// Field is a problem with one field of a form or command.
type Field struct {
	Name    string `json:"field"`
	Message string `json:"message"`
}

// Fields collects the problems with a submission, in field order.
type Fields []Field

// Add records a problem with field name.
func (f *Fields) Add(name, msg string) { *f = append(*f, Field{name, msg}) }

// Err returns nil when there are no problems, else the Fields as an error.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

func (f Fields) Error() string {
	var s []string
	for _, e := range f {
		s = append(s, e.Name+": "+e.Message)
	}
	return strings.Join(s, "; ")
}

// OnField is a problem of kind k with one field, whose message is also the
// error's: the error summary and the field say the same thing.
func OnField(k Kind, name, msg string) *Error {
	return &Error{Kind: k, Message: msg, Fields: Fields{{name, msg}}}
}

// Err is the field's message as an Invalid problem on it.
func (f Field) Err() error { return OnField(Invalid, f.Name, f.Message) }

// BadField is an Invalid problem with one field.
func BadField(name, format string, args ...any) *Error {
	return OnField(Invalid, name, fmt.Sprintf(format, args...))
}

// BadRune finds the first character in s that OnePC will not store:
// bytes that are not UTF-8, or a control character other than tab, line
// feed and carriage return. PostgreSQL cannot store a NUL or invalid UTF-8,
// SQLite would keep them, and a control character carried into an export
// corrupts the file a practice opens; every engine refuses the same text.
// It returns the character's position (from 1) and a name for it, or 0.
func BadRune(s string) (pos int, what string) {
	for i, r := range s {
		pos++
		switch {
		case r == utf8.RuneError && !sentAsReplacement(s[i:]):
			return pos, "a byte that is not UTF-8 text"
		case r == 0:
			return pos, "a NUL character (code 0)"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return pos, fmt.Sprintf("a control character (code %d)", r)
		}
	}
	return 0, ""
}

// sentAsReplacement reports whether s begins with U+FFFD itself, sent as
// such, rather than a byte that is not UTF-8.
func sentAsReplacement(s string) bool {
	_, size := utf8.DecodeRuneInString(s)
	return size == 3
}
