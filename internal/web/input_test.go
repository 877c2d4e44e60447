package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestBodyLimits: a body over its route's limit is refused whole with a
// clear message, never cut short and saved; and a user without the right
// is refused before the body is read.
func TestBodyLimits(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, staff := a.as(people.PracticeManager), a.as(people.PracticeStaff)
	month := "2026-10"
	big := "practice_code,service_code,service_name,period_start,field,field_label,value\n" + strings.Repeat("x", 6<<20)

	got := pm.upload("/orgs/Y00001/returns/"+month+"/upload", "big.csv", big)
	if got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("6 MB return upload: %d, want 413", got.status)
	}
	got.has(t, "larger than the 5 MB this page accepts")

	// Practice staff may not submit claims: refused as forbidden, not as
	// too large, because the right is checked before the body is read.
	if got := staff.upload("/orgs/Y00001/returns/"+month+"/upload", "big.csv", big); got.status != http.StatusForbidden {
		t.Errorf("upload by a user without the right: %d, want 403", got.status)
	}

	// A form over 1 MB.
	if got := pm.post("/orgs/Y00001/returns/"+month, map[string][]string{"note": {strings.Repeat("y", 2<<20)}}); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB form: %d, want 413", got.status)
	}
}

// TestJSONNumbers: a JSON number arrives as the number typed, not in
// exponent form (1000000 once arrived as "1e+06" and failed validation).
func TestJSONNumbers(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	// 1,000,000 is over the largest target allowed (100,000): refused for
	// its size, with the number as typed in the message.
	got := comm.postJSON("/api/orgs/99X/targets", `{"measure": "gp-per-1000", "target": 1000000}`)
	if got.status != 422 || !strings.Contains(got.body, `1000000`) || strings.Contains(got.body, "e+06") {
		t.Errorf("target 1000000: %d %s", got.status, got.body)
	}
}

// TestLongEmailAtSignIn: an email longer than any address is refused before
// it is counted or recorded, so that no one can grow the database by
// signing in (a probe added 55 MB in under a second with 900,000-character
// emails).
func TestLongEmailAtSignIn(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	before, _, err := a.store.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := a.anon()
	got := c.post("/login", url.Values{"email": {strings.Repeat("a", 300) + "@example.org"}, "password": {"x"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "254 characters or fewer") {
		t.Errorf("a 312-character email: %d", got.status)
	}
	after, _, _ := a.store.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 1})
	if len(after) != len(before) || (len(after) > 0 && after[0].Seq != before[0].Seq) {
		t.Error("a refused sign-in with a giant email was recorded")
	}
}

// TestUnstorableText: a NUL, a control character or bytes that are not
// UTF-8 are refused, naming the field, the same on both engines, wherever
// they come: a form (signed in or not), a JSON body, an address. Before,
// PostgreSQL failed with a 500 and SQLite stored them as sent.
func TestUnstorableText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		comm, pm := a.as(people.Commissioner), a.as(people.PracticeManager)
		cases := []struct {
			name  string
			send  func() result
			field string
		}{
			{"signed-out sign-in, NUL in the email", func() result {
				return a.anon().post("/login", url.Values{"email": {"gp@onepc.example\x00"}, "password": {"x"}})
			}, `\"email\" holds a NUL character`},
			{"sign-in, not UTF-8", func() result {
				return a.anon().post("/login", url.Values{"email": {"gp\xff@onepc.example"}, "password": {"x"}})
			}, `\"email\" holds a byte that is not UTF-8 text`},
			{"a service's name with an escape", func() result {
				return comm.post("/orgs/99X/services", url.Values{"name": {"Flu \x1b[31m clinics"}})
			}, `\"name\" holds a control character (code 27) at character 5`},
			{"a payment run's reason, JSON", func() result {
				return a.as(people.FinanceOfficer).postJSON("/api/orgs/99X/payments", `{"month": "2026-10", "reason": "x\u0000y"}`)
			}, `\"reason\" holds a NUL character`},
			{"a practice's return note", func() result {
				return pm.post("/orgs/Y00001/returns/2026-10", url.Values{"note": {"ok\x00"}})
			}, `\"note\" holds a NUL character`},
			{"an address's query", func() result { return comm.get("/measures/within-1-day?org=Y00001%00") },
				`\"org\" holds a NUL character`},
			// In JSON, bytes that are not UTF-8 were kept as U+FFFD.
			{"a payment run's reason, JSON not UTF-8", func() result {
				return a.as(people.FinanceOfficer).postJSON("/api/orgs/99X/payments", "{\"month\": \"2026-10\", \"reason\": \"x\xffy\"}")
			}, "bytes that are not UTF-8 text"},
			{"a review, strict JSON not UTF-8", func() result {
				return comm.postJSON("/api/orgs/99X/claims/review", "{\"action\": \"query\", \"claims\": [1], \"message\": \"ab\xc3\"}")
			}, "bytes that are not UTF-8 text"},
		}
		for _, c := range cases {
			got := c.send()
			if got.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422 (%.200s)", c.name, got.status, got.body)
				continue
			}
			if html := strings.ReplaceAll(c.field, `\"`, "&#34;"); !strings.Contains(got.body, html) && !strings.Contains(got.body, c.field) {
				t.Errorf("%s: the answer does not say %s: %.300s", c.name, c.field, got.body)
			}
		}
		// A line break and a tab are text.
		if got := comm.post("/orgs/99X/services", url.Values{"name": {"Flu\tclinics"}, "spec": {"line one\r\nline two"}}); got.status == http.StatusUnprocessableEntity {
			if strings.Contains(got.body, "cannot be saved") {
				t.Errorf("a tab or a line break refused: %.300s", got.body)
			}
		}
	})
}

// TestUnreadableBodyType: a body of a type no page reads is refused with
// 415, not read as an empty form and answered as saved.
func TestUnreadableBodyType(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm := a.as(people.PracticeManager)
	req, _ := http.NewRequest("POST", a.http.URL+"/orgs/Y00001/returns/2026-10", strings.NewReader("LES-ANTICOAG.inr_tests=5"))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-CSRF-Token", pm.csrf)
	resp, err := pm.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, want 415", resp.StatusCode)
	}
}

// TestNumbersReadAsTyped: a number is saved as typed or refused naming its
// field, never read as another (a probe's rate of -0.50 was saved as 50p, a
// threshold of -0.5% as 0.5%, a capitation rate wrapped round to 84p, a
// target of 0x1p-2 was saved as 0.25, and "1,5" items as 15).
func TestNumbersReadAsTyped(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	for _, tc := range []struct {
		name  string
		extra map[string]string
		field string
	}{
		{"a negative fee", map[string]string{"fields": "Visits", "rule_kind": "fee_per_item", "rule_field": "Visits", "rate": "-0.50"}, "rate"},
		{"a comma out of place", map[string]string{"fields": "Visits", "rule_kind": "fee_per_item", "rule_field": "Visits", "rate": "1,0.5"}, "rate"},
		{"a capitation rate past int64", map[string]string{"fields": "Visits", "rule_kind": "capitation", "rate_per_patient": "1844674407370956"}, "rate_per_patient"},
		{"a negative threshold", map[string]string{"fields": "N\nD", "rule_kind": "achievement", "numerator": "N", "denominator": "D", "lower": "-0.5", "upper": "90", "max": "100"}, "lower"},
		{"a most expected with a stray comma", map[string]string{"fields": "Visits | 1,0", "rule_kind": "block", "block": "100"}, "fields"},
	} {
		got := comm.post("/orgs/99X/services", serviceForm("NUM-TEST", "Numbers", tc.extra))
		if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, `id="`+tc.field+`-error"`) {
			t.Errorf("%s: status %d, no error on %s: %s", tc.name, got.status, tc.field, pageText(got.body))
		}
		// One message a field: a fee that could not be read is not also
		// "not greater than zero".
		if n := strings.Count(got.body, `href="#`+tc.field+`"`); n != 1 {
			t.Errorf("%s: %d messages for %s in the summary, want 1", tc.name, n, tc.field)
		}
	}
	loadDemoAppointments(t, a) // the target form is on the access page's figures
	for _, target := range []string{"0x1p-2", "1_0", "6e1", "62.5.1", "5."} {
		// Refused on the access page itself, with the form as typed.
		if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"dna-rate"}, "target": {target}}); got.status != http.StatusUnprocessableEntity ||
			!strings.Contains(got.body, `id="target-error"`) || !strings.Contains(got.body, `value="`+target+`"`) {
			t.Errorf("target %q: status %d", target, got.status)
		}
	}
	// A measure where neither way is better takes no target (it was saved,
	// and never judged).
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"same-day"}, "target": {"62.5"}}); got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "neither higher nor lower is better") {
		t.Errorf("a target for a neutral measure: %d", got.status)
	}
	if got := comm.post("/orgs/99X/targets", url.Values{"measure": {"dna-rate"}, "target": {" 4.5 "}}); got.status != http.StatusSeeOther {
		t.Errorf("target with spaces around it: %d %s", got.status, pageText(got.body))
	}
}

// TestOneValueEach: a figure sent twice, a JSON key sent twice, a value that
// is an object, or more after the JSON object is refused naming it, not
// settled by keeping one (a probe's 7 then 9 was saved as 7); "false" is not
// a ticked box.
func TestOneValueEach(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, comm := a.as(people.PracticeManager), a.as(people.Commissioner)
	a.store.SetClock(func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) })
	serviceID(t, comm.post("/orgs/99X/services", serviceForm("LES-ECG", "ECGs", map[string]string{"fields": "ECGs performed",
		"rule_kind": "fee_per_item", "rule_field": "ECGs performed", "rate": "25.00"})))
	a.store.SetClock(func() time.Time { return now })
	got := pm.post("/orgs/Y00001/returns/2026-10", url.Values{"action": {"save"}, "LES-ECG.ecgs_performed": {"7", "9"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "LES-ECG.ecgs_performed was sent 2 times (7, 9)") {
		t.Errorf("a figure sent twice: %d %s", got.status, pageText(got.body))
	}
	// October's line is past its deadline (10 November): the page says so
	// before it is submitted; November's return cannot be submitted until
	// December, and an upload's notice says when.
	pm.get("/orgs/Y00001/returns/2026-10").has(t, `data-testid="overdue-LES-ECG"`)
	pm.get("/orgs/Y00001/returns/2026-11?done=uploaded").has(t, "the return can be submitted from 1 December 2026")
	// Upload pressed with no file: said by the upload form, on the return page.
	if got := pm.post("/orgs/Y00001/returns/2026-10/upload", url.Values{}); got.status != http.StatusUnprocessableEntity ||
		!strings.Contains(got.body, "Choose the CSV or Excel file to upload") || !strings.Contains(got.body, `action="/orgs/Y00001/returns/2026-10/upload"`) {
		t.Errorf("upload with no file: %d %s", got.status, pageText(got.body))
	}
	for body, want := range map[string]string{
		`{"action": "save", "LES-ECG.ecgs_performed": 7, "LES-ECG.ecgs_performed": 9}`: `is sent twice`,
		`{"action": "save"} {"LES-ECG.ecgs_performed": 9}`:                             `more after its JSON object`,
		`{"action": {"save": 1}}`:                                                      `must be a string, a number, true or false`,
		`["save"]`:                                                                     `must be one JSON object`,
	} {
		if got := pm.postJSON("/api/orgs/Y00001/returns/2026-10", body); got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, want) {
			t.Errorf("%s: %d %s, want %q", body, got.status, got.body, want)
		}
	}
	body := `{"code": "DECL-TEST", "name": "Declarations", "year": "2026", "starts_on": "2026-04-01", "frequency": "monthly", "deadline_days": "10",
		"eligibility": "place", "needs_declaration": "false", "needs_approval": "1", "fields": "Visits", "rule_kind": "block", "block": "100"}`
	got = comm.postJSON("/api/orgs/99X/services", body)
	if got.status != http.StatusCreated || !strings.Contains(got.body, `"needs_declaration": false`) {
		t.Errorf(`needs_declaration "false": %d %.400s`, got.status, got.body)
	}
}

// TestLengthLimits: text past what its page can show is refused naming the
// field (a probe saved a 10 kB service name, 900 kB of specification, a
// 10 kB measure title and email, and a one-off must-do for 9999).
func TestLengthLimits(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	long := strings.Repeat("x", 201)
	for field, v := range map[string]string{"name": long, "spec": strings.Repeat("y", 20_001)} {
		f := serviceForm("LEN-TEST", "Lengths", map[string]string{"fields": "Visits", "rule_kind": "block", "block": "100", field: v})
		if got := comm.post("/orgs/99X/services", f); got.status != 422 || !strings.Contains(got.body, `id="`+field+`-error"`) || !strings.Contains(got.body, "at most") {
			t.Errorf("service %s of %d characters: %d %s", field, len(v), got.status, pageText(got.body))
		}
	}
	if got := comm.post("/measures", url.Values{"id": {"long-one"}, "title": {long}, "unit": {"percent"}, "direction": {"neutral"}, "num_mode": {"3"}}); got.status != 422 || !strings.Contains(got.body, "title is at most 200 characters") {
		t.Errorf("a measure title of 201 characters: %d", got.status)
	}
	email := strings.Repeat("a", 250) + "@example.org"
	if got := a.as(people.Admin).post("/admin/users", url.Values{"email": {email}, "name": {"Long Address"}, "password": {"kettle orbit meadow 42"}}); got.status != 422 || !strings.Contains(got.body, "at most 254 characters") {
		t.Errorf("an email of %d characters: %d", len(email), got.status)
	}
	icb := a.signIn("icb.commissioner@onepc.example")
	if got := icb.post("/mustdos/oneoff", url.Values{"code": {"FAR-OFF"}, "title": {"Far off"}, "owner": {"practice"}, "date": {"9999-12-31"}}); got.status != 422 || !strings.Contains(got.body, "from today to five years ahead") {
		t.Errorf("a one-off in 9999: %d", got.status)
	}
}

// TestSecondProbe: what a second probe found round the first fixes, on
// both engines: a capitalised body type skipped the text checks (and JSON
// so sent was read as an empty form), a weight of -0.5 was saved as 0.5, a
// year-0000 date failed PostgreSQL with a 500, a sign slipped into whole
// numbers, and an idempotency key with a stray byte was stored on one engine
// and refused on the other.
func TestSecondProbe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		pm, comm, icb := a.as(people.PracticeManager), a.as(people.Commissioner), a.signIn("icb.commissioner@onepc.example")

		// A multipart form sent as "Multipart/Form-Data" is checked as one.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf_token", pm.csrf)
		fw, _ := mw.CreateFormFile("file", "return\x1b[31m.csv")
		fw.Write([]byte("practice_code\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", a.http.URL+"/orgs/Y00001/returns/2026-10/upload", &buf)
		req.Header.Set("Content-Type", strings.Replace(mw.FormDataContentType(), "multipart/form-data", "Multipart/Form-Data", 1))
		if resp, err := pm.http.Do(req); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a capitalised multipart type with an escape in the file name: %v %v", resp.StatusCode, err)
		} else {
			resp.Body.Close()
		}
		// JSON sent as "Application/JSON" is read as JSON.
		if got := pm.postJSON("/api/orgs/Y00001/returns/2026-10", `{"NOT-HERE.items": "1"}`, "Content-Type", "Application/JSON"); got.status != 422 || !strings.Contains(got.body, "not on this page") {
			t.Errorf("JSON with a capitalised type: %d %s", got.status, got.body)
		}

		bad := weightsForm(map[string]string{"F17": "-0.5"})
		if got := comm.post("/orgs/99X/weights", bad); got.status != 422 {
			t.Errorf("a weight of -0.5: %d", got.status)
		}
		if got := pm.get("/orgs/Y00001?on=0000-01-01"); got.status != 422 {
			t.Errorf("as at 0000-01-01: %d", got.status)
		}
		for _, path := range []string{"/orgs/Y00001/returns/0000-01", "/orgs/Y00001/returns/3000-01"} {
			if got := pm.get(path); got.status != 404 {
				t.Errorf("%s: %d", path, got.status)
			}
		}
		if got := pm.post("/orgs/Y00001/returns/0000-01/upload", url.Values{}); got.status != 404 {
			t.Errorf("an upload to month 0000-01: %d", got.status)
		}
		f := serviceForm("SIGN-TEST", "Signs", map[string]string{"year": "+2026", "fields": "Visits", "rule_kind": "block", "block": "100"})
		if got := comm.post("/orgs/99X/services", f); got.status != 422 || !strings.Contains(got.body, `id="year-error"`) {
			t.Errorf("a service for year +2026: %d", got.status)
		}
		for _, year := range []string{"-1", "+2026", "0"} {
			if got := icb.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {year}, "due": {"0000-06-01"}}); got.status != 422 {
				t.Errorf("must-do dates for year %s due 0000-06-01: %d", year, got.status)
			}
		}
		got := pm.postJSON("/api/my-week/reminders", `{"digest": "weekly"}`, "Idempotency-Key", "abc\xffdefghij")
		if got.status >= 500 || got.status == 422 {
			t.Errorf("a stray byte in the idempotency key: %d %s", got.status, got.body)
		}
	})
}
