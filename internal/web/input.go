package web

import (
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/problem"
)

// Every text OnePC is sent is checked once, here, before a handler reads
// it: text that is not UTF-8, or holds a control character, is refused
// naming the field. PostgreSQL cannot store a NUL or invalid UTF-8 at all
// (it failed the request), SQLite stored them as sent, and a control
// character carried into an export can corrupt the file a practice opens;
// so both engines refuse the same input with the same message.

// checkText refuses a value that cannot be stored, naming its field.
func checkText(field, value string) error {
	pos, what := problem.BadRune(value)
	if pos == 0 {
		return nil
	}
	return problem.OnField(problem.Invalid, field, fmt.Sprintf(
		"%q holds %s at character %d, which cannot be saved: type it again without that character", field, what, pos))
}

// checkValues checks every key and value of a form or query.
func checkValues(vals url.Values) error {
	for k, vs := range vals {
		if err := checkText("a field's name", k); err != nil {
			return err
		}
		for _, v := range vs {
			if err := checkText(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFiles checks the names of the files a multipart form carries (their
// contents are checked by whatever reads them).
func checkFiles(files map[string][]*multipart.FileHeader) error {
	for k, fs := range files {
		for _, f := range fs {
			if err := checkText(k, f.Filename); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkAddress refuses, before anything else runs, a request whose address
// (path or query) cannot be stored, or whose body is of a type no page
// reads (it would have been read as an empty form, and nothing saved
// without a word).
func checkAddress(r *http.Request) error {
	if err := checkText("the page's address", r.URL.Path); err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return problem.New(problem.Invalid, "The page's address could not be read: %v", err)
	}
	if err := checkValues(q); err != nil {
		return err
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.ContentLength == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	switch mediaType(r) {
	case "application/x-www-form-urlencoded", "multipart/form-data", "application/json":
		return nil
	}
	if ct == "" {
		ct = "no type"
	}
	return problem.New(problem.Unsupported,
		"The request body was sent as %s, which no page reads: send a form (application/x-www-form-urlencoded or multipart/form-data) or JSON (application/json).", ct)
}

// wholeNumber reads a count, a rank or a number of dots as typed: zero or
// more, no sign (numfmt.ParseDecimal), and small enough for an int.
func wholeNumber(s string) (int, error) {
	n, ok := numfmt.ParseDecimal(s, 0)
	if !ok || n > 1<<31-1 {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int(n), nil
}

// parseMonth reads a month typed as YYYY-MM, in the years parseDay allows.
func parseMonth(s string) (time.Time, error) { return parseDay(strings.TrimSpace(s) + "-01") }

// parseDay reads a date typed as YYYY-MM-DD, from nhsfile.MinYear to
// MaxYear (time.Parse takes year 0, which PostgreSQL cannot store).
func parseDay(s string) (time.Time, error) { return nhsfile.ParseDate(s, nhsfile.ISO) }
