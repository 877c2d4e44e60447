package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// Every state-changing form carries a key made when its page was drawn
// (the hidden input "idem"; an API client sends an Idempotency-Key header).
// The first submission of a key is handled; a repeat by the same person (a
// double click, a browser resending, the same form sent at once through two
// servers) waits for the first and is answered with its result, so nothing
// is done twice. A key sent again with other content is refused. A first submission that fails is forgotten, so that the
// form, corrected, can be sent again.

// newFormKey makes a form's key.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// formKey is the submission's key, if it has one fit to use.
func formKey(r *http.Request) string {
	key := r.Header.Get("Idempotency-Key")
	if key == "" && r.PostForm != nil {
		key = r.PostForm.Get("idem")
	}
	if len(key) < 8 || len(key) > 100 || strings.ContainsFunc(key, func(c rune) bool { return c <= ' ' || c >= 0x7f }) {
		return "" // not a key a form or a script makes: the request is served without one
	}
	return key
}

// fingerprint names what a submission asks: its method, path and content
// (a form's values but its key and CSRF token, with any files, or else the
// body), so that a key sent again with another request is refused instead
// of being answered with the first request's result.
func fingerprint(r *http.Request) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
	if r.PostForm == nil { // an API call, its CSRF token in a header: the body as sent
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if tooLarge(err) {
				return "", errTooLarge(r)
			}
			return "", problem.New(problem.Invalid, "The request could not be read: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.Write(body)
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
	}
	for _, k := range slices.Sorted(maps.Keys(r.PostForm)) {
		if k == "idem" || k == "csrf_token" {
			continue
		}
		for _, v := range r.PostForm[k] {
			fmt.Fprintf(h, "%q=%q\n", k, v)
		}
	}
	if r.MultipartForm != nil {
		for _, k := range slices.Sorted(maps.Keys(r.MultipartForm.File)) {
			for _, fh := range r.MultipartForm.File[k] {
				fmt.Fprintf(h, "%q file %q %d\n", k, fh.Filename, fh.Size)
				f, err := fh.Open()
				if err != nil {
					return "", problem.New(problem.Invalid, "The file %q could not be read: %v", fh.Filename, err)
				}
				_, err = io.Copy(h, f)
				f.Close()
				if err != nil {
					return "", problem.New(problem.Invalid, "The file %q could not be read: %v", fh.Filename, err)
				}
			}
		}
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// awaitFirst is how long a repeat waits for the first submission.
const awaitFirst = 10 * time.Second

// once runs handle for the first submission of key, and answers a repeat
// with the first's result. keepBody false keeps no answer's body (one that
// holds a credential shown once): a repeat gets the status alone.
func (s *Server) once(w http.ResponseWriter, r *http.Request, rq *request, key string, keepBody bool, handle func(w http.ResponseWriter) error) {
	ctx := r.Context()
	request, err := fingerprint(r)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	// A repeat whose first failed (and was forgotten) tries to be the first
	// itself, so that its result is kept too; a few tries, then it gives up.
	for try := 0; ; try++ {
		first, err := s.store.BeginSubmission(ctx, rq.user.ID, key, request)
		if err != nil {
			s.fail(w, r, rq, err)
			return
		}
		if first {
			break
		}
		res, found, done, err := s.store.AwaitSubmission(ctx, rq.user.ID, key, awaitFirst)
		switch {
		case err != nil:
			s.fail(w, r, rq, err)
		case found && done:
			if res.Location != "" {
				w.Header().Set("Location", res.Location)
			}
			if res.Body != "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(res.Status)
			w.Write([]byte(res.Body))
		case found || try == 2:
			s.fail(w, r, rq, problem.New(problem.Conflict, "This form is being sent already: wait a moment, then look at the page again."))
		default: // the first failed and was forgotten: try again to be the first
			continue
		}
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	if err := handle(rec); err != nil {
		s.fail(rec, r, rq, err)
	}
	// Done: remember what was answered. Failed: forget, so it can be sent
	// again. Either way, even if the client has gone (its request's context
	// cancelled), or the key would stay "being sent" for a day.
	ctx = context.WithoutCancel(ctx)
	if rec.status < 400 {
		body := ""
		if keepBody && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.body.Len() <= 64<<10 {
			body = rec.body.String()
		}
		err = s.store.FinishSubmission(ctx, rq.user.ID, key, store.SubmissionResult{Status: rec.status, Location: rec.Header().Get("Location"), Body: body})
	} else {
		err = s.store.ForgetSubmission(ctx, rq.user.ID, key)
	}
	if err != nil {
		s.log.Error("form submission", "err", err)
	}
}

// recorder passes a response through, keeping its status and (a JSON
// answer's) body to replay.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rc *recorder) WriteHeader(code int) {
	rc.status = code
	rc.ResponseWriter.WriteHeader(code)
}

func (rc *recorder) Write(b []byte) (int, error) {
	if rc.body.Len() <= 64<<10 {
		rc.body.Write(b)
	}
	return rc.ResponseWriter.Write(b)
}
