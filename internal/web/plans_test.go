package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// roundForm is a valid form for a round on the demo Place: the Place
// (its commissioner, all), the PCNs (their clinical directors, one in
// four), practices and patient representatives taking part, not signing.
func roundForm(title string) url.Values {
	f := url.Values{"footprint": {"99X"}, "title": {title}, "from_year": {"2027"}, "to_year": {"2029"}, "cap": {"5"},
		"take_place": {"1"}, "sign_place": {"commissioner"}, "need_place": {"all"},
		"take_pcns": {"1"}, "sign_pcns": {"pcn_clinical_director"}, "need_pcns": {"1/4"},
		"take_practices": {"1"}, "sign_practices": {"practice_manager"}, "need_practices": {"none"},
		"take_patients": {"1"}, "need_patients": {"none"}}
	for _, pp := range plans.ChainFrom(now, nil, nil) {
		f.Set("on_"+string(pp.Phase), "1")
		f.Set("start_"+string(pp.Phase), pp.Start.Format(time.DateOnly))
		f.Set("end_"+string(pp.Phase), pp.End.Format(time.DateOnly))
	}
	return f
}

func (r result) status303(t testing.TB, what string) string {
	t.Helper()
	if r.status != 303 {
		t.Fatalf("%s: status %d, want 303: %.400s", what, r.status, r.body)
	}
	return r.header.Get("Location")
}

func (r result) want(t testing.TB, status int, what string, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %.600s", what, r.status, status, r.body)
	}
	r.has(t, contains...)
}

var (
	codeRe  = regexp.MustCompile(`data-testid="join-code">([A-Z0-9]{4}-[A-Z0-9]{4})<`)
	csrfRe  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	shaRe   = regexp.MustCompile(`data-testid="sha">([0-9a-f]{64})<`)
	leakRes = []string{"Consensus score", `"result"`, `data-testid="result"`, `data-testid="screen-result"`, "consensus"}
)

// guestJoin redeems a join code on a fresh client and returns it, with the
// CSRF token its pages carry.
func guestJoin(t *testing.T, a *app, code, name string) *client {
	t.Helper()
	g := a.anon()
	g.post("/join", url.Values{"code": {code}, "name": {name}}).status303(t, "join as "+name)
	page := g.get("/plans/1")
	page.want(t, 200, "guest reads the round", "Taking part as "+name)
	if m := csrfRe.FindStringSubmatch(page.body); m != nil { // a round with nothing to do has no form
		g.csrf = m[1]
	}
	return g
}

// firstEvent reads the live stream until an event names decision.
func firstEvent(t *testing.T, c *client, path string, decision int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.a.http.URL+path, nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") && strings.Contains(line, fmt.Sprintf(`"decision":%d`, decision)) {
			return line
		}
	}
	t.Fatalf("no event for decision %d on %s: %v", decision, path, sc.Err())
	return ""
}

// TestSharedPlanJourney walks a round from opening to adoption through the
// handlers, as the commissioner, a practice manager, a PCN clinical
// director and a guest, with the bad inputs each step must refuse.
func TestSharedPlanJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		comm, pm, cd := a.as(people.Commissioner), a.as(people.PracticeManager), a.as(people.PCNClinicalDirector)

		bad := roundForm(" ")
		start, _ := time.Parse(time.DateOnly, bad.Get("start_deciding"))
		bad.Set("start_deciding", start.AddDate(0, 0, 1).Format(time.DateOnly))
		bad.Set("end_deciding", start.AddDate(0, 0, 1).Format(time.DateOnly))
		comm.post("/plans", bad).want(t, 422, "a bad round", "Enter a title for the round", "must start the day after")
		comm.get("/plans/new").want(t, 200, "the new round form", "Open a planning round")
		pm.post("/plans", roundForm("Mine")).want(t, 403, "a practice manager opening a round")
		if loc := comm.post("/plans", roundForm("Riverside and Vale plan")).status303(t, "open the round"); !strings.HasPrefix(loc, "/plans/1") {
			t.Fatalf("went to %s", loc)
		}
		pm.get("/plans").want(t, 200, "the practice manager's list", "Riverside and Vale plan")

		// Proposals: script refused whole; two good ones.
		pm.post("/plans/1/priorities", url.Values{"title": {"Access"}, "problem": {"<script>alert(1)</script>"}}).
			want(t, 422, "a proposal with script", "looks like web page code")
		pm.post("/plans/1/priorities", url.Values{"title": {"Same-day access for urgent need"}, "problem": {"Patients ring at 8am and are told to ring back."},
			"evidence_population": {"1"}, "evidence_org": {"Y00001"}}).status303(t, "propose 1")
		cd.post("/plans/1/priorities", url.Values{"title": {"Continuity for frail patients"}, "problem": {"Housebound patients see someone new each time."}}).status303(t, "propose 2")
		cd.post("/plans/1/priorities", url.Values{"title": {"A third"}, "problem": {"For the cap."}}).status303(t, "propose 3")
		page := pm.get("/plans/1")
		page.want(t, 200, "the round", "Same-day access", "Registered patients for RIVERSIDE MEDICAL CENTRE:", "Proposed by Sam Patel for Practices")
		pm.post("/plans/1/priorities/1/endorse", nil).want(t, 409, "endorsing one's own", "You proposed this priority")
		pm.post("/plans/1/priorities/2/endorse", nil).status303(t, "endorse")
		pm.post("/plans/1/priorities/2/endorse", nil).want(t, 409, "endorse twice", "endorsed this priority already")

		// Guests by join code.
		comm.post("/plans/1/guests", url.Values{"constituency": {"patients"}, "label": {"PPG"}, "count": {"2"}, "signatory": {"1"}}).
			want(t, 422, "two signatory codes", "is for one guest of the local authority")
		made := comm.post("/plans/1/guests", url.Values{"constituency": {"patients"}, "label": {"PPG"}, "count": {"2"}})
		codes := codeRe.FindAllStringSubmatch(made.body, -1)
		if len(codes) != 2 {
			t.Fatalf("codes made: %v", codes)
		}
		if !strings.Contains(made.body, `src="data:image/png;base64,`) || strings.Contains(made.body, "ZgotmplZ") {
			t.Error("the join codes' QR codes are not drawn")
		}
		comm.get("/plans/1/workshop/screen").want(t, 200, "the room screen, nothing up", `src="data:image/png;base64,`, "/join</strong>")
		a.anon().get("/join?code="+codes[0][1]).want(t, 200, "the join page from a QR code", codes[0][1])
		guest := guestJoin(t, a, codes[0][1], "Pat Jones")
		a.anon().post("/join", url.Values{"code": {codes[0][1]}, "name": {"Someone else"}}).want(t, 409, "a code used twice", "used already")
		a.anon().post("/join", url.Values{"code": {"ZZZZ-ZZZZ"}, "name": {"X"}}).want(t, 422, "a wrong code", "not one we know")
		guest.get("/plans").want(t, 401, "a guest at the list of rounds")
		guest.get("/orgs/Y00001").want(t, 401, "a guest at an organisation")
		guest.get("/plans/2").want(t, 404, "a guest at another round")
		guest.post("/plans/1/priorities", url.Values{"title": {"Talk to us"}, "problem": {"Patients are not asked."}, "csrf_token": {"forged"}}).want(t, 403, "a guest's forged token")
		guest.post("/plans/1/priorities", url.Values{"title": {"Talk to us"}, "problem": {"Patients are not asked."}}).status303(t, "a guest proposes")
		guest.post("/plans/1/priorities/1/comments", url.Values{"comment": {"<b>loud</b>"}}).want(t, 422, "a comment with markup", "looks like web page code")
		guest.post("/plans/1/priorities/1/comments", url.Values{"comment": {"Evening slots would help working patients."}}).status303(t, "a guest comments")
		cd.post("/plans/1/priorities/1/comments", url.Values{"comment": {"Agreed: our hub can take them."}}).status303(t, "a clinical director comments")
		a.as(people.Admin).post("/plans/1/priorities/1/comments", url.Values{"comment": {"From above."}}).want(t, 403, "a comment from someone not taking part")
		pm.get("/plans/1").want(t, 200, "the comments", "Pat Jones (guest)</strong> (Patient representatives", "Evening slots would help working patients.", "2 comments")

		guest.get("/plans/1/workshop").want(t, 200, "the away day with no question up", `data-testid="waiting"`)
		for _, p := range []string{"/api/plans/1", "/api/plans/1/plan", "/plans/1/moderation.csv"} {
			if got := guest.get(p); strings.Contains(got.body, "@onepc.example") {
				t.Errorf("%s shows a guest a staff email address", p)
			}
		}
		// A dot vote, results hidden until close.
		comm.post("/plans/1/decisions", url.Values{"title": {"Which matter most?"}, "method": {"dots"}, "option": {"1", "2", "3"}}).status303(t, "open a dot vote")
		comm.post("/plans/1/decisions", url.Values{"title": {"Nothing"}, "method": {"dots"}, "option": {"99"}}).want(t, 422, "a vote on no open priority", "cannot be decided on")
		comm.post("/plans/1/decisions", url.Values{"title": {""}, "method": {"sense"}, "option": {"2"}, "anonymous": {"1"}}).
			want(t, 422, "a decision with no question", `id="method-sense" name="method" type="radio" value="sense" checked`, `id="option-2" name="option" type="checkbox" value="2" checked`)
		pm.post("/plans/1/decisions/1/vote", url.Values{"dots_1": {"6"}, "dots_2": {"3"}}).want(t, 422, "nine dots of eight", "placed 9 dots but have 8")
		pm.post("/plans/1/decisions/1/vote", url.Values{"dots_1": {"5"}, "dots_2": {"3"}}).status303(t, "the practice manager votes")
		pm.post("/plans/1/decisions/1/vote", url.Values{"dots_1": {"8"}}).want(t, 409, "voting twice", "voted in this decision already")
		cd.post("/plans/1/decisions/1/vote", url.Values{"dots_2": {"8"}, "constituency": {"patients"}}).want(t, 403, "voting for another constituency", "no seat in Patient representatives")
		cd.post("/plans/1/decisions/1/vote", url.Values{"dots_2": {"8"}}).status303(t, "the clinical director votes")
		guest.post("/plans/1/decisions/1/vote", url.Values{"dots_4": {"8"}}).want(t, 422, "a guest voting for an option not on the ballot", "not part of this decision")
		guest.post("/plans/1/decisions/1/vote", url.Values{"dots_2": {"4"}, "dots_3": {"4"}}).status303(t, "the guest votes")
		comm.post("/plans/1/workshop/live", url.Values{"decision": {"1"}}).status303(t, "push to the room")
		for _, c := range []*client{comm, pm, guest} {
			for _, p := range []string{"/plans/1", "/api/plans/1", "/plans/1/decisions/1", "/api/plans/1/decisions/1", "/plans/1/workshop", "/api/plans/1/live", "/plans/1/plan", "/api/plans/1/plan"} {
				got := c.get(p)
				if got.status != 200 {
					t.Errorf("%s: %d", p, got.status)
				}
				for _, leak := range leakRes {
					if strings.Contains(got.body, leak) {
						t.Errorf("%s shows %q while the result is hidden", p, leak)
					}
				}
			}
			c.get("/plans/1/decisions/1/results.csv").want(t, 409, "the export while hidden", "hidden until it closes")
			if ev := firstEvent(t, c, "/plans/1/events", 1); strings.Contains(ev, "onsensus") || !strings.Contains(ev, `"voters":3`) {
				t.Errorf("live event while hidden: %s", ev)
			}
		}
		comm.get("/plans/1/workshop/console").want(t, 200, "the console", "Turnout by constituency", "Which matter most?")
		comm.get("/plans/1/workshop/screen").want(t, 200, "the room screen", "Which matter most?")
		comm.post("/plans/1/decisions/1/paper", url.Values{"constituency": {"patients"}, "count": {"3"}, "reason": {""}, "dots_1": {"8"}}).
			want(t, 422, "paper ballots without a reason", "Enter the reason", `id="paper" open`, `<option value="patients" selected>`)
		comm.post("/plans/1/decisions/1/paper", url.Values{"constituency": {"patients"}, "count": {"3"}, "reason": {"No phones at the PPG table"}, "dots_1": {"8"}}).
			status303(t, "paper ballots")
		comm.post("/plans/1/decisions/1/close", nil).status303(t, "close")
		a.as(people.GP).post("/plans/1/decisions/1/vote", url.Values{"dots_1": {"8"}}).want(t, 409, "a vote after close", "has closed")
		// Now the result shows everywhere: first Same-day access, 5 + 3×8 = 29 dots.
		pm.get("/plans/1/decisions/1").want(t, 200, "the result", "Consensus score", "data-testid=\"result\"")
		comm.get("/plans/1/workshop/screen").want(t, 200, "the room screen's result", `data-testid="screen-result"`, "29 dots")
		comm.get("/plans/1/decisions/1/results.csv").want(t, 200, "the export", "Place,Priority,Consensus score,Dots", "1,Same-day access for urgent need")

		// Adoption under a cap.
		comm.post("/plans/1/phase", url.Values{"from": {"proposing"}}).status303(t, "to shortlisting")
		comm.post("/plans/1/phase", url.Values{"from": {"proposing"}}).want(t, 409, "a stale move", "moved on")
		comm.post("/plans/1/cap", url.Values{"cap": {"2"}, "reason": {"A small plan first"}}).status303(t, "cap of two")
		for _, id := range []string{"1", "2"} {
			comm.post("/plans/1/priorities/"+id+"/moderate", url.Values{"action": {"adopt"}}).status303(t, "adopt "+id)
		}
		comm.post("/plans/1/priorities/3/moderate", url.Values{"action": {"adopt"}}).want(t, 409, "a third under a cap of two", "at most 2 priorities")
		comm.post("/plans/1/priorities/4/moderate", url.Values{"action": {"decline"}}).want(t, 422, "declining without a reason", "Enter the reason")
		comm.post("/plans/1/priorities/4/moderate", url.Values{"action": {"decline"}, "reason": {"Covered by priority 2"}}).status303(t, "decline")
		guest.post("/plans/1/priorities/4/comments", url.Values{"comment": {"Why?"}}).want(t, 409, "a comment on a declined priority", "comments are closed")
		comm.post("/plans/1/priorities/4/moderate", url.Values{"action": {"reopen"}, "reason": {"Declined by mistake"}}).status303(t, "reopen")
		comm.post("/plans/1/priorities/4/moderate", url.Values{"action": {"decline"}, "reason": {"Covered by priority 2, after all"}}).status303(t, "decline again")
		comm.get("/plans/1/moderation.csv").want(t, 200, "the moderation log", "adopt", "decline", "reopen", "Declined by mistake", "Covered by priority 2", "A small plan first")

		// The plan: an indicator read from the data, an action, the text.
		comm.post("/plans/1/phase", url.Values{"from": {"shortlisting"}}).status303(t, "to deciding")
		comm.post("/plans/1/phase", url.Values{"from": {"deciding"}}).status303(t, "to drafting")
		comm.post("/plans/1/objectives/1", url.Values{"what": {"indicator"}, "kind": {"population"}, "org": {"Y00001"}, "direction": {"higher"}, "target_2029": {"lots"}}).
			want(t, 422, "a target that is not a number", "Target for 2029/30")
		comm.post("/plans/1/objectives/1", url.Values{"what": {"indicator"}, "kind": {"population"}, "org": {"Y00001"}, "direction": {"higher"}, "target_2029": {"20,000"}}).
			status303(t, "an indicator")
		comm.post("/plans/1/objectives/1", url.Values{"what": {"action"}, "action_title": {"Triage all same-day requests"}, "action_owner": {"Y00001"}, "person": {"Sam Patel"}, "due": {"2027-09-30"}}).
			status303(t, "an action")
		comm.post("/plans/1/objectives/1", url.Values{"what": {"action"}, "action_title": {"Elsewhere"}, "action_owner": {"Z00001"}, "due": {"2027-09-30"}}).
			want(t, 422, "an action for an organisation outside the round", "taking part in this round")
		comm.post("/plans/1/plan/text", url.Values{"body": {"# Our plan\n\nFirst draft."}, "based_on": {"0"}}).status303(t, "text v1")
		comm.post("/plans/1/plan/text", url.Values{"body": {"# Our plan\n\nMine."}, "based_on": {"0"}}).want(t, 409, "a stale save", "Someone saved version 1")
		comm.post("/plans/1/plan/steps", url.Values{"step": {"Health and Wellbeing Board opinion received"}}).status303(t, "a step")
		comm.post("/plans/1/phase", url.Values{"from": {"drafting"}}).status303(t, "to consulting")
		comm.post("/plans/1/plan/freeze", url.Values{"version": {"1"}}).want(t, 409, "freeze with a step to do", "Health and Wellbeing Board")
		comm.post("/plans/1/plan/steps/1/done", url.Values{"note": {"Letter of 3 March"}}).status303(t, "step done")
		comm.post("/plans/1/plan/freeze", url.Values{"version": {"1"}}).status303(t, "freeze")
		comm.post("/plans/1/phase", url.Values{"from": {"consulting"}}).status303(t, "to signing")
		doc := comm.get("/plans/1/plan")
		doc.want(t, 200, "the plan", "Registered patients, RIVERSIDE MEDICAL CENTRE", "Triage all same-day requests", "frozen for signing")
		sha1 := shaRe.FindStringSubmatch(doc.body)[1]
		comm.post("/plans/1/plan/sign", url.Values{"version": {"1"}, "sha256": {sha1}, "org": {"99X"}}).status303(t, "the Place signs v1")
		comm.post("/plans/1/plan/text", url.Values{"body": {"# Our plan\n\nSecond draft."}, "based_on": {"1"}}).status303(t, "text v2")
		cd.post("/plans/1/plan/sign", url.Values{"version": {"1"}, "sha256": {sha1}, "org": {"U00001"}}).want(t, 409, "signing with no version frozen", "no version frozen")
		comm.post("/plans/1/plan/freeze", url.Values{"version": {"2"}}).status303(t, "freeze v2")
		cd.post("/plans/1/plan/sign", url.Values{"version": {"1"}, "sha256": {sha1}, "org": {"U00001"}}).want(t, 409, "signing a version since changed", "version 2 is now the one to sign")
		pm.post("/plans/1/plan/sign", url.Values{"version": {"2"}, "sha256": {plans.Hash("# Our plan\n\nSecond draft.")}, "org": {"Y00001"}}).
			want(t, 403, "a practice manager signing where practices do not sign", "do not sign")
		sha2 := plans.Hash("# Our plan\n\nSecond draft.")
		cd.post("/plans/1/plan/sign", url.Values{"version": {"2"}, "sha256": {sha2}, "org": {"U00001"}}).status303(t, "a PCN signs v2")
		if loc := comm.post("/plans/1/plan/sign", url.Values{"version": {"2"}, "sha256": {sha2}, "org": {"99X"}}).status303(t, "the Place signs v2"); !strings.Contains(loc, "done=adopted") {
			t.Errorf("the last signature went to %s, want the adopted notice", loc)
		}
		comm.get("/plans/1/plan?from=1&to=2").want(t, 200, "the adopted plan", "Adopted", `data-testid="diff"`, "Second draft.")
		comm.post("/plans/1/publish", nil).status303(t, "publish")
		comm.post("/plans/1/objectives/1", url.Values{"what": {"owner"}, "owner": {"Y00001"}}).want(t, 409, "changing a signed plan's objective", "only while the round is")
		comm.post("/plans/1/plan/steps", url.Values{"step": {"After the event"}}).want(t, 409, "a step after adoption", "only while the round is")
		// Mistyped codes slow down those codes, not the room: the right
		// code from the same address still lets its guest in.
		for i := range 6 {
			a.anon().post("/join", url.Values{"code": {fmt.Sprintf("ZZZZ-ZZZ%d", i+2)}, "name": {"X"}})
		}
		guestJoin(t, a, codes[1][1], "Second guest")
		pm.get("/orgs/Y00001/plans").want(t, 200, "what the practice committed to", "Same-day access for urgent need", "Triage all same-day requests")
		comm.get("/orgs/99X/plans").want(t, 200, "the Place's roll-up", `data-testid="rollup"`)
		comm.get("/plans/1/plan.csv").want(t, 200, "the plan export", "Objective,Owner,Row", "Triage all same-day requests")
		entries, _, err := s.AuditEntries(t.Context(), store.AuditQuery{All: true, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var signed, votes int
		for _, e := range entries {
			switch e.Action {
			case "sign plan":
				signed++
			case "vote":
				votes++
				if strings.Contains(string(e.After), "dots") {
					t.Errorf("the audit log says how someone voted: %s", e.After)
				}
			}
		}
		if signed != 3 || votes != 3 {
			t.Errorf("audited %d signatures and %d votes, want 3 and 3", signed, votes)
		}
	})
}

// TestDemoPlans checks the demo's shared plans as users meet them: an
// adopted plan whose indicators read the demo's data (two on track, one
// behind, one off track, one awaiting data), a round deciding with a closed
// dot vote and an open score vote whose result is hidden, a printed guest
// code that works, and rounds proposing and consulting.
func TestDemoPlans(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	if _, err := demo.LoadAll(t.Context(), a.store, now); err != nil {
		t.Fatal(err)
	}
	comm := a.as(people.Commissioner)
	var list struct {
		Rounds []plans.Round `json:"rounds"`
	}
	if err := json.Unmarshal([]byte(comm.get("/api/plans").body), &list); err != nil {
		t.Fatal(err)
	}
	phases := map[plans.Phase]int64{}
	for _, r := range list.Rounds {
		phases[r.Phase] = r.ID
	}
	for _, p := range plans.Phases { // a round in every phase
		if phases[p] == 0 {
			t.Errorf("no demo round %s: %+v", p, phases)
		}
	}
	var doc struct {
		Objectives []struct {
			Indicators []struct {
				Progress plans.Progress `json:"progress"`
			} `json:"indicators"`
		} `json:"objectives"`
		Adopted bool `json:"adopted"`
	}
	got := comm.get(fmt.Sprintf("/api/plans/%d/plan", phases[plans.Adopted]))
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
		t.Fatal(err, got.body)
	}
	rag := map[string]int{}
	for _, ob := range doc.Objectives {
		for _, ind := range ob.Indicators {
			rag[ind.Progress.RAG]++
		}
	}
	if len(doc.Objectives) != 5 || !doc.Adopted || rag["green"] != 2 || rag["amber"] != 1 || rag["red"] != 1 || rag["awaiting"] != 1 {
		t.Errorf("adopted plan: %d objectives, adopted %v, RAG %v", len(doc.Objectives), doc.Adopted, rag)
	}
	comm.get(fmt.Sprintf("/plans/%d/plan", phases[plans.Adopted])).want(t, 200, "the adopted plan", "Awaiting the next appointments publication", "Off track", "Published")
	deciding := phases[plans.Deciding]
	var round struct {
		Decisions []plans.Decision `json:"decisions"`
	}
	if err := json.Unmarshal([]byte(comm.get(fmt.Sprintf("/api/plans/%d", deciding)).body), &round); err != nil {
		t.Fatal(err)
	}
	if len(round.Decisions) != 3 || !round.Decisions[0].Closed || round.Decisions[1].Closed || round.Decisions[1].Method != "score" {
		t.Fatalf("deciding round's decisions: %+v", round.Decisions)
	}
	comm.get(fmt.Sprintf("/plans/%d/decisions/%d", deciding, round.Decisions[0].ID)).want(t, 200, "the closed dot vote", "Consensus score")
	open := comm.get(fmt.Sprintf("/plans/%d/decisions/%d", deciding, round.Decisions[1].ID))
	open.want(t, 200, "the open score vote", "Results are hidden until the vote closes")
	if strings.Contains(open.body, "Consensus score") {
		t.Error("the open score vote shows its result")
	}
	g := a.anon()
	if loc := g.post("/join", url.Values{"code": {demo.GuestCodes[0].Code}, "name": {"Demo Guest"}}).status303(t, "a printed guest code"); loc != fmt.Sprintf("/plans/%d", deciding) {
		t.Errorf("the guest went to %s", loc)
	}
	g.get(roundPath(deciding)).want(t, 200, "the guest's round", "Taking part as Demo Guest (guest)")
	comm.get(fmt.Sprintf("/plans/%d/workshop/console", deciding)).want(t, 200, "the console, ready", "Nothing is on screen", "Away day: is the shortlist right?")
}

func roundPath(round int64) string { return fmt.Sprintf("/plans/%d", round) }

// planRoutes are the GET routes of a round, with its ids filled in, as pages
// and (where served) as JSON; the live stream is read on its own.
func planRoutes(a *app) []string {
	var out []string
	for _, rt := range a.srv.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		if method != "GET" || !strings.HasPrefix(pattern, "/plans/{id}") || pattern == "/plans/{id}/events" {
			continue
		}
		p := strings.NewReplacer("{id}", "1", "{did}", "1").Replace(pattern)
		out = append(out, p)
		if rt.API {
			out = append(out, "/api"+p)
		}
	}
	return out
}

// TestHiddenResultsNeverLeak reads every page, JSON answer and export of a
// round and its live stream, as the facilitator, a participant who voted
// and a guest, while a vote with hidden results is open: none may show a
// count; once it closes, the decision's page, export and screen do.
func TestHiddenResultsNeverLeak(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm, pm := a.as(people.Commissioner), a.as(people.PracticeManager)
	comm.post("/plans", roundForm("Leak test")).status303(t, "open")
	for _, title := range []string{"Alpha", "Beta"} {
		pm.post("/plans/1/priorities", url.Values{"title": {title}, "problem": {"Because."}}).status303(t, "propose")
	}
	codes := codeRe.FindAllStringSubmatch(comm.post("/plans/1/guests", url.Values{"constituency": {"patients"}, "label": {"PPG"}}).body, -1)
	guest := guestJoin(t, a, codes[0][1], "Pat")
	comm.post("/plans/1/decisions", url.Values{"title": {"Agree?"}, "method": {"proposal"}, "option": {"1", "2"}, "anonymous": {"1"}}).status303(t, "open")
	pm.post("/plans/1/decisions/1/vote", url.Values{"answer_1": {"0"}, "answer_2": {"3"}}).status303(t, "vote")
	guest.post("/plans/1/decisions/1/vote", url.Values{"answer_1": {"2"}, "answer_2": {"0"}}).status303(t, "guest vote")
	comm.post("/plans/1/workshop/live", url.Values{"decision": {"1"}}).status303(t, "push")
	routes := planRoutes(a)
	if len(routes) < 10 {
		t.Fatalf("only %d plan routes: %v", len(routes), routes)
	}
	// What only a count shows: the answers' tallies, blocks, support.
	leaks := append(leakRes, "Agree 1", "1 block", `"counts"`, `"by_constituency"`, "Support by constituency")
	for _, c := range []*client{comm, pm, guest} {
		for _, p := range routes {
			got := c.get(p)
			// Every page answers whole, so that each is read for leaks: all
			// but the result export, refused while hidden.
			facilitatorOnly := strings.Contains(p, "/workshop/console") || strings.Contains(p, "/workshop/screen")
			switch {
			case strings.HasSuffix(p, "results.csv") && got.status == 409:
			case facilitatorOnly && c != comm && (got.status == 401 || got.status == 403):
			case got.status != 200:
				t.Errorf("%s: %d, want 200", p, got.status)
			}
			for _, leak := range leaks {
				if strings.Contains(got.body, leak) {
					t.Errorf("%s shows %q while the result is hidden", p, leak)
				}
			}
		}
		if ev := firstEvent(t, c, "/plans/1/events", 1); strings.Contains(ev, "counts") || strings.Contains(ev, "onsensus") {
			t.Errorf("the live stream shows a count: %s", ev)
		}
	}
	// Anonymous: the roll names who voted; the ballots name nobody.
	var d struct {
		Roll []struct {
			Name string `json:"name"`
		} `json:"voter_roll"`
	}
	if err := json.Unmarshal([]byte(comm.get("/api/plans/1/decisions/1").body), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Roll) != 2 {
		t.Errorf("the voter roll: %+v", d.Roll)
	}
	comm.post("/plans/1/decisions", url.Values{"title": {"Yes?"}, "method": {"dots"}, "option": {"1", "2"}, "anonymous": {"yes"}}).
		want(t, 422, "an anonymous box sent as yes", "send true or false")
	a.as(people.GP).post("/plans/1/decisions/1/vote", url.Values{"answer_1": {"0"}, "answer_2": {"0"}}).status303(t, "a third voter")
	comm.post("/plans/1/decisions/1/close", nil).status303(t, "close")
	pm.get("/plans/1/decisions/1").want(t, 200, "the result after close", "Consensus score", "1 block",
		"not shown (fewer than 3 voters)") // the patients had one voter: how they voted stays theirs
	// An anonymous vote with fewer than three voters shows no count at all.
	comm.post("/plans/1/decisions", url.Values{"title": {"Small?"}, "method": {"sense"}, "option": {"1"}, "anonymous": {"1"}}).status303(t, "a small vote")
	pm.post("/plans/1/decisions/2/vote", url.Values{"answer_1": {"2"}}).status303(t, "one voter")
	comm.post("/plans/1/decisions/2/close", nil).status303(t, "close the small vote")
	small := comm.get("/plans/1/decisions/2")
	small.want(t, 200, "the small vote", `data-testid="withheld"`)
	if strings.Contains(small.body, "Consensus score") {
		t.Error("an anonymous vote of one shows its count")
	}
	guest.get("/plans/1/decisions/1/results.csv").want(t, 200, "the export after close", "Agree,Abstain,Disagree,Block")
}

// TestGuestsReachTheirRoundOnly walks the route table as a guest: every
// route not open to guests answers as to someone signed out, and the guest
// routes of another round find nothing.
func TestGuestsReachTheirRoundOnly(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	comm.post("/plans", roundForm("Theirs")).status303(t, "open 1")
	comm.post("/plans", roundForm("Another")).status303(t, "open 2")
	codes := codeRe.FindAllStringSubmatch(comm.post("/plans/1/guests", url.Values{"constituency": {"patients"}, "label": {"PPG"}, "count": {"2"}}).body, -1)
	guest := guestJoin(t, a, codes[0][1], "Pat")
	for _, rt := range a.srv.Routes() {
		if rt.Perm == "" {
			continue
		}
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		if pattern == "/plans/{id}/events" {
			continue // a stream: read on its own below
		}
		path := strings.NewReplacer("{code}", "Y00001", "{id}", "2", "{did}", "1", "{pid}", "1", "{oid}", "1", "{aid}", "1", "{sid}", "1",
			"{month}", "2026-10", "{run}", "1", "{$}", "").Replace(pattern)
		got := guest.do(method, path, url.Values{"csrf_token": {guest.csrf}})
		switch {
		case !rt.Guest && got.status != 401:
			t.Errorf("%s %s as a guest: %d, want 401", method, path, got.status)
		case rt.Guest && got.status != 404:
			t.Errorf("%s %s (another round) as a guest: %d, want 404", method, path, got.status)
		}
	}
	if got := guest.get("/plans/2/events"); got.status != 404 {
		t.Errorf("another round's stream: %d", got.status)
	}
	// Codes cannot be guessed: after store.MaxJoinFailures wrong codes an
	// address is refused for a while, even with a right one.
	for i := range store.MaxJoinFailures {
		const abc = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
		a.anon().post("/join", url.Values{"code": {"ZZZZ-Z" + string(abc[i%31]) + string(abc[i/31]) + "Z"}, "name": {"X"}}).want(t, 422, "a wrong code")
	}
	a.anon().post("/join", url.Values{"code": {codes[1][1]}, "name": {"Late"}}).want(t, 429, "a right code after many wrong ones", "Too many wrong codes")
}

// TestSeedPrioritiesFromCSV: a file of priorities is added whole, or, with
// a broken line, refused whole, naming the line and column.
func TestSeedPrioritiesFromCSV(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	comm := a.as(people.Commissioner)
	comm.post("/plans", roundForm("Seeded")).status303(t, "open")
	good, err := os.ReadFile("testdata/plan_seeds.csv")
	if err != nil {
		t.Fatal(err)
	}
	broken := string(good) + ",A line with no title\n"
	comm.upload("/plans/1/priorities/seed", "seeds.csv", broken).want(t, 422, "a broken line", "seeds.csv: line 4, column 1 (Title): Enter a title")
	if got := comm.get("/plans/1"); !strings.Contains(got.body, `data-testid="no-priorities"`) {
		t.Error("a refused file added priorities")
	}
	comm.upload("/plans/1/priorities/seed", "seeds.csv", string(good)).status303(t, "the seeds")
	comm.get("/plans/1").want(t, 200, "the seeded round", "Same-day access for urgent need", "Continuity for frail patients", "seeded from seeds.csv")
	a.as(people.PracticeManager).upload("/plans/1/priorities/seed", "seeds.csv", string(good)).want(t, 403, "a practice manager seeding")
}
