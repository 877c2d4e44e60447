package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/numfmt"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/records"
)

//go:embed templates
var templateFiles embed.FS

// page is what every template receives.
type page struct {
	Title    string
	User     *people.User
	CSRF     string
	Nav      string // which header link is current
	CanAdmin bool
	Notice   string         // a success banner
	Heed     bool           // the notice needs attention: "Important", not "Success"
	Errors   problem.Fields // the error summary
	Data     any
	Demo     bool   // the database holds synthetic demo data: every page says so
	Guest    string // a planning round's guest, by name: the header says so
	Home     string // where the logo goes: "/" but for a guest, their round
	Bare     bool   // a screen for a room's projector: no menus, no footer
}

func (s *Server) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset":       s.assets.url,
		"date":        formatDate,
		"isodate":     func(t time.Time) string { return t.Format(time.DateOnly) },
		"datetime":    func(t time.Time) string { return t.In(london()).Format("2 Jan 2006 15:04:05") },
		"num":         formatNumber,
		"kindLabel":   func(k orgs.Kind) string { return k.Label() },
		"statusLabel": orgs.StatusLabel,
		"roleLabel":   func(r people.Role) string { return r.Label() },
		"join":        strings.Join,
		"idem":        newFormKey, // a fresh key for each form drawn: see once.go
		"markdown":    markdown,
		"pct":         pct,
		"fmt1": func(x float64) string {
			if math.IsNaN(x) {
				return "–"
			}
			return num1(x)
		},
		"fmt0": func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) },
		"dec":  func(i int) int { return i - 1 },
		"deref": func(p any) any {
			switch v := p.(type) {
			case *bool:
				return *v
			case *float64:
				return *v
			}
			return p
		},
		"signed1": func(x float64) string {
			switch v := num1(x); {
			case v == "0.0" || v == "-0.0": // too small to show a sign
				return "0.0"
			case x > 0:
				return "+" + v
			default:
				return strings.Replace(v, "-", "−", 1)
			}
		},
		"milli": func(pm *int64) string { return num1(float64(*pm) / 1000) }, // a target, kept in thousandths
		"unit":  access.Unit.Suffix,                                          // after a value
		"changeUnit": func(u access.Unit) string { // after a change
			if u == access.Percent {
				return " points"
			}
			return " per 1,000"
		},
		"pounds":      payrules.Pounds,
		"yearLabel":   claims.YearLabel,
		"claimStatus": func(s claims.Status) string { return s.Label() },
		"ruleLabel":   func(k payrules.Kind) string { return k.Label() },
		"ym":          func(t time.Time) string { return t.Format("2006-01") },
		"signedPct":   signedPct,
		"weight":      func(milli int) string { return decimal(milli, 3) },
		"monthYear":   func(t time.Time) string { return t.Format("January 2006") },
		"list":        func(xs ...string) []string { return xs },
		"stateTag":    stateTag,
		"even":        func(i int) bool { return i%2 == 0 },
		"inc":         func(i int) int { return i + 1 },
		"add":         func(a, b int) int { return a + b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"fieldError": func(errs problem.Fields, name string) string {
			for _, e := range errs {
				if e.Name == name {
					return e.Message
				}
			}
			return ""
		},
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, path := range names {
		name := strings.TrimPrefix(path, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", path)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[strings.TrimSuffix(name, ".html")] = t
	}
	return out, nil
}

func london() *time.Location { return orgs.London() }

// formatDate writes dates the NHS way: 1 April 2024.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2 January 2006")
}

// stateTag is the NHS.UK tag colour for where a collection stands.
func stateTag(s records.State) string {
	return map[records.State]string{records.DueNow: "nhsuk-tag--red", records.Proposed: "nhsuk-tag--yellow", records.Held: "nhsuk-tag--purple",
		records.NotDue: "nhsuk-tag--grey", records.Disposed: "nhsuk-tag--white", records.Never: "nhsuk-tag--blue"}[s]
}

// formatNumber writes 12345 as 12,345, the British way.
func formatNumber(n int) string { return numfmt.Count(int64(n)) }

// wantsJSON is true for /api/… paths and for clients that ask for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") ||
		strings.HasPrefix(r.Header.Get("Accept"), "application/json")
}

// wantsJSONBody is true when the request body is JSON (not a form).
func wantsJSONBody(r *http.Request) bool { return mediaType(r) == "application/json" }

// mediaType is the request body's type, in lower case, without parameters:
// "Application/JSON; charset=utf-8" is "application/json", as net/http
// reads it, so that no check reads it otherwise.
func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// render writes data as JSON for the API, or the named page as HTML.
// maxPooledBuffer is the largest page buffer kept for the next page.
const maxPooledBuffer = 1 << 20

func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name string, p page) error {
	if wantsJSON(r) {
		// A form refused answers as every refusal does (fail): what is
		// wrong, by field, not the page's data without a word of it.
		if status >= 400 && len(p.Errors) > 0 {
			return writeJSON(w, status, errorBody{Error: p.Errors[0].Message, Fields: p.Errors})
		}
		return writeJSON(w, status, p.Data)
	}
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	p.Demo = s.demo
	if rq != nil && rq.user.ID != 0 {
		p.User = &rq.user
		p.CSRF = rq.session.CSRFToken
		p.CanAdmin = people.Authorize(rq.user.Grants, people.ManageUsers, nil)
	}
	if rq != nil && rq.guest != nil {
		p.CSRF = rq.session.CSRFToken // derived from the guest's session (planguests.go)
		if p.Guest == "" {
			p.Guest = rq.guest.Display()
		}
		p.Home = fmt.Sprintf("/plans/%d", rq.guest.Round) // "/" would ask them to sign in
	}
	if p.Home == "" {
		p.Home = "/"
	}
	buf := s.buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			s.buffers.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout.html", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	s.rendered.Store(name, true)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// csvDownload starts a CSV file download named filename.
func csvDownload(w http.ResponseWriter, filename string) *csvWriter {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, filename))
	return &csvWriter{csv.NewWriter(w)}
}

// csvWriter writes CSV that spreadsheets open as data: a cell that a
// spreadsheet would run as a formula (starting =, +, -, @, a tab or a
// carriage return) is written with a leading apostrophe, which makes it
// text; numbers, negative ones included, stay numbers.
type csvWriter struct{ *csv.Writer }

func (cw *csvWriter) Write(rec []string) error {
	safe := rec
	for i, cell := range rec {
		if formulaLike(cell) {
			if len(safe) > 0 && &safe[0] == &rec[0] { // copy once: the caller's record stays as it was
				safe = slices.Clone(rec)
			}
			safe[i] = "'" + cell
		}
	}
	return cw.Writer.Write(safe)
}

func formulaLike(cell string) bool {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return false
	}
	_, err := strconv.ParseFloat(cell, 64)
	return err != nil
}

// writeJSON writes v as the JSON answer with status. It is encoded whole
// before anything is sent, so that a value JSON cannot hold (NaN, say) is a
// server error with an error's status, never half a body after a 200.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

var errCrossOrigin = &problem.Error{Kind: problem.Forbidden,
	Message: "This form was sent from another website, or your browser did not say where it came from, so it was not accepted. Go back, reload the page and try again."}

var errCSRF = &problem.Error{Kind: problem.Forbidden,
	Message: "This form has expired or is missing its security token, so it was not accepted. Go back, reload the page and try again."}

// statusOf maps each kind of problem to its HTTP status, in one place.
func statusOf(k problem.Kind) int {
	switch k {
	case problem.Invalid:
		return http.StatusUnprocessableEntity
	case problem.NotFound:
		return http.StatusNotFound
	case problem.Forbidden:
		return http.StatusForbidden
	case problem.Conflict:
		return http.StatusConflict
	case problem.Unauthorized:
		return http.StatusUnauthorized
	case problem.TooMany:
		return http.StatusTooManyRequests
	case problem.TooLarge:
		return http.StatusRequestEntityTooLarge
	case problem.Unsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error  string         `json:"error"`
	Fields problem.Fields `json:"fields,omitempty"`
}

// fail writes err as the page or JSON a person can understand. Internal
// details go to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the browser left before the answer: nobody to tell, nothing wrong
	}
	kind := problem.KindOf(err)
	status := statusOf(kind)
	msg := problem.Message(err)
	if kind == problem.Internal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Sorry, something went wrong on our side. Try again; if it keeps happening, tell your OnePC administrator."
	}
	if wantsJSON(r) {
		writeJSON(w, status, errorBody{Error: msg, Fields: problem.FieldsOf(err)})
		return
	}
	if kind == problem.Unauthorized {
		s.renderLogin(w, r, status, loginForm{Next: r.URL.RequestURI(), Message: msg})
		return
	}
	titles := map[int]string{
		http.StatusNotFound: "Page not found", http.StatusForbidden: "You do not have access",
		http.StatusConflict: "That could not be done", http.StatusUnprocessableEntity: "Check what you entered",
		http.StatusTooManyRequests: "Too many attempts", http.StatusRequestEntityTooLarge: "What you sent is too large", http.StatusInternalServerError: "Sorry, there is a problem with the service",
	}
	if err := s.render(w, r, rq, status, "error", page{Title: titles[status], Data: errorPage{Status: status, Message: msg}}); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

type errorPage struct {
	Status  int
	Message string
}

// pager describes one page of a long list.
type pager struct {
	Total, Offset, Limit int
	base                 url.Values
	path                 string
}

const pageSize = 25

func newPager(r *http.Request, total int) pager {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if off < 0 || off >= total {
		off = 0
	}
	q := r.URL.Query()
	q.Del("offset")
	return pager{Total: total, Offset: off, Limit: pageSize, base: q, path: r.URL.Path}
}

// offsetFrom reads the requested offset before the total is known.
func offsetFrom(r *http.Request) int {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	return max(off, 0)
}

func (p pager) First() int { return p.Offset + 1 }
func (p pager) Last() int  { return min(p.Offset+p.Limit, p.Total) }
func (p pager) Prev() string {
	if p.Offset == 0 {
		return ""
	}
	return p.link(max(p.Offset-p.Limit, 0))
}
func (p pager) Next() string {
	if p.Offset+p.Limit >= p.Total {
		return ""
	}
	return p.link(p.Offset + p.Limit)
}
func (p pager) link(off int) string {
	q := url.Values{}
	for k, v := range p.base {
		q[k] = v
	}
	if off > 0 {
		q.Set("offset", strconv.Itoa(off))
	}
	if len(q) == 0 {
		return p.path
	}
	return p.path + "?" + q.Encode()
}

// decode reads a form or a JSON body into v's fields via set, so that the
// page and the API share one code path.
func decode(r *http.Request, fields ...string) (map[string]string, error) {
	all, err := decodeAll(r)
	return pick(all, fields), err
}

// decodeOnly is decode where a key outside fields is refused, naming it:
// figures sent for something a page does not hold (a service not on a
// return) are not dropped in silence; so is a field sent twice (which of
// two figures was meant is not for OnePC to guess).
func decodeOnly(r *http.Request, fields ...string) (map[string]string, error) {
	all, err := decodeAll(r)
	if err != nil {
		return nil, err
	}
	for _, k := range fields {
		if vs := r.PostForm[k]; len(vs) > 1 {
			return nil, problem.OnField(problem.Invalid, k, fmt.Sprintf("%s was sent %d times (%s): send it once", k, len(vs), strings.Join(vs, ", ")))
		}
	}
	var extra []string
	for k := range all {
		if !slices.Contains(fields, k) && k != "csrf_token" && k != "idem" { // idem: the form's key, see once.go
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, problem.New(problem.Invalid, "%s cannot be saved here: it is not on this page", strings.Join(extra, ", "))
	}
	return pick(all, fields), nil
}

// pick is the named fields of what was sent ("" for those not sent).
func pick(all map[string]string, fields []string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		out[f] = all[f]
	}
	return out
}

// decodeAll reads every key of a form or a JSON object (JSON null is left
// out, like a missing key).
func decodeAll(r *http.Request) (map[string]string, error) {
	if wantsJSONBody(r) {
		return decodeJSONObject(r)
	}
	out := map[string]string{}
	if err := readForm(r); err != nil {
		return nil, err
	}
	for k := range r.PostForm {
		out[k] = r.PostForm.Get(k)
	}
	return out, nil
}

// jsonBody reads a JSON body whole (the route bounds its size) and refuses
// bytes that are not UTF-8: Go's decoder would keep the text with each
// turned into U+FFFD, where a form holding them is refused (checkText).
func jsonBody(r *http.Request) (*json.Decoder, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge(err) {
			return nil, errTooLarge(r)
		}
		return nil, problem.New(problem.Invalid, "The request body could not be read: %v", err)
	}
	if !utf8.Valid(b) {
		return nil, problem.New(problem.Invalid, "The request body holds bytes that are not UTF-8 text: send JSON as UTF-8")
	}
	return json.NewDecoder(bytes.NewReader(b)), nil
}

// decodeJSONStrict reads a JSON body that is one object of dst's shape: a
// field dst does not have, or anything after the object, is refused, with
// what was wanted (what, like "a review") and how to send it (example).
func decodeJSONStrict(r *http.Request, dst any, what, example string) error {
	dec, err := jsonBody(r)
	if err != nil {
		return err
	}
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if tooLarge(err) {
			return errTooLarge(r)
		}
		return problem.New(problem.Invalid, "The request body is not %s: %v. %s", what, err, example)
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.Invalid, "The request body has more after %s: send one JSON object", what)
	}
	return nil
}

// ticked reads a checkbox as a form or JSON sends it: "1", "true" or "on"
// (a JSON true arrives as "1"); anything else, "false" included, is not.
func ticked(v string) bool {
	return v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "on")
}

// decodeJSONObject reads a JSON body that is one flat object, key by key:
// a key sent twice, a value that is an object or a list, or anything after
// the object is refused (a map would have kept the last of two values, and
// ignored what followed, without a word). JSON null is left out, like a
// missing key; true is "1", as a ticked box, and false is not sent.
func decodeJSONObject(r *http.Request) (map[string]string, error) {
	bad := func(err error) error {
		if tooLarge(err) {
			return errTooLarge(r)
		}
		return problem.New(problem.Invalid, "The request body is not valid JSON: %v", err)
	}
	dec, err := jsonBody(r)
	if err != nil {
		return nil, err
	}
	dec.UseNumber() // 1000000 stays "1000000", not "1e+06"
	if t, err := dec.Token(); err != nil {
		return nil, bad(err)
	} else if t != json.Delim('{') {
		return nil, problem.New(problem.Invalid, "The request body must be one JSON object, like {\"name\": \"value\"}")
	}
	out, seen := map[string]string{}, map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		k := t.(string) // inside an object, the decoder gives keys as strings
		if err := checkText("a field's name", k); err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, problem.OnField(problem.Invalid, k, fmt.Sprintf("%q is sent twice: send it once", k))
		}
		seen[k] = true
		if t, err = dec.Token(); err != nil {
			return nil, bad(err)
		}
		switch v := t.(type) {
		case nil:
		case bool: // as a form's checkbox: ticked is "1", unticked is not sent
			if v {
				out[k] = "1"
			}
		case string:
			if err := checkText(k, v); err != nil {
				return nil, err
			}
			out[k] = v
		case json.Number:
			out[k] = v.String()
		default:
			return nil, problem.OnField(problem.Invalid, k, fmt.Sprintf("%q must be a string, a number, true or false", k))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, problem.New(problem.Invalid, "The request body has more after its JSON object: send one object")
	}
	return out, nil
}

// decodeInto reads a form or a JSON body into the struct dst points to,
// field by field as its `form` tags name them (the JSON keys are the same
// names), so that the page and the API share one typed input. Strings are
// taken as sent; bool fields are true for any of "1", "true" or "on"; a
// number field that does not read as one (numfmt.ParseDecimal: no sign) is
// an Invalid problem naming it.
func decodeInto(r *http.Request, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	var names []string
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("form"); name != "" {
			names = append(names, name)
		}
	}
	// A script's JSON takes only the fields there are: a key misspelt
	// ("can_write" for "write") is refused by name, not ignored, as a
	// form's buttons and links may be.
	read := decode
	if wantsJSONBody(r) {
		read = decodeOnly
	}
	in, err := read(r, names...)
	if err != nil {
		return err
	}
	var errs problem.Fields
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("form")
		if name == "" {
			continue
		}
		raw, f := in[name], v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(raw)
		case reflect.Bool:
			f.SetBool(ticked(raw))
		case reflect.Int, reflect.Int64:
			if strings.TrimSpace(raw) == "" {
				continue
			}
			n, ok := numfmt.ParseDecimal(raw, 0) // no sign: every count, year and level here is zero or more
			if !ok {
				errs.Add(name, fmt.Sprintf("Enter a whole number, not %q", raw))
				continue
			}
			f.SetInt(n)
		default:
			panic("decodeInto: field " + t.Field(i).Name + " has a type it does not read") // a programming error
		}
	}
	if len(errs) > 0 {
		return &problem.Error{Kind: problem.Invalid, Message: errs[0].Message, Fields: errs}
	}
	return nil
}

// Body limits: every request body is read through http.MaxBytesReader, set
// by the route (route.maxBody) before anything reads it, so that nothing is
// parsed or spooled to disk past the limit and nothing is ever cut short.
const (
	formLimit           = 1 << 20  // forms and JSON
	returnLimit         = 5 << 20  // a filled-in return template
	specLimit           = 21 << 20 // a service specification PDF (20 MB and its form)
	capabilityFileLimit = 11 << 20 // a review's evidence file (10 MB and its form)
)

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func errTooLarge(r *http.Request) error {
	limit := int64(formLimit)
	if n, ok := r.Context().Value(bodyLimitKey{}).(int64); ok {
		limit = n
	}
	return problem.New(problem.TooLarge, "What you sent is larger than the %s this page accepts, so none of it was saved.", humanBytes(limit))
}

type bodyLimitKey struct{}

func humanBytes(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// readForm parses a form or multipart body (within the route's limit),
// once; a body over the limit is refused whole.
func readForm(r *http.Request) error {
	if r.PostForm != nil { // read, and checked, already
		return nil
	}
	var err error
	if mediaType(r) == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	switch {
	case err == nil:
		if r.MultipartForm != nil {
			if err := checkFiles(r.MultipartForm.File); err != nil {
				return err
			}
		}
		return checkValues(r.PostForm)
	case tooLarge(err):
		return errTooLarge(r)
	}
	return problem.New(problem.Invalid, "The form could not be read: %v", err)
}
