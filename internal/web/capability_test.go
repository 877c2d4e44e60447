package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
			if it == "pcn.money" {
				form.Set("level", "1")
			}
			if it == "pcn.access" {
				form.Set("measure", "dna-rate")
			}
			if got := cd.post(path+"/agreed", form); got.status != 303 {
				t.Fatalf("agree %s: %d %s", it, got.status, pageText(got.body))
			}
		}
		cd.get(path).has(t, "Low: plan an improvement action", "Low items without an action yet: pcn.money")
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
		cd.get(path).has(t, "Closed", "At close: Appointments not attended (DNA)")
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

	upload := func(c *client, body string) result {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf_token", c.csrf)
		fw, _ := mw.CreateFormFile("file", "framework.json")
		io.WriteString(fw, body)
		mw.Close()
		req, _ := http.NewRequest("POST", a.http.URL+"/capability/frameworks", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return result{status: resp.StatusCode, body: string(b), header: resp.Header}
	}
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
