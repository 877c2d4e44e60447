package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
	"github.com/onepc/onepc/internal/web"
)

func TestPages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	anon := a.anon()

	t.Run("login page and bad sign-ins", func(t *testing.T) {
		got := anon.get("/login")
		if got.status != 200 {
			t.Fatalf("login page: %d", got.status)
		}
		got.has(t, "Sign in to OnePC", `name="email"`)
		tests := []struct {
			email, password string
			status          int
			want            string
		}{
			{"", "", 422, "Enter your email address"},
			{"commissioner@onepc.example", "wrong password", 401, "The email address or password is not right"},
			{"nobody@onepc.example", "wrong password", 401, "The email address or password is not right"},
		}
		for _, tc := range tests {
			got := anon.post("/login", url.Values{"email": {tc.email}, "password": {tc.password}})
			if got.status != tc.status {
				t.Errorf("%q: status %d, want %d", tc.email, got.status, tc.status)
			}
			got.has(t, tc.want, "There is a problem")
		}
	})

	t.Run("throttling", func(t *testing.T) {
		for i := 0; i < store.MaxLoginFailures; i++ {
			anon.post("/login", url.Values{"email": {"practice.staff@onepc.example"}, "password": {"nope"}})
		}
		got := anon.post("/login", url.Values{"email": {"practice.staff@onepc.example"}, "password": {demo.Password}})
		if got.status != 429 {
			t.Errorf("after %d failures even the right password gets %d, want 429", store.MaxLoginFailures, got.status)
		}
		got.has(t, "too many failed attempts", "Wait 15 minutes")
	})

	t.Run("sign in redirects to where the person was going", func(t *testing.T) {
		c := a.anon()
		got := c.post("/login", url.Values{"email": {"commissioner@onepc.example"}, "password": {demo.Password}, "next": {"/orgs/U00002"}})
		if got.status != 303 || got.header.Get("Location") != "/orgs/U00002" {
			t.Errorf("got %d to %q", got.status, got.header.Get("Location"))
		}
		got = c.post("/login", url.Values{"email": {"commissioner@onepc.example"}, "password": {demo.Password}, "next": {"//evil.example"}})
		if got.header.Get("Location") != "/" {
			t.Errorf("open redirect to %q", got.header.Get("Location"))
		}
		ck := got.header.Get("Set-Cookie")
		for _, flag := range []string{"HttpOnly", "SameSite=Lax", "onepc_session="} {
			if !strings.Contains(ck, flag) {
				t.Errorf("session cookie %q lacks %s", ck, flag)
			}
		}
	})

	t.Run("home per role", func(t *testing.T) {
		for role, want := range map[people.Role]string{
			people.PracticeManager: "Local services and claims",
			people.Commissioner:    "Services you commission",
			people.Admin:           "Users and roles",
		} {
			if role != people.Admin {
				want += "\x00No appointments data has been loaded yet"
			}
			got := a.as(role).get("/")
			if got.status != 200 {
				t.Fatalf("%s home: %d", role, got.status)
			}
			got.has(t, append([]string{"Your organisations", "To do now"}, strings.Split(want, "\x00")...)...)
			if strings.Contains(got.body, "Not available yet") {
				t.Errorf("%s home says something is not available", role)
			}
		}
	})

	t.Run("home says what to do now", func(t *testing.T) {
		b := newApp(t, storetest.Open(t, "sqlite"))
		if _, err := demo.LoadAll(t.Context(), b.store, now); err != nil {
			t.Fatal(err)
		}
		pm := b.as(people.PracticeManager).get("/")
		pm.has(t, `data-testid="todo"`, "RIVERSIDE MEDICAL CENTRE: your commissioner asked about a claim on October 2026", "is overdue: it was due by",
			"November 2024 to October 2026 loaded.", "overdue: see My week", `href="/my-week"`)
		// A practice with a sustained decline in a measure is told so.
		u, err := b.store.UserByEmail(t.Context(), "practice.manager@onepc.example")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.store.GrantRole(t.Context(), "test", u.ID, people.PracticeManager, "Y00020"); err != nil {
			t.Fatal(err)
		}
		alerts := b.as(people.PracticeManager).get("/")
		if !regexp.MustCompile(`: a sustained decline in “[^”]+” since [A-Z][a-z]+ 20\d\d \(average percentile \d+ in its first year, \d+ since\)`).MatchString(alerts.body) {
			t.Errorf("no decline on the home page: %s", pageText(alerts.body)[:min(1200, len(pageText(alerts.body)))])
		}
		comm := b.as(people.Commissioner).get("/")
		comm.has(t, `data-testid="todo"`, "wait for your review", `href="/orgs/99X/claims?status=submitted"`)
		fin := b.as(people.FinanceOfficer).get("/")
		if !strings.Contains(fin.body, "for finance approval") && !strings.Contains(fin.body, `data-testid="todo-none"`) {
			t.Errorf("finance officer's home: %s", pageText(fin.body))
		}
	})

	t.Run("organisation pages as at a date", func(t *testing.T) {
		c := a.as(people.Commissioner)
		place := c.get("/orgs/99X")
		place.has(t, "RIVERSIDE PCN", "HILLTOP PCN", "VALE MARKET TOWNS PCN", "HARBOUR AND COAST PCN", "QUAYSIDE SURGERY", "Closed", "<svg")
		now := c.get("/orgs/U00001")
		before := c.get("/orgs/U00001?on=2025-03-01")
		now.has(t, "ORCHARD SURGERY")
		if strings.Contains(before.body, "ORCHARD SURGERY") {
			t.Error("ORCHARD SURGERY shows in Riverside PCN before its move")
		}
		practice := c.get("/orgs/" + demo.MovedPractice)
		practice.has(t, "PCN membership", "HILLTOP PCN", "31 March 2025", "1 April 2025", "Registered patients")
		if got := c.get("/orgs/U00001?on=31-03-2025"); got.status != 422 {
			t.Errorf("bad date: %d", got.status)
		} else {
			got.has(t, "Enter a real date")
		}
		browse := c.get("/orgs?q=surgery&kind=practice")
		browse.has(t, "Showing 1 to", "QUAYSIDE SURGERY")
		if strings.Contains(browse.body, "FARAWAY") {
			t.Error("search shows an organisation out of scope")
		}
		if got := c.get("/orgs?kind=planet"); got.status != 422 {
			t.Errorf("bad kind: %d", got.status)
		}
		if got := c.get("/orgs?q=zzzz"); !strings.Contains(got.body, "No organisations you can see match") {
			t.Error("no empty state for a search with no results")
		}
	})

	t.Run("JSON API beside the pages", func(t *testing.T) {
		c := a.as(people.PCNManager)
		got := c.get("/api/orgs/U00001?on=2025-03-01")
		var d struct {
			Org      struct{ Code, Name string }
			Children []struct {
				Code      string `json:"code"`
				ListTotal int    `json:"list_total"`
			}
		}
		if err := json.Unmarshal([]byte(got.body), &d); err != nil || d.Org.Code != "U00001" {
			t.Fatalf("api org: %d %v %s", got.status, err, got.body)
		}
		var codes []string
		for _, ch := range d.Children {
			codes = append(codes, ch.Code)
		}
		if slices.Contains(codes, demo.MovedPractice) || len(codes) != 5 {
			t.Errorf("members on 2025-03-01 = %v, want the five before the move", codes)
		}
		if got := c.get("/api/orgs/U00002"); got.status != 403 || !strings.Contains(got.body, `"error"`) {
			t.Errorf("api out of scope: %d %s", got.status, got.body)
		}
		if got := a.anon().get("/api/me"); got.status != 401 || !strings.Contains(got.body, `"error"`) {
			t.Errorf("api signed out: %d %s", got.status, got.body)
		}
	})

	t.Run("user admin", func(t *testing.T) {
		admin := a.as(people.Admin)
		a.as(people.Admin).get("/admin/users").has(t, "Sam Patel", "Add a user")
		bad := admin.post("/admin/users", url.Values{"email": {"not-an-email"}, "name": {""}, "password": {"short"}})
		if bad.status != 422 {
			t.Errorf("bad user: %d", bad.status)
		}
		bad.has(t, "There is a problem", `href="#email"`, "Enter an email address", "Enter the person&#39;s full name", "at least 10 characters")
		dup := admin.post("/admin/users", url.Values{"email": {"admin@onepc.example"}, "name": {"X"}, "password": {"long enough pw"}})
		if dup.status != 409 {
			t.Errorf("duplicate user: %d", dup.status)
		}
		ok := admin.post("/admin/users", url.Values{"email": {"New.Person@Example.org"}, "name": {"New Person"}, "password": {"long enough pw"}})
		if ok.status != 303 || !strings.Contains(ok.header.Get("Location"), "?done=added") {
			t.Fatalf("add user: %d %s", ok.status, ok.body)
		}
		userPath := strings.Split(ok.header.Get("Location"), "?")[0]
		admin.get(ok.header.Get("Location")).has(t, "User added", "new.person@example.org", "has no roles yet")

		for _, tc := range []struct {
			role, org string
			status    int
			want      string
		}{
			{"", "", 422, "Choose a role"},
			{"practice_manager", "U00001", 422, "can only be given at a GP practice"},
			{"practice_manager", "NOPE1", 422, "There is no organisation with the code NOPE1"},
			{"practice_manager", "Z00001", 403, "not one of them"},
			{"practice_manager", "y00003", 303, ""},
			{"practice_manager", "Y00003", 422, "is already Practice manager"},
		} {
			got := admin.post(userPath+"/grants", url.Values{"role": {tc.role}, "org": {tc.org}})
			if got.status != tc.status {
				t.Errorf("grant %s at %s: %d, want %d", tc.role, tc.org, got.status, tc.status)
			}
			got.has(t, tc.want)
		}
		admin.get(userPath).has(t, "Practice manager", "THE WILLOWS HEALTH CENTRE", "Take away")
		if got := admin.post(userPath+"/grants/revoke", url.Values{"role": {"practice_manager"}, "org": {"Y00003"}}); got.status != 303 {
			t.Errorf("revoke: %d", got.status)
		}
		// Changes reach the audit log, and the chain holds.
		audit := admin.get("/admin/audit?verify=1")
		audit.has(t, "session.start", "user.add", "user.grant", "user.revoke", "new.person@example.org", "Intact")
		older := admin.get("/admin/audit?before=60")
		older.has(t, "entries")
		if got := admin.get("/api/admin/users?q=new"); !strings.Contains(got.body, `"email": "new.person@example.org"`) {
			t.Errorf("users API: %s", got.body)
		}
	})

	t.Run("ended session", func(t *testing.T) {
		c := a.as(people.PracticeManager)
		c.get("/orgs/Y00001") // the server now holds the session in memory
		a.store.SetClock(func() time.Time { return now.Add(store.SessionIdle + time.Minute) })
		defer a.store.SetClock(func() time.Time { return now })
		// Servers keep a session for up to a minute while nothing changes;
		// any write (here, a role given to someone else) makes them look again.
		a.store.GrantRole(t.Context(), "test", 1, people.PracticeStaff, "Y00002")
		got := c.get("/orgs/Y00001")
		if got.status != 401 {
			t.Errorf("ended session: %d, want 401", got.status)
		}
		got.has(t, "Your session has ended", `name="next" value="/orgs/Y00001"`)
	})

	t.Run("health, headers and assets", func(t *testing.T) {
		got := anon.get("/healthz")
		if got.status != 200 || got.body != "ok\n" {
			t.Errorf("healthz: %d %q", got.status, got.body)
		}
		csp := got.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q", csp)
		}
		for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if got.header.Get(h) == "" {
				t.Errorf("missing %s", h)
			}
		}
		page := anon.get("/login")
		i := strings.Index(page.body, "/assets/nhsuk-frontend.min.css?v=")
		if i < 0 {
			t.Fatal("no hashed stylesheet link")
		}
		href := page.body[i : i+strings.Index(page.body[i:], `"`)]
		css := anon.get(href)
		if css.status != 200 || !strings.Contains(css.header.Get("Cache-Control"), "immutable") || !strings.Contains(css.body, "nhsuk-header") {
			t.Errorf("stylesheet: %d %q", css.status, css.header.Get("Cache-Control"))
		}
		if got := anon.get("/assets/images/nhsuk-icon-arrow-down.svg"); got.status != 200 {
			t.Errorf("icon the stylesheet uses: %d", got.status)
		}
		if strings.Contains(page.body, "<script>") || strings.Contains(page.body, " style=") {
			t.Error("page has inline script or style, which the CSP forbids")
		}
	})

	t.Run("population pages", func(t *testing.T) {
		pm := a.as(people.PracticeManager)
		got := pm.get("/orgs/Y00001/population")
		if got.status != 200 {
			t.Fatalf("practice population: %d", got.status)
		}
		got.has(t, "Population of RIVERSIDE MEDICAL CENTRE", `data-testid="pyramid"`, `data-testid="pyramid-table"`,
			"Place male %", "All 23 practices loaded", "Change over a year", "Aged 85 and over", "1 November 2025", "List size over time")
		if got := pm.get("/orgs/Y00001/population?extract=2019-01-01"); got.status != 422 {
			t.Errorf("unknown extract: %d", got.status)
		}
		if got := pm.get("/orgs/Y00007/population"); got.status != 403 {
			t.Errorf("another practice's population: %d", got.status)
		}
		// A practice only in an older extract (it closed) shows that one, not 0 patients.
		if _, err := a.store.ImportPopulation(t.Context(), "test", "old.csv", &population.Extract{Date: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC),
			Practices: []population.Practice{{Code: demo.ClosedPractice, Total: 3456}}}); err != nil {
			t.Fatal(err)
		}
		a.as(people.Commissioner).get("/orgs/"+demo.ClosedPractice+"/population").has(t, "1 September 2025", "3,456")

		c := a.as(people.Commissioner)
		place := c.get("/orgs/99X/population?sort=list&dir=desc")
		place.has(t, "Practices compared", "Download as CSV", `aria-sort="descending"`)
		var d struct {
			Summary struct {
				Patients int `json:"patients"`
				Weighted int `json:"weighted_patients"`
			}
			Practices []struct {
				Code     string
				Patients int
			}
		}
		api := c.get("/api/orgs/99X/population?sort=list&dir=desc")
		if err := json.Unmarshal([]byte(api.body), &d); err != nil || len(d.Practices) != 23 {
			t.Fatalf("population API: %v, %d practices", err, len(d.Practices))
		}
		for i := 1; i < len(d.Practices); i++ {
			if d.Practices[i].Patients > d.Practices[i-1].Patients {
				t.Errorf("not sorted by list, largest first, at %d", i)
			}
		}
		// With every practice loaded in one Place, weighting moves patients
		// between practices but keeps the total (give or take rounding).
		if diff := d.Summary.Weighted - d.Summary.Patients; diff < -23 || diff > 23 {
			t.Errorf("Place weighted %d vs registered %d", d.Summary.Weighted, d.Summary.Patients)
		}
		csv := c.get("/orgs/99X/population.csv?sort=name")
		if !strings.Contains(csv.header.Get("Content-Disposition"), "population-99X-2026-11-01.csv") {
			t.Errorf("CSV disposition %q", csv.header.Get("Content-Disposition"))
		}
		golden(t, "population-99X.csv", csv.body)

		c.get("/orgs/99X/weights").has(t, "Save weights", "OnePC default", "not the official values")
		pm.get("/orgs/Y00001/weights").has(t, "Weights are set for a Place or an ICB")
		bad := c.post("/orgs/99X/weights", weightsForm(map[string]string{"F17": "lots"}))
		if bad.status != 422 {
			t.Errorf("bad weight: %d", bad.status)
		}
		bad.has(t, "Enter the weight for females aged 85–89", `href="#F17"`)
		if got := c.post("/orgs/99X/weights", weightsForm(map[string]string{"F17": "1", "F18": "1", "F19": "1", "M17": "1", "M18": "1", "M19": "1"})); got.status != 303 {
			t.Fatalf("save weights: %d %s", got.status, got.body)
		}
		c.get("/orgs/99X/weights?done=saved").has(t, "Weights saved", "set at <a href=\"/orgs/99X\">")
		if got := c.post("/orgs/Z00001/weights", weightsForm(nil)); got.status != 403 {
			t.Errorf("weights out of scope: %d", got.status)
		}
		if got := c.post("/orgs/99X/weights", url.Values{"reset": {"1"}}); got.status != 303 {
			t.Errorf("reset weights: %d", got.status)
		}
		if _, from, _ := a.store.Weights(t.Context(), "99X", now); from != "" {
			t.Errorf("after reset, weights from %q", from)
		}
		if n, err := a.store.VerifyAudit(t.Context()); err != nil || n == 0 {
			t.Errorf("audit after weights: %v", err)
		}
	})

}

// weightsForm is the default weights as a form, with some changed.
func weightsForm(change map[string]string) url.Values {
	f := url.Values{}
	w := population.DefaultWeights()
	for _, sx := range population.Sexes {
		for b, v := range w[sx] {
			f.Set(fmt.Sprintf("%s%d", sx.Code(), b), fmt.Sprintf("%d.%03d", v/1000, v%1000))
		}
	}
	for k, v := range change {
		f.Set(k, v)
	}
	return f
}

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; run go test -update after checking the change.\ngot:\n%s", name, got)
	}
}

// TestTwoServersShareSessions: two servers on one database, as behind a load
// balancer: a session works on both, and signing out on one ends it on the
// other at once, whatever either holds in memory.
func TestTwoServersShareSessions(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	other, err := web.New(web.Config{Store: a.store, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	b := httptest.NewServer(other.Handler())
	defer b.Close()
	c := a.as(people.Commissioner)
	onB := func() int {
		req, _ := http.NewRequest("GET", b.URL+"/orgs/99X", nil)
		for _, ck := range c.http.Jar.Cookies(mustURL(a.http.URL)) {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := onB(); got != 200 {
		t.Fatalf("the session on the second server: %d", got)
	}
	onB() // now held in the second server's memory
	if got := c.post("/logout", nil); got.status != 303 {
		t.Fatalf("sign out: %d", got.status)
	}
	if got := onB(); got != 401 {
		t.Errorf("after signing out on the first server, the second answers %d, want 401", got)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestDemoMarker: every page served from a demo database says its data is
// synthetic (and files and JSON carry a header saying so); a real
// database's pages do not.
func TestDemoMarker(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	pm := a.as(people.PracticeManager)
	for _, path := range []string{"/", "/orgs/Y00001", "/orgs/Y00001/population", "/orgs/Y00001/access", "/measures", "/orgs/Y00001/returns"} {
		got := pm.get(path)
		if !strings.Contains(got.body, `data-testid="demo-banner"`) || !strings.Contains(got.body, "made up (synthetic)") {
			t.Errorf("%s: no demo banner (%d)", path, got.status)
		}
	}
	pm.get("/orgs/Y00001/population").has(t, "Source: synthetic demonstration data shaped like NHS England")
	if got := pm.get("/api/orgs/Y00001"); got.header.Get("OnePC-Data") != "synthetic demonstration data" {
		t.Errorf("JSON without the demo header: %q", got.header.Get("OnePC-Data"))
	}
	real := storetest.Open(t, "sqlite")
	srv, err := web.New(web.Config{Store: real, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(srv.Handler())
	defer h.Close()
	resp, err := http.Get(h.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "demo-banner") || resp.Header.Get("OnePC-Data") != "" {
		t.Error("a real database's page says its data is a demo")
	}
	if !strings.Contains(string(body), "Sign in") {
		t.Errorf("the sign-in page: %d %.300s", resp.StatusCode, body)
	}
}

// TestInformationPages: the accessibility statement, privacy notice,
// cookies page and help are there for anyone, linked from every page; the
// service status says which build, engine and schema are running.
func TestInformationPages(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	anon := a.anon()
	for path, want := range map[string]string{
		"/accessibility": "Accessibility statement for OnePC",
		"/privacy":       "No patient's information",
		"/cookies":       "onepc_session",
		"/help":          "Monthly returns",
	} {
		got := anon.get(path)
		if got.status != 200 || !strings.Contains(got.body, want) || !strings.Contains(got.body, `href="/status"`) {
			t.Errorf("%s: %d, %q there: %v", path, got.status, want, strings.Contains(got.body, want))
		}
	}
	// Signed out: working or not, and nothing of what runs, which would
	// say which known flaws to try.
	got := anon.get("/status")
	got.has(t, "Working", "Sign in to see which version")
	if strings.Contains(got.body, "SQLite") || strings.Contains(got.body, "migrations applied") {
		t.Error("the status page names the engine or schema to someone signed out")
	}
	if body := anon.get("/api/status").body; !strings.Contains(body, `"database_reachable": true`) || strings.Contains(body, "schema") || strings.Contains(body, "version") {
		t.Errorf("status as JSON, signed out: %s", body)
	}
	pm := a.signIn("practice.manager@onepc.example")
	pm.get("/status").has(t, "Working", "SQLite (one file)", "migrations applied; the newest 030_claim_notes", "Synthetic demonstration data")
	var st struct {
		OK     bool `json:"database_reachable"`
		Schema struct {
			Engine  string `json:"engine"`
			Applied int    `json:"migrations_applied"`
		} `json:"schema"`
	}
	if err := json.Unmarshal([]byte(pm.get("/api/status").body), &st); err != nil || !st.OK || st.Schema.Engine != "SQLite" || st.Schema.Applied < 27 {
		t.Errorf("status as JSON: %+v %v", st, err)
	}
}
