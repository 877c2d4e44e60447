package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/chromedp/chromedp"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestMustDosJourney: a practice manager sees the week's obligations,
// completes one with evidence and gives another to a deputy; a GP's pension
// item is theirs alone; the commissioner's overview changes, and they set a
// year's dates and add a one-off obligation.
func TestMustDosJourney(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, gp, staff, comm := a.as(people.PracticeManager), a.as(people.GP), a.as(people.PracticeStaff), a.as(people.Commissioner)

	// On 29 November 2026: the EDEC window closed on the 30th; FFT is due on the 12th working day of December.
	week := pm.get("/my-week")
	week.has(t, "Annual electronic practice self-declaration", "Friends and Family Test monthly return", "personal items of other people")
	if strings.Contains(week.body, "NHS Pensions Type 1") {
		t.Error("the practice manager sees the GP's pension item")
	}
	// A GP's personal item: due 28 February, so only on their practice's year page, and only to them.
	if got := gp.get("/orgs/Y00001/mustdos?year=2027"); !strings.Contains(got.body, "NHS Pensions Type 1") {
		t.Errorf("the GP does not see their pension item")
	}
	if got := pm.get("/orgs/Y00001/mustdos?year=2027"); strings.Contains(got.body, "NHS Pensions Type 1") || !strings.Contains(got.body, "personal items of people here") {
		t.Errorf("the practice manager sees a personal item")
	}
	done := url.Values{"code": {"EDEC"}, "person": {""}, "period": {"2026-11-30"}}
	if got := pm.post("/orgs/Y00001/mustdos/done", done); got.status != 422 || !strings.Contains(got.body, "needs evidence") {
		t.Errorf("done without evidence: %d", got.status)
	}
	if got := staff.post("/orgs/Y00001/mustdos/done", url.Values{"code": {"EDEC"}, "person": {""}, "period": {"2026-11-30"}, "note": {"x"}}); got.status != 403 {
		t.Errorf("practice staff completing the practice's item: %d", got.status)
	}
	if got := gp.post("/orgs/Y00001/mustdos/done", url.Values{"code": {"PENSION-CERTS"}, "person": {a.logins[people.PracticeManager].Email}, "period": {"2027-02-28"}, "note": {"x"}}); got.status != 404 && got.status != 403 {
		t.Errorf("completing someone else's personal item: %d", got.status)
	}
	if got := pm.upload("/orgs/Y00001/mustdos/done", "edec.exe", "MZ not a document", "code", "EDEC", "person", "", "period", "2026-11-30"); got.status != 422 || !strings.Contains(got.body, "must be a PDF") {
		t.Errorf("a program as evidence: %d %s", got.status, pageText(got.body))
	}
	if got := pm.upload("/orgs/Y00001/mustdos/done", "edec-2025.pdf", "%PDF-1.7 declaration", "code", "EDEC", "person", "", "period", "2025-11-30"); got.status != 303 {
		t.Errorf("done with a file: %d %s", got.status, pageText(got.body))
	}
	if got := pm.get("/orgs/Y00001/mustdos/file?code=EDEC&period=2025-11-30"); got.body != "%PDF-1.7 declaration" || got.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the file back: %d %q", got.status, got.header.Get("Content-Type"))
	}
	done.Set("note", "Submitted on the NHS England portal")
	if got := pm.post("/orgs/Y00001/mustdos/done", done); got.status != 303 {
		t.Fatalf("done: %d %s", got.status, pageText(got.body))
	}
	if got := pm.post("/orgs/Y00001/mustdos/done", done); got.status != 403 {
		t.Errorf("done twice: %d", got.status)
	}
	if got := gp.post("/orgs/Y00001/mustdos/done", url.Values{"code": {"PENSION-CERTS"}, "person": {"gp@onepc.example"}, "period": {"2027-02-28"}, "note": {"Sent to NHS Pensions"}}); got.status != 303 {
		t.Errorf("the GP completing their pension item: %d %s", got.status, pageText(got.body))
	}
	assign := url.Values{"code": {"FFT"}, "person": {""}, "period": {"2026-12-16"}, "assignee": {"practice.staff@onepc.example"}, "deputy": {"nobody@example.org"}}
	if got := pm.post("/orgs/Y00001/mustdos/assign", assign); got.status != 422 || !strings.Contains(got.body, "holds no role at Y00001") {
		t.Errorf("a deputy from nowhere: %d %s", got.status, pageText(got.body))
	}
	assign.Set("deputy", "deputy.manager@onepc.example")
	if got := pm.post("/orgs/Y00001/mustdos/assign", assign); got.status != 303 {
		t.Fatalf("assign: %d %s", got.status, pageText(got.body))
	}
	pm.get("/my-week").has(t, "Waiting on someone else", "with practice.staff@onepc.example (deputy deputy.manager@onepc.example)")
	staff.get("/my-week").has(t, "Friends and Family Test monthly return", "Mark done")

	over := comm.get("/orgs/99X/mustdos/overview?year=2026")
	over.has(t, "Annual electronic practice self-declaration (eDEC):</strong> 1 of", "done for the year; ")
	// A monthly return mid-year is never done for the year: the headline says
	// how many have nothing overdue, not only "0 of 23 done".
	if !regexp.MustCompile(`Friends and Family Test monthly return:</strong> 0 of \d+ done for the year; \d+ with nothing overdue`).MatchString(over.body) {
		t.Error("the monthly return's headline does not say how many have nothing overdue")
	}
	if csv := comm.get("/orgs/99X/mustdos/overview.csv?year=2026"); !strings.HasPrefix(csv.body, "org_code,org_name,") || !strings.Contains(csv.body, "RIVERSIDE MEDICAL CENTRE") {
		t.Errorf("overview CSV: %s", csv.body[:100])
	}
	// The national must-dos are an ICB's commissioner's to change; the
	// Place's is refused (a probe moved every ICB's eDEC from another
	// Place), and is not offered the form.
	if got := comm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "opens": {"2027-04-07"}, "due": {"2027-06-12"}}); got.status != 403 {
		t.Errorf("a Place's commissioner sets national dates: %d", got.status)
	}
	for _, path := range []string{"/mustdos/oneoff", "/mustdos/withdraw"} {
		if got := comm.post(path, url.Values{"code": {"EDEC"}, "title": {"x"}, "owner": {"practice"}, "date": {"2027-01-15"}}); got.status != 403 {
			t.Errorf("%s by a Place's commissioner: %d", path, got.status)
		}
	}
	if strings.Contains(over.body, `action="/mustdos/dates"`) || !strings.Contains(over.body, `data-testid="set-by-icb"`) {
		t.Error("a Place's commissioner is offered the national dates form, or not told who sets them")
	}
	comm = a.signIn("icb.commissioner@onepc.example")
	comm.get("/orgs/99X/mustdos/overview?year=2026").has(t, `action="/mustdos/dates"`)
	// Back to the page it came from, with its year and the notice (the
	// address had two question marks, and no notice showed). A code may be
	// typed in lower case.
	back := "/orgs/99X/mustdos/overview?year=2026"
	if got := comm.post("/mustdos/dates", url.Values{"code": {"edec"}, "year": {"2026"}, "due": {"2026-11-30"}, "back": {back}}); got.status != 303 || got.header.Get("Location") != back+"&done=dates" {
		t.Errorf("set dates from the overview: %d to %q", got.status, got.header.Get("Location"))
	}
	// Refused on the overview itself, by field, as typed (it had been a page
	// with no form, and what was typed was lost).
	got := comm.post("/mustdos/dates", url.Values{"code": {"EDEC"}, "year": {"2027"}, "due": {"30/11/2027"}, "back": {back}})
	if got.status != 422 || !strings.Contains(got.body, `id="due-error"`) || !strings.Contains(got.body, `value="30/11/2027"`) || !strings.Contains(got.body, `data-testid="counts"`) {
		t.Errorf("dates refused: %d %s", got.status, pageText(got.body))
	}
	got = comm.post("/mustdos/oneoff", url.Values{"code": {"PAST-ONE"}, "title": {"Too late"}, "owner": {"practice"}, "date": {"2020-01-01"}, "back": {back}})
	if got.status != 422 || !strings.Contains(got.body, `id="date-error"`) || !strings.Contains(got.body, `value="Too late"`) {
		t.Errorf("a one-off in the past: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "opens": {"2027-04-07"}, "due": {"2027-06-12"}}); got.status != 303 {
		t.Errorf("set dates: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "due": {"2027-02-30"}}); got.status != 422 {
		t.Errorf("a date that does not exist: %d", got.status)
	}
	if got := pm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "due": {"2027-06-12"}}); got.status != 403 {
		t.Errorf("a practice manager setting dates: %d", got.status)
	}
	pm.get("/orgs/Y00001/mustdos?year=2027").has(t, "due 12 June 2027")
	if got := comm.post("/mustdos/oneoff", url.Values{"code": {"CONTRACT-2027"}, "title": {"Sign the contract variation"}, "owner": {"practice"}, "date": {"2027-01-15"}}); got.status != 303 {
		t.Errorf("one-off: %d %s", got.status, pageText(got.body))
	}
	pm.get("/orgs/Y00001/mustdos?year=2027").has(t, "Sign the contract variation")
}

// TestCalendarFeed: a private address, read by the iCalendar library the
// way calendar programs read it; stable UIDs, a SEQUENCE that rises when a
// date moves, cancelled when withdrawn, alarms, CRLF, and no one else's
// personal data; an unknown or revoked address is a bare 404.
func TestCalendarFeed(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm, gp := a.as(people.PracticeManager), a.as(people.GP)
	feedOf := func(c *client) string {
		t.Helper()
		got := c.post("/my-week/calendar", nil)
		i := strings.Index(got.body, "/calendar/")
		if got.status != 200 || i < 0 {
			t.Fatalf("calendar address: %d", got.status)
		}
		rest := got.body[i:]
		return rest[:strings.Index(rest, ".ics")+4]
	}
	pmFeed := feedOf(pm)
	read := func(path string) (*ics.Calendar, string) {
		t.Helper()
		got := a.anon().get(path)
		if got.status != 200 || got.header.Get("Content-Type") != "text/calendar; charset=utf-8" {
			t.Fatalf("feed: %d %s", got.status, got.header.Get("Content-Type"))
		}
		cal, err := ics.ParseCalendar(strings.NewReader(got.body))
		if err != nil {
			t.Fatal(err)
		}
		return cal, got.body
	}
	cal, raw := read(pmFeed)
	// Compressed for the calendar programs that take it, plain for others.
	for _, enc := range []string{"gzip", "identity", "gzip;q=0"} {
		req, _ := http.NewRequest("GET", a.http.URL+pmFeed, nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := a.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := io.Reader(resp.Body)
		if got := resp.Header.Get("Content-Encoding"); (got == "gzip") != (enc == "gzip") {
			t.Errorf("Accept-Encoding %s: Content-Encoding %q", enc, got)
		} else if got == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := io.ReadAll(body)
		resp.Body.Close()
		if string(b) != raw {
			t.Errorf("Accept-Encoding %s: the feed differs (%d bytes, want %d)", enc, len(b), len(raw))
		}
	}
	if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Error("a line ends without CR")
	}
	if !strings.Contains(raw, "VERSION:2.0") || !strings.Contains(raw, "PRODID:") {
		t.Error("no VERSION or PRODID")
	}
	if strings.Contains(raw, "gp@onepc.example") || strings.Contains(raw, "NHS Pensions") {
		t.Error("the practice manager's feed has the GP's personal item")
	}
	uids := map[string]bool{}
	var complaints *ics.VEvent
	for _, ev := range cal.Events() {
		for _, p := range []ics.ComponentProperty{ics.ComponentPropertyUniqueId, ics.ComponentPropertyDtstamp, ics.ComponentPropertyDtStart, ics.ComponentPropertySequence, ics.ComponentPropertySummary} {
			if ev.GetProperty(p) == nil {
				t.Fatalf("an event lacks %s", p)
			}
		}
		if uids[ev.Id()] {
			t.Errorf("UID %s twice", ev.Id())
		}
		uids[ev.Id()] = true
		if strings.HasPrefix(ev.Id(), "COMPLAINTS-RETURN-Y00001-20270531") {
			complaints = ev
		}
	}
	if complaints == nil || complaints.GetProperty(ics.ComponentPropertySequence).Value != "0" || len(complaints.Alarms()) != 2 {
		t.Fatalf("complaints return event: %+v", complaints)
	}
	if got := complaints.Alarms()[0].GetProperty(ics.ComponentPropertyTrigger).Value; got != "-P14D" {
		t.Errorf("first alarm %s", got)
	}
	// The year's date moves: same UID, higher SEQUENCE, new date.
	comm := a.signIn("icb.commissioner@onepc.example")
	comm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "opens": {"2027-04-07"}, "due": {"2027-06-12"}})
	comm.post("/mustdos/dates", url.Values{"code": {"COMPLAINTS-RETURN"}, "year": {"2027"}, "opens": {"2027-04-07"}, "due": {"2027-06-14"}})
	cal, _ = read(pmFeed)
	for _, ev := range cal.Events() {
		if ev.Id() == complaints.Id() && (ev.GetProperty(ics.ComponentPropertySequence).Value != "1" || ev.GetProperty(ics.ComponentPropertyDtStart).Value != "20270614") {
			t.Errorf("moved: sequence %s, start %s", ev.GetProperty(ics.ComponentPropertySequence).Value, ev.GetProperty(ics.ComponentPropertyDtStart).Value)
		}
	}
	// Withdrawn: cancelled in the feed, gone from the pages.
	if got := comm.post("/mustdos/withdraw", url.Values{"code": {"BUSINESS-PLAN"}}); got.status != 303 {
		t.Fatalf("withdraw: %d", got.status)
	}
	_, raw = read(pmFeed)
	if !strings.Contains(raw, "STATUS:CANCELLED") {
		t.Error("a withdrawn obligation is not cancelled in the feed")
	}
	if strings.Contains(pm.get("/orgs/Y00001/mustdos?year=2027").body, "Practice business plan review") {
		t.Error("a withdrawn obligation still shows")
	}
	// The GP's feed has their own pension item.
	if _, raw := read(feedOf(gp)); !strings.Contains(raw, "NHS Pensions") {
		t.Error("the GP's feed lacks their pension item")
	}
	// A new address stops the old; revoking stops it; unknown is 404.
	newFeed := feedOf(pm)
	if got := a.anon().get(pmFeed); got.status != 404 || strings.Contains(got.body, "OnePC") {
		t.Errorf("the old address after a new one: %d", got.status)
	}
	pm.post("/my-week/calendar", url.Values{"revoke": {"1"}})
	if got := a.anon().get(newFeed); got.status != 404 {
		t.Errorf("a revoked address: %d", got.status)
	}
	if got := a.anon().get("/calendar/made-up.ics"); got.status != 404 {
		t.Errorf("an unknown address: %d", got.status)
	}
}

// TestBrowserMyWeek: a practice manager opens My week, completes an item with
// evidence and gives another to a deputy; the commissioner's overview shows
// the item done.
func TestBrowserMyWeek(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	base := a.http.URL

	signIn(t, ctx, base, "commissioner@onepc.example")
	step(t, ctx, "the commissioner's overview before",
		chromedp.Navigate(base+"/orgs/99X/mustdos/overview?year=2026"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="counts"]`)))
	if got := text(t, ctx, `[data-testid="counts"]`); !strings.Contains(got, "Annual electronic practice self-declaration (eDEC): 0 of") {
		t.Errorf("counts before: %q", got)
	}
	signOut(t, ctx)

	signIn(t, ctx, base, "practice.manager@onepc.example")
	step(t, ctx, "open My week", chromedp.Navigate(base+"/my-week"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="due-EDEC-Y00001-2026-11-30"]`)))
	screenshot(t, ctx, "my-week")
	step(t, ctx, "mark the self-declaration done with evidence",
		chromedp.SendKeys(chromedp.CSS(`[id="note-EDEC-Y00001-2026-11-30"]`), "Declared on the NHS England portal"),
		chromedp.Click(chromedp.CSS(`[data-testid="due-EDEC-Y00001-2026-11-30"] button[type="submit"]`)))
	waitText(t, ctx, "Marked as done.")
	step(t, ctx, "read what to do for the Friends and Family Test return",
		chromedp.Click(chromedp.CSS(`[data-testid="due-FFT-Y00001-2026-12-16"] [data-testid="guidance"] summary`)))
	step(t, ctx, "its guidance, formatted",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="due-FFT-Y00001-2026-12-16"] [data-testid="guidance"] strong`)))
	if guidance := text(t, ctx, `[data-testid="due-FFT-Y00001-2026-12-16"] [data-testid="guidance"] strong`); guidance != "12th working day" {
		t.Errorf("guidance in bold: %q", guidance)
	}
	step(t, ctx, "give the Friends and Family Test return to a colleague with a deputy",
		chromedp.Click(chromedp.CSS(`[data-testid="due-FFT-Y00001-2026-12-16"] [data-testid="give"] summary`)),
		chromedp.SendKeys(chromedp.CSS(`[id="assignee-FFT-Y00001-2026-12-16"]`), "practice.staff@onepc.example"),
		chromedp.SendKeys(chromedp.CSS(`[id="deputy-FFT-Y00001-2026-12-16"]`), "deputy.manager@onepc.example"),
		chromedp.Click(chromedp.CSS(`[data-testid="due-FFT-Y00001-2026-12-16"] [data-testid="give"] button[type="submit"]`)))
	waitText(t, ctx, "Waiting on someone else")
	signOut(t, ctx)

	signIn(t, ctx, base, "commissioner@onepc.example")
	step(t, ctx, "the commissioner's overview after",
		chromedp.Navigate(base+"/orgs/99X/mustdos/overview?year=2026"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="counts"]`)))
	if got := text(t, ctx, `[data-testid="counts"]`); !strings.Contains(got, "Annual electronic practice self-declaration (eDEC): 1 of") {
		t.Errorf("counts after: %q", got)
	}
	screenshot(t, ctx, "mustdo-overview")
}

// TestClaimsAreMustDos: a practice signed up to local services owes each
// period's claim by its deadline; a claim made is its must-do done.
func TestClaimsAreMustDos(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newApp(t, s)
	if err := demo.LoadClaims(t.Context(), s, now); err != nil {
		t.Fatal(err)
	}
	page := a.as(people.Commissioner).get("/api/orgs/Y00004/mustdos?year=2026") // Y00004 signed up to the demo's chosen services
	if !strings.Contains(page.body, `"code": "CLAIM-`) {
		t.Fatalf("no claim deadlines among the practice's must-dos:\n%.600s", page.body)
	}
	if !strings.Contains(page.body, `"note": "Claim submitted"`) {
		t.Errorf("a submitted claim is not its must-do done")
	}
}

// TestPCNNudgeAndCatalogue: a PCN manager sees member practices' must-dos
// and nudges one about an overdue item; the catalogue is exported, and an
// ICB administrator's broken catalogue file is refused whole.
func TestPCNNudgeAndCatalogue(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newApp(t, s)
	pcn := a.as(people.PCNManager)
	over := pcn.get("/orgs/U00001/mustdos/overview?year=2026")
	over.has(t, "RIVERSIDE MEDICAL CENTRE", "Nudge")
	if got := pcn.post("/orgs/U00001/mustdos/nudge", url.Values{"practice": {"Y00001"}, "obligation": {"DSPT"}}); got.status != 303 {
		t.Fatalf("nudge: %d %s", got.status, pageText(got.body))
	}
	out, _, _ := s.Outbox(t.Context(), nil, 50)
	if len(out) == 0 || !strings.Contains(out[0].Subject, "A nudge from your PCN") {
		t.Errorf("no nudge in the outbox: %+v", out)
	}
	if got := pcn.post("/orgs/U00001/mustdos/nudge", url.Values{"practice": {"Z00001"}, "obligation": {"DSPT"}}); got.status != 404 {
		t.Errorf("nudging a practice outside the PCN: %d", got.status)
	}
	csv := pcn.get("/mustdos/catalogue.csv")
	if !strings.HasPrefix(csv.body, "code,title,guidance,owner,recurrence,") || !strings.Contains(csv.body, "FFT,") {
		t.Errorf("catalogue CSV: %.100s", csv.body)
	}
	admin := a.as(people.Admin)
	broken := strings.Replace(csv.body, "FFT,Friends", "FFT,Friends and family,broken", 1)
	if got := admin.upload("/mustdos/catalogue", "catalogue.csv", broken); got.status != 422 || !strings.Contains(got.body, "line 7: month") {
		t.Errorf("broken catalogue: %d %s", got.status, pageText(got.body))
	}
	if got := admin.upload("/mustdos/catalogue", "catalogue.csv", csv.body); got.status != 303 {
		t.Errorf("catalogue round trip: %d %s", got.status, pageText(got.body))
	}
	if got := pcn.upload("/mustdos/catalogue", "catalogue.csv", csv.body); got.status != 403 {
		t.Errorf("a PCN manager loading the catalogue: %d", got.status)
	}
	// Guidance is Markdown: shown formatted, beside each item, and an
	// administrator's raw HTML or script link never reaches the page.
	hostile := strings.Replace(csv.body, "Submit the month's Friends and Family Test results",
		"Submit <script>alert(1)</script> the [results](javascript:alert(2)) through [the portal](https://fft.example/submit)", 1)
	if got := admin.upload("/mustdos/catalogue", "catalogue.csv", hostile); got.status != 303 {
		t.Fatalf("catalogue with links: %d %s", got.status, pageText(got.body))
	}
	for _, page := range []string{"/my-week", "/mustdos/catalogue"} {
		got := a.as(people.PracticeManager).get(page)
		got.has(t, "by the <strong>12th working day</strong>", `<a href="https://fft.example/submit">the portal</a>`)
		for _, bad := range []string{"<script>alert", "javascript:"} {
			if strings.Contains(got.body, bad) {
				t.Errorf("%s has %q", page, bad)
			}
		}
	}
}

// TestHeatMapPages: a Place of many practices is shown a page (25) at a time, by
// name, the download covering them all; an offset between pages shows the
// page it falls in.
func TestHeatMapPages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	err := a.store.Load(context.Background(), func(l store.Loader) error {
		return l.Insert(context.Background(), "orgs", []string{"code", "kind", "name", "parent_code", "status", "updated_at"}, 60, func(i int) []any {
			return []any{fmt.Sprintf("W9%04d", i), "practice", fmt.Sprintf("ZZ EXTRA PRACTICE %02d", i), "99X", "A", l.Timestamp(time.Now())}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	comm := a.as(people.Commissioner)
	first := comm.get("/orgs/99X/mustdos/overview?year=2026")
	first.has(t, "Practices 1 to 25 of 83, by name.", "offset=25")
	if strings.Contains(first.body, "ZZ EXTRA PRACTICE 59") {
		t.Error("the first page shows the last practice")
	}
	second := comm.get("/orgs/99X/mustdos/overview?year=2026&offset=75")
	second.has(t, "Practices 76 to 83 of 83, by name.", "ZZ EXTRA PRACTICE 59", "Previous")
	if csv := comm.get("/orgs/99X/mustdos/overview.csv?year=2026"); strings.Count(csv.body, "\n") != 84 {
		t.Errorf("the download has %d lines, want a header and 83 practices (one demo practice is closed)", strings.Count(csv.body, "\n"))
	}
	odd := comm.get("/orgs/99X/mustdos/overview?year=2026&offset=73")
	odd.has(t, "Practices 51 to 75 of 83, by name.")
}

// TestUploadRefusalsInJSON: a file refused answers a script with what is
// wrong and where, as any refusal does, not with the page's data alone.
func TestUploadRefusalsInJSON(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	admin := a.as(people.Admin)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", admin.csrf)
	fw, _ := mw.CreateFormFile("file", "catalogue.csv")
	fw.Write([]byte(strings.Join(mustdo.Header, ",") + "\nX1,Thing,,practice,fortnightly,,,,,,,no,src,2026-01-01\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", a.http.URL+"/mustdos/catalogue", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := admin.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Error  string `json:"error"`
		Fields []struct {
			Name string `json:"field"`
		} `json:"fields"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 422 || !strings.Contains(got.Error, "line 2: recurrence") || len(got.Fields) != 1 || got.Fields[0].Name != "file" {
		t.Errorf("a bad catalogue, as JSON: %d %+v %v", resp.StatusCode, got, err)
	}
}
