package web_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// collectionID reads the collection number from the address a form
// redirected to (/orgs/X/records/N?done=…).
func collectionID(t *testing.T, got result) string {
	t.Helper()
	loc := got.header.Get("Location")
	i := strings.LastIndex(loc, "/records/")
	if got.status != 303 || i < 0 {
		t.Fatalf("no collection in redirect: %d %q\n%s", got.status, loc, pageText(got.body))
	}
	return strings.SplitN(loc[i+len("/records/"):], "?", 2)[0]
}

func pendingID(t *testing.T, s *store.Store, org, id string) string {
	t.Helper()
	n, _ := strconv.ParseInt(id, 10, 64)
	ps, err := s.Proposals(t.Context(), org, n)
	if err != nil || len(ps) == 0 {
		t.Fatalf("no decision on %s: %v", id, err)
	}
	return strconv.FormatInt(ps[0].ID, 10)
}

// TestRecordsJourney: a practice manager keeps the register; a second
// person approves a disposal and a certificate is issued; a hold blocks
// another disposal; the commissioner sees counts, never edits.
func TestRecordsJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		pm := a.as(people.PracticeManager)
		deputy := a.asNew("deputy@riverside.example", people.PracticeManager, "Y00001")

		if got := pm.get("/orgs/Y00001/records"); got.status != 200 || !strings.Contains(got.body, "The register is empty") {
			t.Fatalf("empty register: %d", got.status)
		}
		bad := []struct {
			name  string
			form  url.Values
			field string
		}{
			{"unknown class", url.Values{"name": {"X"}, "class": {"NOPE"}, "location": {"L"}, "owner": {"O"}, "event_date": {"2015-01-01"}}, "There is no class NOPE"},
			{"future event", url.Values{"name": {"X"}, "class": {"ADULT"}, "location": {"L"}, "owner": {"O"}, "event_date": {"2027-01-01"}}, "cannot be in the future"},
			{"impossible date", url.Values{"name": {"X"}, "class": {"ADULT"}, "location": {"L"}, "owner": {"O"}, "event_date": {"2015-02-30"}}, "Enter a real date"},
			{"no name", url.Values{"class": {"ADULT"}, "location": {"L"}, "owner": {"O"}, "event_date": {"2015-01-01"}}, "Enter the collection"},
			{"child without birth", url.Values{"name": {"X"}, "class": {"CHILD"}, "location": {"L"}, "owner": {"O"}, "event_date": {"2015-01-01"}}, "Enter the date of birth"},
		}
		for _, tc := range bad {
			got := pm.post("/orgs/Y00001/records", tc.form)
			if got.status != 422 || !strings.Contains(got.body, tc.field) || !strings.Contains(got.body, `value="X"`) && tc.name != "no name" {
				t.Errorf("%s: %d\n%s", tc.name, got.status, pageText(got.body))
			}
		}
		if reg, _ := s.Register(t.Context(), "Y00001"); len(reg.Collections) != 0 {
			t.Fatalf("a bad entry was saved: %+v", reg.Collections)
		}

		complaints := collectionID(t, pm.post("/orgs/Y00001/records", url.Values{"name": {"Complaints files 2014"}, "class": {"COMPLAINTS"},
			"location": {"Cabinet 2, back office"}, "owner": {"Sam Patel"}, "volume": {"1 box"}, "event_date": {"2015-06-30"}}))
		calls := collectionID(t, pm.post("/orgs/Y00001/records", url.Values{"name": {"Call recordings 2024"}, "class": {"TELEPHONY"},
			"location": {"Phone system"}, "owner": {"Sam Patel"}, "event_date": {"2024-12-31"}}))
		page := pm.get("/orgs/Y00001/records")
		page.has(t, "Complaints files 2014", "Due for review", "10 years after closure on 30 June 2015")
		if !strings.Contains(page.body, `data-testid="due-count">2<`) {
			t.Errorf("due count:\n%s", pageText(page.body))
		}

		// The practice staff and the commissioner look; they do not keep.
		staff := a.as(people.PracticeStaff)
		if got := staff.get("/orgs/Y00001/records/" + complaints); got.status != 200 || strings.Contains(got.body, `id="propose"`) {
			t.Errorf("staff view: %d", got.status)
		}
		if got := staff.post("/orgs/Y00001/records", url.Values{"name": {"X"}}); got.status != 403 {
			t.Errorf("staff adding: %d", got.status)
		}
		comm := a.as(people.Commissioner)
		if got := comm.post("/orgs/Y00001/records/"+complaints+"/decisions", url.Values{"decision": {"destroy"}, "justification": {"x"}}); got.status != 403 {
			t.Errorf("commissioner deciding for a practice: %d", got.status)
		}
		if got := a.as(people.PCNManager).post("/orgs/Y00001/records", url.Values{"name": {"X"}}); got.status != 403 {
			t.Errorf("PCN manager editing a member practice's register: %d", got.status)
		}
		if got := pm.get("/orgs/Y00007/records"); got.status != 403 {
			t.Errorf("another practice's register: %d", got.status)
		}

		// A hold on the call recordings.
		if got := pm.post("/orgs/Y00001/holds", url.Values{"reason": {""}}); got.status != 422 || !strings.Contains(got.body, "Say why disposal must stop") {
			t.Errorf("hold without reason: %d", got.status)
		}
		if got := pm.post("/orgs/Y00001/holds", url.Values{"reason": {"Complaint 2025/14"}, "collections": {calls}}); got.status != 303 {
			t.Fatalf("hold: %d %s", got.status, pageText(got.body))
		}
		if got := pm.post("/orgs/Y00001/records/"+calls+"/decisions", url.Values{"decision": {"destroy"}, "justification": {"Past its year"}}); got.status != 409 ||
			!strings.Contains(got.body, "legal hold covers this collection") {
			t.Errorf("destroy under hold: %d %s", got.status, pageText(got.body))
		}

		// Propose destruction; the proposer cannot approve; the deputy does.
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"decision": {"keep"}, "years": {"25"}, "justification": {"Litigation"}}, "needs an exception reason"},
			{url.Values{"decision": {"destroy"}}, "Say why the records are no longer needed"},
		} {
			if got := pm.post("/orgs/Y00001/records/"+complaints+"/decisions", tc.form); got.status != 422 || !strings.Contains(got.body, tc.want) {
				t.Errorf("bad proposal: %d, want %q\n%s", got.status, tc.want, pageText(got.body))
			}
		}
		if got := pm.post("/orgs/Y00001/records/"+complaints+"/decisions", url.Values{"decision": {"destroy"}, "justification": {"Ten years passed; no open matters"}}); got.status != 303 {
			t.Fatalf("propose: %d %s", got.status, pageText(got.body))
		}
		pid := pendingID(t, s, "Y00001", complaints)
		if got := pm.get("/orgs/Y00001/records/" + complaints); !strings.Contains(got.body, `data-testid="waiting"`) || strings.Contains(got.body, `id="approve"`) {
			t.Errorf("the proposer is offered approval:\n%s", pageText(got.body))
		}
		if got := pm.post("/orgs/Y00001/records/"+complaints+"/decisions/"+pid, url.Values{"action": {"approve"}}); got.status != 403 || !strings.Contains(got.body, "second person") {
			t.Errorf("self-approval: %d", got.status)
		}
		got := deputy.post("/orgs/Y00001/records/"+complaints+"/decisions/"+pid, url.Values{"action": {"approve"}, "note": {"Checked the box"}})
		if got.status != 303 || !strings.Contains(got.header.Get("Location"), "/orgs/Y00001/certificates/") {
			t.Fatalf("approve: %d %s", got.status, got.header.Get("Location"))
		}
		cert := deputy.get(got.header.Get("Location"))
		cert.has(t, "Certificate of destruction", "Complaints files 2014", "10 years after closure on 30 June 2015", "deputy@riverside.example", "practice.manager@onepc.example")
		if got := pm.get("/orgs/Y00001/records/" + complaints); !strings.Contains(got.body, "Disposed of") || strings.Contains(got.body, `id="propose"`) {
			t.Errorf("after disposal:\n%s", pageText(got.body))
		}
		csv := pm.get("/orgs/Y00001/certificates.csv")
		if csv.status != 200 || !strings.HasPrefix(csv.body, "certificate,org_code,collection,") || !strings.Contains(csv.body, "Complaints files 2014") {
			t.Errorf("certificates CSV: %s", csv.body)
		}
		if got := a.as(people.PracticeManager).get(strings.Replace(got.header.Get("Location"), "Y00001", "Y00007", 1)); got.status != 403 {
			t.Errorf("certificate of another practice: %d", got.status)
		}

		// Lift the hold; then the call recordings can be proposed for destruction.
		reg, _ := s.Register(t.Context(), "Y00001")
		hold := strconv.FormatInt(reg.Holds[0].ID, 10)
		if got := pm.post("/orgs/Y00001/holds/"+hold+"/lift", url.Values{"reason": {""}}); got.status != 422 {
			t.Errorf("lift without reason: %d", got.status)
		}
		if got := pm.post("/orgs/Y00001/holds/"+hold+"/lift", url.Values{"reason": {"Complaint closed"}}); got.status != 303 {
			t.Errorf("lift: %d", got.status)
		}
		if got := pm.post("/orgs/Y00001/records/"+calls+"/decisions", url.Values{"decision": {"destroy"}, "justification": {"Past its year"}}); got.status != 303 {
			t.Errorf("destroy after the hold is lifted: %d %s", got.status, pageText(got.body))
		}

		// The register as JSON; the summary page; the commissioner's overview.
		var api struct {
			Summary struct {
				Collections, Proposed, Certificates int
			} `json:"summary"`
		}
		raw := pm.get("/api/orgs/Y00001/records")
		if err := json.Unmarshal([]byte(raw.body), &api); err != nil || api.Summary.Collections != 1 || api.Summary.Proposed != 1 || api.Summary.Certificates != 1 {
			t.Errorf("API: %+v %v\n%s", api, err, raw.body)
		}
		pm.get("/orgs/Y00001/records/summary").has(t, "Records register summary", "Call recordings 2024", "Data Security and Protection Toolkit")
		over := comm.get("/orgs/99X/records/overview")
		over.has(t, "Records registers across", `data-testid="with-register">1 of`)
		ocsv := comm.get("/orgs/99X/records/overview.csv")
		if !strings.Contains(ocsv.body, "Y00001,RIVERSIDE MEDICAL CENTRE,GP practice,yes,1,0,1,0,0,1,1") {
			t.Errorf("overview CSV:\n%s", ocsv.body)
		}
		if x := comm.get("/orgs/99X/records/overview.xlsx"); x.status != 200 || !strings.HasPrefix(x.body, "PK") {
			t.Errorf("overview XLSX: %d", x.status)
		}
		if got := pm.get("/records/schedule"); got.status != 200 || !strings.Contains(got.body, "Health surveillance record") {
			t.Errorf("schedule page: %d", got.status)
		}
		if got := pm.get("/records/schedule.csv"); !strings.HasPrefix(got.body, "code,record_type,trigger,rule,years,death_years,action,creation_based,source,checked,notes\n") {
			t.Errorf("schedule CSV: %s", got.body[:80])
		}
		// The change form: a stale version is refused.
		if got := pm.post("/orgs/Y00001/records/"+calls, url.Values{"version": {"9"}, "name": {"Calls"}, "class": {"TELEPHONY"}, "location": {"Phone"}, "owner": {"Sam"}, "event_date": {"2024-12-31"}}); got.status != 409 {
			t.Errorf("stale change: %d", got.status)
		}
	})
}

// TestBrowserRecordsDisposal: a practice manager adds a collection, sees it
// due, proposes destruction; a second person approves and the certificate
// is issued; a hold placed on another collection blocks its disposal.
func TestBrowserRecordsDisposal(t *testing.T) {
	ctx := browser(t)
	s := storetest.Open(t, "sqlite")
	a := newApp(t, s)
	hash, _ := people.HashPassword(demo.Password)
	deputy, err := s.AddUser(t.Context(), "test", people.User{Email: "deputy@riverside.example", Name: "Dee Puty"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.GrantRole(t.Context(), "test", deputy.ID, people.PracticeManager, "Y00001"); err != nil {
		t.Fatal(err)
	}
	base := a.http.URL

	signIn(t, ctx, base, "practice.manager@onepc.example")
	step(t, ctx, "open the practice's records register",
		chromedp.Navigate(base+"/orgs/Y00001"),
		chromedp.Click(chromedp.CSS(`[data-testid="records-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="empty-register"]`)))
	add := func(name, class, event string) {
		step(t, ctx, "add "+name,
			chromedp.SendKeys(chromedp.CSS("#name"), name),
			chromedp.SetValue(chromedp.CSS("#class"), class),
			chromedp.SendKeys(chromedp.CSS("#location"), "Locked cabinet"),
			chromedp.SendKeys(chromedp.CSS("#owner"), "Sam Patel"),
			chromedp.SetValue(chromedp.CSS("#event_date"), event),
			chromedp.Click(chromedp.CSS("#add-collection")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="state"]`)))
	}
	add("Complaints files 2014", "COMPLAINTS", "2015-06-30")
	if got := text(t, ctx, `[data-testid="state"]`); got != "Due for review" {
		t.Errorf("new collection is %q", got)
	}
	if got := text(t, ctx, `[data-testid="basis"]`); got != "10 years after closure on 30 June 2015" {
		t.Errorf("basis %q", got)
	}
	screenshot(t, ctx, "records-collection")
	step(t, ctx, "propose destruction",
		chromedp.Click(chromedp.CSS("#decision-destroy")),
		chromedp.SendKeys(chromedp.CSS("#justification"), "Ten years passed; no open complaint or claim"),
		chromedp.Click(chromedp.CSS("#propose")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="waiting"]`)))
	collection, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "back to the register", chromedp.Navigate(base+"/orgs/Y00001/records"), chromedp.WaitVisible(chromedp.CSS("#add-collection")))
	add("Call recordings 2024", "TELEPHONY", "2024-12-31")
	step(t, ctx, "place a hold on the call recordings",
		chromedp.Navigate(base+"/orgs/Y00001/records"),
		chromedp.WaitVisible(chromedp.CSS("#place-hold")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Complaint 2026/07 refers to a call"),
		chromedp.Click(chromedp.CSS("#hold-2")),
		chromedp.Click(chromedp.CSS("#place-hold")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="holds"]`)))
	screenshot(t, ctx, "records-register")
	step(t, ctx, "open the held recordings",
		chromedp.Click(chromedp.CSS(`[data-testid="collections"] a[href$="/records/2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="state"]`)))
	if got := text(t, ctx, `[data-testid="state"]`); got != "On legal hold" {
		t.Errorf("held collection is %q", got)
	}
	offered, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#decision-destroy') !== null`))
	if err != nil || offered {
		t.Errorf("destroying held records is offered (%v)", err)
	}
	if got := text(t, ctx, "#decide ~ p"); !strings.Contains(got, "legal hold covers these records") {
		t.Errorf("held collection says %q", got)
	}
	signOut(t, ctx)

	signIn(t, ctx, base, "deputy@riverside.example")
	step(t, ctx, "the second person approves",
		chromedp.Navigate(collection),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="certificate"]`)))
	if got := text(t, ctx, `[data-testid="certificate-approver"]`); got != "deputy@riverside.example" {
		t.Errorf("certificate approver %q", got)
	}
	if got := text(t, ctx, `[data-testid="certificate-basis"]`); got != "10 years after closure on 30 June 2015" {
		t.Errorf("certificate basis %q", got)
	}
	screenshot(t, ctx, "records-certificate")
}
