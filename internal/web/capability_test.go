package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func reviewPath(t *testing.T, got result) string {
	t.Helper()
	loc := got.header.Get("Location")
	if got.status != 303 || !strings.Contains(loc, "/capability/") {
		t.Fatalf("no review in redirect: %d %q\n%s", got.status, loc, pageText(got.body))
	}
	return strings.SplitN(loc, "?", 2)[0]
}

// TestCapabilityReviewJourney: a PCN runs a facilitated review, two team
// members score, the lead agrees levels with evidence, closes and shares it
// with the Place; the Place sees it only then, in its distribution.
func TestCapabilityReviewJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		cd := a.as(people.PCNClinicalDirector)
		pcnm := a.as(people.PCNManager)
		comm := a.as(people.Commissioner)

		if got := cd.post("/orgs/U00001/capability", url.Values{"framework": {"wcc"}, "year": {"2026"}, "mode": {"facilitated"}}); got.status != 422 || !strings.Contains(got.body, "not a Primary Care Network") && !strings.Contains(got.body, "is for a") {
			t.Errorf("WCC at a PCN: %d %s", got.status, pageText(got.body))
		}
		path := reviewPath(t, cd.post("/orgs/U00001/capability", url.Values{"framework": {"pcn-development"}, "year": {"2026"}, "mode": {"facilitated"}}))
		if got := cd.post("/orgs/U00001/capability", url.Values{"framework": {"pcn-development"}, "year": {"2026"}, "mode": {"solo"}}); got.status != 409 {
			t.Errorf("second review for the year: %d", got.status)
		}
		// Two team members score on their own devices.
		for _, c := range []*client{cd, pcnm} {
			for _, it := range []string{"pcn.leadership", "pcn.access"} {
				level := "2"
				if c == pcnm {
					level = "4"
				}
				if got := c.post(path+"/scores", url.Values{"item": {it}, "level": {level}}); got.status != 303 {
					t.Fatalf("score: %d %s", got.status, pageText(got.body))
				}
			}
		}
		if got := cd.post(path+"/scores", url.Values{"item": {"pcn.leadership"}, "level": {"9"}}); got.status != 422 || !strings.Contains(got.body, "Choose a level from 1 to 4") {
			t.Errorf("score off the scale: %d", got.status)
		}
		if got := a.as(people.PracticeManager).post(path+"/scores", url.Values{"item": {"pcn.leadership"}, "level": {"2"}}); got.status != 403 {
			t.Errorf("a member practice's manager scoring the PCN's review: %d", got.status)
		}
		page := cd.get(path)
		page.has(t, "Team scores (2): 2 ×1 4 ×1 — median 3.0, from 2 to 4", "Appointments not attended (DNA)")
		// Agree every item; the first without a reason is refused.
		if got := cd.post(path+"/agreed", url.Values{"item": {"pcn.leadership"}, "level": {"3"}, "confidence": {"high"}}); got.status != 422 || !strings.Contains(got.body, "Say why the team agreed") {
			t.Errorf("agree without reason: %d", got.status)
		}
		if got := cd.post(path+"/close", nil); got.status != 422 || !strings.Contains(got.body, "still open") {
			t.Errorf("close with items open: %d", got.status)
		}
		for _, it := range []string{"pcn.leadership", "pcn.planning", "pcn.partners", "pcn.workforce", "pcn.money", "pcn.access", "pcn.improvement"} {
			form := url.Values{"item": {it}, "level": {"3"}, "rationale": {"Agreed at the board"}, "confidence": {"medium"}}
			if it == "pcn.money" || it == "pcn.workforce" {
				form.Set("level", "1")
			}
			if it == "pcn.access" {
				form.Set("measure", "dna-rate")
			}
			if got := cd.post(path+"/agreed", form); got.status != 303 {
				t.Fatalf("agree %s: %d %s", it, got.status, pageText(got.body))
			}
		}
		cd.get(path).has(t, "Low: plan an improvement action", "Low items without an action yet: pcn.workforce, pcn.money")
		// A file as evidence: a PDF is kept; a script pretending to be one is refused.
		attach := func(name, body string) result { return cd.upload(path+"/evidence", name, body, "item", "pcn.planning") }
		if got := attach("plan.pdf", "<script>alert(1)</script>"); got.status != 422 || !strings.Contains(got.body, "must be a PDF") {
			t.Errorf("a script as evidence: %d", got.status)
		}
		if got := attach("plan.pdf", "%PDF-1.7 the network plan"); got.status != 303 {
			t.Fatalf("evidence file: %d %s", got.status, pageText(got.body))
		}
		if got := cd.get(path + "/evidence/pcn.planning"); got.status != 200 || got.body != "%PDF-1.7 the network plan" || got.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("evidence download: %d %q", got.status, got.header.Get("Content-Type"))
		}
		if got := comm.get(path + "/evidence/pcn.planning"); got.status != 404 {
			t.Errorf("the Place reads evidence of an unshared review: %d", got.status)
		}
		if got := cd.post(path+"/actions", url.Values{"item": {"pcn.money"}, "title": {"Publish the network's accounts"}, "owner": {"PCN manager"}, "due": {"2027-03-31"}}); got.status != 303 {
			t.Errorf("action: %d %s", got.status, pageText(got.body))
		}
		if got := cd.post(path+"/actions", url.Values{"item": {"pcn.money"}, "title": {"x"}, "owner": {"y"}, "due": {"2020-01-01"}}); got.status != 422 {
			t.Errorf("action due in the past: %d", got.status)
		}
		// Unshared, the Place cannot see it: to them it does not exist.
		if got := comm.get(path); got.status != 404 {
			t.Errorf("the Place sees an unshared review: %d", got.status)
		}
		if got := comm.get("/api/orgs/U00001/capability"); strings.Contains(got.body, "pcn-development") {
			t.Errorf("the Place lists an unshared review: %s", got.body)
		}
		if got := cd.post(path+"/close", nil); got.status != 303 {
			t.Fatalf("close: %d %s", got.status, pageText(got.body))
		}
		if got := cd.post(path+"/scores", url.Values{"item": {"pcn.leadership"}, "level": {"2"}}); got.status != 409 {
			t.Errorf("scoring a closed review: %d", got.status)
		}
		cd.get(path).has(t, "Closed", "At close: Appointments not attended (DNA)", "Plan how to improve: Additional roles are recruited")
		if got := cd.post(path+"/share", url.Values{"shared": {"place"}}); got.status != 303 {
			t.Fatalf("share: %d", got.status)
		}
		if got := comm.get(path); got.status != 200 {
			t.Errorf("the Place after sharing: %d", got.status)
		}
		dist := comm.get("/orgs/99X/capability/distribution?framework=pcn-development&year=2026")
		dist.has(t, "1 closed reviews against PCN development domains for 2026 have been shared", "RIVERSIDE PCN")
		csv := cd.get(path + "/review.csv")
		if !strings.HasPrefix(csv.body, "org_code,framework,framework_version,year,domain,item,") || !strings.Contains(csv.body, "U00001,pcn-development,1,2026,resources,pcn.money,") {
			t.Errorf("CSV:\n%s", csv.body)
		}
		if x := cd.get(path + "/review.xlsx"); !strings.HasPrefix(x.body, "PK") {
			t.Errorf("XLSX: %d", x.status)
		}
	})
}

// TestCapabilityModerationAndFrameworks: an ICB panel moderates a Place's
// shared self-assessment; administrators at an ICB upload frameworks, and a
// broken one is refused with its line.
func TestCapabilityModerationAndFrameworks(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newApp(t, s)
	comm := a.as(people.Commissioner)
	path := reviewPath(t, comm.post("/orgs/99X/capability", url.Values{"framework": {"wcc"}, "year": {"2026"}, "mode": {"solo"}}))
	if got := comm.post(path+"/agreed", url.Values{"item": {"wcc.1"}, "level": {"3"}, "rationale": {"Partners say so"}, "confidence": {"high"}, "link": {"javascript:alert(1)"}}); got.status != 422 {
		t.Errorf("a script link: %d", got.status)
	}
	if got := comm.post(path+"/agreed", url.Values{"item": {"wcc.1"}, "level": {"3"}, "rationale": {"Partners say so"}, "confidence": {"high"}}); got.status != 303 {
		t.Fatal(got.status)
	}
	panel := a.asNew("panel@icb.example", people.Commissioner, demo.ICBCode)
	if got := panel.post(path+"/moderate", url.Values{"item": {"wcc.1"}, "level": {"2"}}); got.status != 404 {
		t.Errorf("moderating before the Place shares: %d", got.status)
	}
	comm.post(path+"/share", url.Values{"shared": {"icb"}})
	if got := panel.post(path+"/moderate", url.Values{"item": {"wcc.1"}, "level": {"2"}, "note": {"Evidence thin"}}); got.status != 303 {
		t.Fatalf("moderate: %d %s", got.status, pageText(got.body))
	}
	if got := comm.post(path+"/moderate", url.Values{"item": {"wcc.1"}, "level": {"4"}}); got.status != 403 {
		t.Errorf("the Place moderating itself: %d", got.status)
	}
	comm.get(path).has(t, "Agreed: 3 Good", "Panel level: 2 Developing. Evidence thin")

	upload := func(c *client, body string) result { return c.upload("/capability/frameworks", "framework.json", body) }
	good := `{"id":"local-qi","version":1,"title":"Riverside QI check","source":"Riverside and Vale ICB","licence":"ICB","wording":"The ICB's own",
"applies_to":["practice"],"scale":{"levels":[{"value":1,"label":"No"},{"value":2,"label":"Yes"}]},"low_at":1,
"domains":[{"code":"d","title":"D","items":[
{"code":"a","question":"A?"},
{"code":"a","question":"B?"}]}]}`
	admin := a.as(people.Admin)
	if got := upload(admin, good); got.status != 422 || !strings.Contains(got.body, "line 5") || !strings.Contains(got.body, "used twice") {
		t.Errorf("duplicate code: %d %s", got.status, pageText(got.body))
	}
	fixed := strings.Replace(good, `{"code":"a","question":"B?"}`, `{"code":"b","question":"B?"}`, 1)
	if got := upload(admin, fixed); got.status != 303 {
		t.Fatalf("upload: %d %s", got.status, pageText(got.body))
	}
	if got := upload(admin, fixed); got.status != 409 {
		t.Errorf("the same version again: %d", got.status)
	}
	a.as(people.PracticeManager).get("/orgs/Y00001/capability").has(t, "Riverside QI check")
	if got := upload(a.as(people.PracticeManager), fixed); got.status != 403 {
		t.Errorf("a practice manager uploading: %d", got.status)
	}
	if _, err := capability.Shipped(nil); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserFacilitatedReview: a practice manager runs a facilitated
// session; a team member scores on their own device; the manager sees the
// spread, agrees every level (with a measure as evidence), closes the review
// and shares it; the commissioner sees it in the Place's distribution.
func TestBrowserFacilitatedReview(t *testing.T) {
	pmDevice := browser(t)
	staffDevice := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	base := a.http.URL

	signIn(t, pmDevice, base, "practice.manager@onepc.example")
	step(t, pmDevice, "start a facilitated review of the practice",
		chromedp.Navigate(base+"/orgs/Y00001"),
		chromedp.Click(chromedp.CSS(`[data-testid="capability-link"]`)),
		chromedp.WaitVisible(chromedp.CSS("#start-review")),
		chromedp.SetValue(chromedp.CSS("#framework"), "gp-development"),
		chromedp.Click(chromedp.CSS("#mode-facilitated")),
		chromedp.Click(chromedp.CSS("#start-review")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="spine"]`)))
	review, err := chromedp.Run(pmDevice, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	review = strings.SplitN(review, "?", 2)[0]
	score := func(ctx context.Context, who, level string) {
		step(t, ctx, who+" scores leadership "+level,
			chromedp.Navigate(review),
			chromedp.WaitVisible(chromedp.CSS(`[id="cap.leadership-mine"]`)),
			chromedp.SetValue(chromedp.CSS(`[id="cap.leadership-mine"]`), level),
			chromedp.Click(chromedp.CSS(`[id="score-cap.leadership"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="spread-cap.leadership"]`)))
	}
	score(pmDevice, "the practice manager", "3")
	signIn(t, staffDevice, base, "practice.staff@onepc.example")
	score(staffDevice, "a team member on their own device", "1")
	step(t, pmDevice, "the manager sees the team's spread", chromedp.Navigate(review), chromedp.WaitVisible(chromedp.CSS(`[data-testid="spread-cap.leadership"]`)))
	if got := text(t, pmDevice, `[data-testid="spread-cap.leadership"]`); !strings.Contains(got, "Team scores (2)") || !strings.Contains(got, "from 1 to 3") {
		t.Errorf("spread %q", got)
	}
	screenshot(t, pmDevice, "review-spread")
	for _, item := range []string{"cap.leadership", "cap.improvement", "cap.business", "en.data", "en.people", "en.digital", "wa.access", "wa.care", "wa.partnership"} {
		level := "2"
		if item == "en.people" {
			level = "1"
		}
		step(t, pmDevice, "agree "+item,
			chromedp.Click(chromedp.CSS(`[id="agree-open-`+item+`"]`)),
			chromedp.SetValue(chromedp.CSS(`[id="`+item+`-level"]`), level),
			chromedp.SendKeys(chromedp.CSS(`[id="`+item+`-rationale"]`), "The team's view, discussed"),
			chromedp.Click(chromedp.CSS(`[id="agree-`+item+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="agreed-`+item+`"]`)))
	}
	if got := text(t, pmDevice, `[data-testid="item-wa.access"]`); !strings.Contains(got, "Measure same-day") {
		t.Errorf("the access item has no measure as evidence: %q", got)
	}
	step(t, pmDevice, "close the review", chromedp.Click(chromedp.CSS("#close-review")))
	waitText(t, pmDevice, "Review closed.")
	if got := text(t, pmDevice, `[data-testid="review-status"]`); got != "Closed" {
		t.Errorf("status %q", got)
	}
	step(t, pmDevice, "share it with the Place",
		chromedp.SetValue(chromedp.CSS("#shared"), "place"),
		chromedp.Click(chromedp.CSS("#share-review")))
	waitText(t, pmDevice, "Sharing changed.")
	if got := text(t, pmDevice, `[data-testid="shared"]`); got != "Shared with the PCN and the Place" {
		t.Errorf("shared %q", got)
	}
	screenshot(t, pmDevice, "review-closed")

	signOut(t, staffDevice)
	signIn(t, staffDevice, base, "commissioner@onepc.example")
	step(t, staffDevice, "the commissioner opens the Place's distribution",
		chromedp.Navigate(base+"/orgs/99X/capability"),
		chromedp.Click(chromedp.CSS(`[data-testid="distribution-link"]`)),
		chromedp.WaitVisible(chromedp.CSS("#framework")),
		chromedp.SetValue(chromedp.CSS("#framework"), "gp-development"),
		chromedp.Submit(chromedp.CSS("#framework")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="distribution"]`)))
	if got := text(t, staffDevice, `[data-testid="shared-count"]`); !strings.HasPrefix(got, "1 closed reviews") {
		t.Errorf("distribution %q", got)
	}
	if got := text(t, staffDevice, `[data-testid="tiers"]`); !strings.Contains(got, "RIVERSIDE MEDICAL CENTRE") {
		t.Errorf("tiers %q", got)
	}
	screenshot(t, staffDevice, "capability-distribution")
}

// TestCapabilitySharingLeaksNothing: a review shared only with the PCN is
// counted nowhere above it; a distribution is read only by those who hold a
// role at that level; per-person scores stay with the team; a shipped
// framework cannot be replaced by an upload.
func TestCapabilitySharingLeaksNothing(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newApp(t, s)
	pm, comm := a.as(people.PracticeManager), a.as(people.Commissioner)
	path := reviewPath(t, pm.post("/orgs/Y00001/capability", url.Values{"framework": {"gp-development"}, "year": {"2026"}, "mode": {"facilitated"}}))
	pm.post(path+"/scores", url.Values{"item": {"cap.leadership"}, "level": {"2"}})
	for _, it := range []string{"cap.leadership", "cap.improvement", "cap.business", "en.data", "en.people", "en.digital", "wa.access", "wa.care", "wa.partnership"} {
		pm.post(path+"/agreed", url.Values{"item": {it}, "level": {"2"}, "rationale": {"x"}, "confidence": {"low"}})
	}
	if got := pm.post(path+"/close", nil); got.status != 303 {
		t.Fatalf("close: %d", got.status)
	}
	pm.post(path+"/share", url.Values{"shared": {"pcn"}})
	if got := comm.get("/api/orgs/99X/capability/distribution?framework=gp-development&year=2026"); strings.Contains(got.body, `"shared": 1`) || strings.Contains(got.body, "RIVERSIDE MEDICAL") {
		t.Errorf("the Place counts a review shared only with the PCN: %s", got.body)
	}
	if got := comm.get("/api/orgs/U00001/capability/distribution?framework=gp-development&year=2026"); got.status != 403 {
		t.Errorf("the Place reads the PCN's distribution: %d", got.status)
	}
	if got := a.as(people.PCNManager).get("/api/orgs/U00001/capability/distribution?framework=gp-development&year=2026"); !strings.Contains(got.body, `"shared": 1`) {
		t.Errorf("the PCN does not count the review shared with it: %s", got.body)
	}
	pcnView := a.as(people.PCNManager).get("/api" + path)
	if pcnView.status != 200 || strings.Contains(pcnView.body, "practice.manager@onepc.example") && strings.Contains(pcnView.body, `"scores"`) {
		t.Errorf("the PCN sees who scored what: %d", pcnView.status)
	}
	// Unshared and missing read alike from above.
	pm.post(path+"/share", url.Values{"shared": {""}})
	unshared, missing := comm.get(path), comm.get("/orgs/Y00001/capability/999")
	if unshared.status != 404 || pageText(unshared.body) != pageText(missing.body) {
		t.Errorf("an unshared review reads differently from a missing one:\n%s\n%s", pageText(unshared.body), pageText(missing.body))
	}
	shipped := `{"id":"gp-development","version":9,"title":"Hijacked","source":"x","licence":"x","wording":"x","applies_to":["practice"],
"scale":{"levels":[{"value":1,"label":"No"},{"value":2,"label":"Yes"}]},"low_at":1,"domains":[{"code":"d","title":"D","items":[{"code":"a","question":"A?"}]}]}`
	if got := a.as(people.Admin).upload("/capability/frameworks", "f.json", shipped); got.status != 409 || !strings.Contains(got.body, "shipped with OnePC") {
		t.Errorf("replacing a shipped framework: %d", got.status)
	}
	if got := pm.get(path); !strings.Contains(got.body, "General practice development") {
		t.Errorf("the review's framework changed")
	}
}

// waitText waits until the page shows text: for a form that posts back to
// the page it is on, where waiting for an element finds the old page's.
func waitText(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil && strings.Contains(body, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the page never showed %q", want)
}
