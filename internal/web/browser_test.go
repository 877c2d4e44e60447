package web_test

import (
	"context"
	"fmt"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/payrules"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/store/storetest"
)

// browser starts Debian's headless chromium for a test, or skips the test,
// saying why, where chromium is not installed (.ci/run installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("ONEPC_CHROMIUM")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Skip("chromium is not installed (apt-get install -y chromium): skipping the browser test")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// The NHS fonts come from assets.nhs.uk, which this closed network
		// cannot reach: fail those look-ups at once instead of timing out.
		chromedp.Flag("host-resolver-rules", "MAP assets.nhs.uk ~NOTFOUND"),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	// Start the browser on this context, so that a step's shorter deadline
	// (see step) never becomes the browser's own lifetime.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs browser actions, logging what it does, and fails the test on error.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second) // a step that hangs says where, within the test's time
	defer cancel()
	if err := chromedp.Do(stepCtx, actions...); err != nil {
		// Say where the browser was, read with a fresh deadline: the step's may be spent.
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search + "\n" + (document.body ? document.body.innerText.slice(0, 6000) : "")`))
		t.Fatalf("%s: %v\nthe browser was at %s", what, err, page)
	}
	t.Logf("browser: %s (%s)", what, time.Since(start).Round(time.Millisecond))
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	// A page that refreshes itself (a live review) can replace the node
	// between finding it and reading it: find it again.
	for try := 0; ; try++ {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		// …or be between pages, when there is no document to read yet.
		if err != nil && try < 20 && (strings.Contains(err.Error(), "No node with given id") || strings.Contains(err.Error(), "Cannot find context")) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("read %s: %v", css, err)
		}
		return strings.TrimSpace(s)
	}
}

// screenshot saves the page when ONEPC_SCREENSHOTS names a folder, for people
// checking how pages look.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("ONEPC_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// TestBrowserSignInBrowseSignOut is the first user journey: a commissioner
// signs in, browses Place → PCN → practice, and signs out.
func TestBrowserSignInBrowseSignOut(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	base := a.http.URL

	step(t, ctx, "open the home page signed out",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	screenshot(t, ctx, "login")
	step(t, ctx, "sign in as the demo commissioner",
		chromedp.SendKeys(chromedp.CSS("#email"), "commissioner@onepc.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)))
	if got := text(t, ctx, `[data-testid="signed-in-as"]`); got != "Chris Taylor" {
		t.Errorf("signed in as %q", got)
	}
	screenshot(t, ctx, "home")

	step(t, ctx, "open the Place from the home page",
		chromedp.Click(chromedp.CSS(`a[href="/orgs/99X"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="children"]`)))
	if got := text(t, ctx, `[data-testid="org-name"]`); got != "NHS RIVERSIDE AND VALE ICB - 99X" {
		t.Errorf("Place page heading %q", got)
	}
	if got := text(t, ctx, `[data-testid="children"]`); !strings.Contains(got, "HARBOUR AND COAST PCN") || !strings.Contains(got, "Closed") {
		t.Errorf("Place page lists %q", got)
	}
	screenshot(t, ctx, "place")

	step(t, ctx, "open Riverside PCN",
		chromedp.Click(chromedp.CSS(`[data-testid="children"] a[href="/orgs/U00001"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="children"] a[href="/orgs/Y00001"]`)))
	if got := text(t, ctx, `[data-testid="children"]`); !strings.Contains(got, "ORCHARD SURGERY") {
		t.Errorf("Riverside PCN today lacks the practice that moved in: %q", got)
	}
	screenshot(t, ctx, "pcn")

	step(t, ctx, "see the PCN as it was before the move",
		chromedp.SetValue(chromedp.CSS("#on"), "2025-03-01"),
		chromedp.Submit(chromedp.CSS("#on")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="children"]`)))
	if got := text(t, ctx, `[data-testid="children"]`); strings.Contains(got, "ORCHARD SURGERY") {
		t.Errorf("Riverside PCN on 1 March 2025 includes the practice that joined in April: %q", got)
	}

	step(t, ctx, "open a practice",
		chromedp.Click(chromedp.CSS(`[data-testid="children"] a[href="/orgs/Y00001"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="pcn-history"]`)))
	if got := text(t, ctx, `[data-testid="org-name"]`); got != "RIVERSIDE MEDICAL CENTRE" {
		t.Errorf("practice heading %q", got)
	}
	if got := text(t, ctx, `[data-testid="practice-pcn"]`); !strings.Contains(got, "RIVERSIDE PCN") {
		t.Errorf("practice's PCN %q", got)
	}
	screenshot(t, ctx, "practice")

	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-message"]`)))
	if got := text(t, ctx, `[data-testid="login-message"]`); got != "You have signed out." {
		t.Errorf("after sign out: %q", got)
	}
	step(t, ctx, "the practice page now asks to sign in",
		chromedp.Navigate(base+"/orgs/Y00001"), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// TestBrowserPopulationPyramidMatchesTable: a practice manager opens their
// practice's population page; every bar of the pyramid carries the same
// count as the table beneath it.
func TestBrowserPopulationPyramidMatchesTable(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))

	step(t, ctx, "sign in as the demo practice manager",
		chromedp.Navigate(a.http.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "practice.manager@onepc.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)))
	step(t, ctx, "open the practice, then its population",
		chromedp.Click(chromedp.CSS(`a[href="/orgs/Y00001"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="population-link"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="population-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="pyramid-table"]`)))
	screenshot(t, ctx, "population")

	bars, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=pyramid] rect[data-count]')]
		.map(r => r.dataset.sex + '|' + r.dataset.band + '|' + r.dataset.count).sort()`))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=pyramid-table] tbody tr')]
		.flatMap(tr => ['male', 'female'].map(s => s + '|' + tr.dataset.band + '|' +
			tr.querySelector('td[data-sex=' + s + ']').textContent.replace(/,/g, '').trim())).sort()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) != 40 || strings.Join(bars, " ") != strings.Join(cells, " ") {
		t.Errorf("pyramid and table disagree:\nbars  %v\ntable %v", bars, cells)
	}
	total := text(t, ctx, `[data-testid="registered"]`)
	if !strings.HasPrefix(total, "") || !strings.Contains(total, "on 1 November 2026") {
		t.Errorf("registered patients %q", total)
	}
}

func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	step(t, ctx, "sign in as "+email,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)))
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-message"]`)))
}

// TestBrowserReturnToStatement: a practice manager completes and submits a
// return for three services; the commissioner approves; the finance officer
// previews the payments, confirms them and downloads the schedule; the
// practice manager opens the statement; the finance officer reverses the run.
func TestBrowserReturnToStatement(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	a.store.SetClock(func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }) // made before the year
	for _, sv := range demo.Services(2026) {
		if sv.Code == "LES-ANTICOAG" || sv.Code == "LES-PHLEB" || sv.Code == "CB-BACKFILL" {
			sv.NeedsFinance = false
			if _, err := a.store.CreateService(t.Context(), "test", sv); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.store.SetClock(func() time.Time { return now })
	base := a.http.URL

	signIn(t, ctx, base, "practice.manager@onepc.example")
	step(t, ctx, "open the practice's monthly return",
		chromedp.Click(chromedp.CSS(`a[href="/orgs/Y00001"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="return-link"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="return-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="returns"]`)))
	if got := text(t, ctx, `[data-testid="month-2026-10"]`); !strings.Contains(got, "Overdue was due by 10 November 2026") {
		t.Errorf("October's return on the list: %q", got)
	}
	step(t, ctx, "open October's",
		chromedp.Click(chromedp.CSS(`[data-testid="month-2026-10"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="line-CB-BACKFILL"]`)))
	step(t, ctx, "fill in three services, declare and submit",
		chromedp.SendKeys(chromedp.CSS(`[id="LES-ANTICOAG.inr_tests"]`), "120"),
		chromedp.SendKeys(chromedp.CSS(`[id="LES-PHLEB.samples"]`), "700"),
		chromedp.SendKeys(chromedp.CSS(`[id="CB-BACKFILL.sessions"]`), "4"),
		chromedp.Click(chromedp.CSS("#declaration")),
		chromedp.Click(chromedp.CSS("#submit-return")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="status-LES-PHLEB"]`)))
	screenshot(t, ctx, "return-submitted")
	for _, code := range []string{"LES-ANTICOAG", "LES-PHLEB", "CB-BACKFILL"} {
		if got := text(t, ctx, `[data-testid="status-`+code+`"]`); got != "Submitted" {
			t.Errorf("%s is %q after submitting", code, got)
		}
	}
	if got := text(t, ctx, `[data-testid="preview-LES-PHLEB"]`); !strings.Contains(got, "cap of 600 items applied") {
		t.Errorf("phlebotomy line: %q", got)
	}
	signOut(t, ctx)

	signIn(t, ctx, base, "commissioner@onepc.example")
	step(t, ctx, "review the claims and approve them all",
		chromedp.Navigate(base+"/orgs/99X"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="claims-link"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="claims-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="claims"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name=claim]').forEach(c => c.click()); document.querySelectorAll('input[name=claim]:checked').length`)); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "approve", chromedp.Click(chromedp.CSS("#action-approve")), chromedp.Click(chromedp.CSS("#review-submit")),
		chromedp.WaitVisible(chromedp.CSS(".nhsuk-notification-banner")))
	signOut(t, ctx)

	signIn(t, ctx, base, "finance@onepc.example")
	step(t, ctx, "preview October's payments",
		chromedp.Navigate(base+"/orgs/99X/payments"),
		chromedp.WaitVisible(chromedp.CSS("#run-payments")),
		chromedp.SetValue(chromedp.CSS("#month"), "2026-10"),
		chromedp.Click(chromedp.CSS("#run-payments")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="draft"]`)))
	screenshot(t, ctx, "payment-preview")
	if got := text(t, ctx, `[data-testid="run-total"]`); got != "£6,020.00" {
		t.Errorf("preview total %q", got)
	}
	step(t, ctx, "confirm the run",
		chromedp.Click(chromedp.CSS("#confirm-run")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="schedule-csv"]`)))
	screenshot(t, ctx, "schedule")
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid=schedule-csv]').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("browser: downloaded the schedule")
	if !strings.HasPrefix(csv, "practice_code,practice_name,service_code,period,amount,payment_reference") ||
		!strings.Contains(csv, "Y00001,RIVERSIDE MEDICAL CENTRE,LES-PHLEB,October 2026,2520.00,OPC2610-Y00001") {
		t.Errorf("schedule CSV:\n%s", csv)
	}
	total := text(t, ctx, `[data-testid="run-total"]`)
	signOut(t, ctx)

	signIn(t, ctx, base, "practice.manager@onepc.example")
	step(t, ctx, "open the remittance statement",
		chromedp.Navigate(base+"/orgs/Y00001"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="statements-link"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="statements-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="runs"] a`)),
		chromedp.Click(chromedp.CSS(`[data-testid="runs"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="lines"]`)))
	screenshot(t, ctx, "statement")
	lines := text(t, ctx, `[data-testid="lines"]`)
	for _, want := range []string{"120 INR tests × £18.50 = £2,220.00", "700 samples taken reported, 600 samples taken × £4.20 = £2,520.00, cap of 600 items applied",
		"4 GP sessions backfilled × £320.00 = £1,280.00", "OPC2610-Y00001"} {
		if !strings.Contains(lines, want) {
			t.Errorf("statement lacks %q:\n%s", want, lines)
		}
	}
	if got := text(t, ctx, `[data-testid="run-total"]`); got != "£6,020.00" || total != got {
		t.Errorf("statement total %q, schedule total %q", got, total)
	}
	statement := text(t, ctx, "h1")
	signOut(t, ctx)

	// The finance officer reverses the run: a run of minus its lines.
	signIn(t, ctx, base, "finance@onepc.example")
	step(t, ctx, "open the run",
		chromedp.Navigate(base+"/orgs/99X/payments"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="runs"] a`)),
		chromedp.Click(chromedp.CSS(`[data-testid="runs"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#reverse-run")))
	step(t, ctx, "reverse it without a reason", chromedp.Click(chromedp.CSS("#reverse-run")))
	waitText(t, ctx, "Say why the run is reversed")
	step(t, ctx, "reverse it with a reason",
		chromedp.SendKeys(chromedp.CSS("#reason"), "Paid to the practice's old bank account"),
		chromedp.Click(chromedp.CSS("#reverse-run")))
	waitText(t, ctx, "The run is reversed")
	screenshot(t, ctx, "payment-reversal")
	if got := text(t, ctx, `[data-testid="run-total"]`); got != "£6,020.00" {
		t.Errorf("reversal total %q", got)
	}
	if !strings.Contains(statement, "October 2026") {
		t.Errorf("statement heading %q", statement)
	}
}

// TestBrowserMeasureDeciles: a commissioner opens a measure, picks a
// practice, sees its line over the deciles and downloads the data.
func TestBrowserMeasureDeciles(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	loadDemoAppointments(t, a)
	base := a.http.URL
	signIn(t, ctx, base, "commissioner@onepc.example")
	step(t, ctx, "open the access measures",
		chromedp.Click(chromedp.CSS(`a.nhsuk-header__navigation-link[href="/measures"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="measures"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/measures/within-1-day"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="deciles"]`)))
	step(t, ctx, "pick a practice from the ranking",
		chromedp.Click(chromedp.CSS(`[data-testid="ranking"] a[href="/measures/within-1-day?org=Y00013"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="org-line"]`)))
	screenshot(t, ctx, "measure")
	points, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('[data-testid=org-line]').getAttribute('points').trim().split(/\s+/).length`))
	if err != nil || points != 24 {
		t.Errorf("the practice's line has %d points, want one a month for 24 months (%v)", points, err)
	}
	deciles, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=deciles] polyline.onepc-decile, [data-testid=deciles] polyline.onepc-median').length`))
	if deciles != 9 {
		t.Errorf("%d decile lines, want 9", deciles)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid=measure-csv]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("browser: downloaded the chart's data")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 25 || lines[0] != "month,p10,p20,p30,p40,p50,p60,p70,p80,p90,Y00013" {
		t.Errorf("CSV has %d lines, header %q", len(lines), lines[0])
	}
}

// TestBrowserFeeAndSignUp: a commissioner copies a service into next year,
// changes its fee and publishes it; a practice manager signs up to a
// service part-way through the year and finds it only on the returns from
// then.
func TestBrowserFeeAndSignUp(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	sv, err := a.store.CreateService(t.Context(), "test", claims.Service{Code: "LES-SPIRO", Name: "Spirometry", Commissioner: "99X", Year: 2026,
		Frequency: claims.Monthly, DeadlineDays: 10, Eligibility: claims.AllPractices, SignUp: true, NeedsApproval: true,
		Fields: []claims.Field{{Key: "tests", Label: "Tests done"}}, Rule: payrules.Rule{Kind: payrules.FeePerItem, Field: "tests", RatePence: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	base := a.http.URL
	svc := fmt.Sprintf("%s/orgs/99X/services/%d", base, sv.ID)

	signIn(t, ctx, base, "commissioner@onepc.example")
	step(t, ctx, "copy the service into next year",
		chromedp.Navigate(svc), chromedp.WaitVisible(chromedp.CSS("#copy-form button")),
		chromedp.Click(chromedp.CSS("#copy-form button")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="draft-service"]`)))
	step(t, ctx, "change the draft's fee from April",
		chromedp.SetValue(chromedp.CSS("#rate"), "22.50"),
		chromedp.Click(chromedp.CSS("#change-rule")))
	waitText(t, ctx, "The payment rule is changed.")
	step(t, ctx, "publish it", chromedp.Click(chromedp.CSS("#publish-service")))
	waitText(t, ctx, "The service is published")
	if got := text(t, ctx, `[data-testid="rule"]`); got != "Tests done: £22.50 each" {
		t.Errorf("next year's fee: %q", got)
	}
	step(t, ctx, "offer this year's to the practice",
		chromedp.Navigate(svc), chromedp.WaitVisible(chromedp.CSS("#orgs")),
		chromedp.SendKeys(chromedp.CSS("#orgs"), "Y00001"),
		chromedp.Click(chromedp.CSS(`form[action$="/offers"] button[type="submit"]`)))
	waitText(t, ctx, "Offers sent.")
	signOut(t, ctx)

	signIn(t, ctx, base, "practice.manager@onepc.example")
	step(t, ctx, "sign up on 29 November",
		chromedp.Navigate(base+"/orgs/Y00001/services"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="accept-LES-SPIRO"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="accept-LES-SPIRO"]`)))
	waitText(t, ctx, "You have signed up to the service.")
	step(t, ctx, "October's return", chromedp.Navigate(base+"/orgs/Y00001/returns/2026-10"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="line-LES-SPIRO"]').length`)); err != nil || n != 0 {
		t.Errorf("spirometry on October's return, before the sign-up: %d %v", n, err)
	}
	step(t, ctx, "November's return", chromedp.Navigate(base+"/orgs/Y00001/returns/2026-11"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="line-LES-SPIRO"]`)))
}

// TestBrowserNarrowScreen: on a 375-pixel phone screen no column of the
// access table or a payment statement is cut off: every cell lies within
// the screen, and the page does not scroll sideways.
func TestBrowserNarrowScreen(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	loadDemoAppointments(t, a)
	if err := demo.LoadClaims(t.Context(), a.store, now); err != nil {
		t.Fatal(err)
	}
	base := a.http.URL
	step(t, ctx, "a phone's screen", chromedp.EmulateViewport(375, 812))
	signIn(t, ctx, base, "practice.manager@onepc.example")
	fits := func(what, table string) {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const w = document.documentElement.clientWidth;
			const cells = [...document.querySelectorAll('`+table+` tbody td')]; // (a phone's layout hides the heading row)
			if (cells.length === 0) return 'no cells';
			const out = cells.filter(c => { const r = c.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > w + 1); });
			if (document.documentElement.scrollWidth > w + 1) {
				const wide = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 4);
				return 'the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + w + ': ' + wide.join(', ');
			}
			return out.length ? out.length + ' cells beyond the screen, the first: ' + out[0].textContent.trim().slice(0, 60) : '';
		})()`))
		if err != nil || out != "" {
			t.Errorf("%s at 375 pixels: %s %v", what, out, err)
		}
	}
	step(t, ctx, "open the practice's access page",
		chromedp.Navigate(base+"/orgs/Y00001/access"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="access-measures"]`)))
	screenshot(t, ctx, "access-375")
	fits("the access table", "[data-testid=access-measures]")
	step(t, ctx, "open a statement",
		chromedp.Navigate(base+"/orgs/Y00001/payments"), chromedp.WaitVisible(chromedp.CSS(`main`)))
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main a[href^="/orgs/Y00001/payments/"]') || {}).href || ''`))
	if err != nil || href == "" {
		t.Fatalf("no statement to open: %v", err)
	}
	step(t, ctx, "the statement", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(`[data-testid="lines"]`)))
	screenshot(t, ctx, "statement-375")
	fits("the statement", "[data-testid=lines]")
	// The breadcrumb hides on a phone; its back link takes its place.
	if back, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.querySelector('.nhsuk-breadcrumb .nhsuk-back-link'); return a && a.offsetHeight > 0 ? a.textContent : ''; })()`)); err != nil || !strings.Contains(back, "Back to") {
		t.Errorf("no back link on a phone: %q %v", back, err)
	}

	// Wide tables (claims to review, users, the audit log) scroll in their
	// own box; the page itself never scrolls sideways.
	sideways := func(who string) string {
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const w = document.documentElement.clientWidth;
			return document.documentElement.scrollWidth > w + 1 ? document.documentElement.scrollWidth + ' > ' + w : '';
		})()`))
		if err != nil {
			return err.Error()
		}
		return out
	}
	for _, p := range []struct{ who, path, table string }{
		{"commissioner@onepc.example", "/orgs/99X/claims?status=", "claims"},
		{"admin@onepc.example", "/admin/users", "users"},
		{"admin@onepc.example", "/admin/audit", "audit"},
	} {
		signOut(t, ctx)
		signIn(t, ctx, base, p.who)
		step(t, ctx, "open "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(`[data-testid="`+p.table+`"]`)))
		if out := sideways(p.who); out != "" {
			t.Errorf("%s at 375 pixels scrolls sideways: %s", p.path, out)
		}
	}
}

// TestBrowserSharedPlan is the shared plan's journey, in four browsers at
// once: a commissioner opens a round; a practice manager and a PCN
// clinical director propose; the commissioner runs a live dot vote at the
// away day that a guest joins by code, the guest's screen changing by
// itself as the question goes up and closes; the plan is drafted with an
// indicator read from the data; two constituencies sign, and it is adopted.
func TestBrowserSharedPlan(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, storetest.Open(t, "sqlite"))
	base := a.http.URL
	signIn := func(ctx context.Context, who, email string) {
		step(t, ctx, who+" signs in",
			chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
			chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-as"]`)))
	}
	other := func() context.Context { // a browser of its own: its own cookies
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	signIn(ctx, "the commissioner", "commissioner@onepc.example")
	pm, cd, guest := other(), other(), other()
	signIn(pm, "the practice manager", "practice.manager@onepc.example")
	signIn(cd, "the clinical director", "clinical.director@onepc.example")

	step(t, ctx, "the commissioner opens a round",
		chromedp.Navigate(base+"/plans"), chromedp.Click(chromedp.CSS("#open-round")),
		chromedp.WaitVisible(chromedp.CSS("#title")), chromedp.SendKeys(chromedp.CSS("#title"), "Riverside and Vale plan"),
		chromedp.SetValue(chromedp.CSS(`input[name="need_pcns"]`), "1/4"), // one PCN of the four signs, with the Place
		chromedp.Click(chromedp.CSS("#create-round")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="phase"]`)))
	screenshot(t, ctx, "plan-round")
	for i, p := range []struct {
		ctx          context.Context
		who, title   string
		withEvidence bool
	}{{pm, "the practice manager", "Same-day access for urgent need", true}, {cd, "the clinical director", "Continuity for frail patients", false}} {
		actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + "/plans/1"), chromedp.WaitVisible(chromedp.CSS("#propose-priority")),
			chromedp.SendKeys(chromedp.CSS("#title"), p.title), chromedp.SendKeys(chromedp.CSS("#problem"), "Patients are told to ring back.")}
		if p.withEvidence {
			actions = append(actions, chromedp.Click(chromedp.CSS("#evidence_population")), chromedp.SetValue(chromedp.CSS("#evidence_org"), "Y00001"))
		}
		// Wait for this proposal's own card: the one before it is there already.
		actions = append(actions, chromedp.Click(chromedp.CSS("#propose-priority")), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="priority-%d"]`, i+1))))
		step(t, p.ctx, p.who+" proposes a priority", actions...)
	}
	if got := text(t, pm, `[data-testid="priority-1"]`); !strings.Contains(got, "Registered patients for RIVERSIDE MEDICAL CENTRE") {
		t.Errorf("the proposal's evidence: %q", got)
	}

	step(t, ctx, "the commissioner puts a dot vote to the round",
		chromedp.Navigate(base+"/plans/1"), chromedp.Click(chromedp.CSS("#new-decision")),
		chromedp.WaitVisible(chromedp.CSS("#decision-title")), chromedp.SetValue(chromedp.CSS("#decision-title"), "Which matters most?"),
		chromedp.Click(chromedp.CSS("#open-decision")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="question"]`)))
	step(t, ctx, "and makes a join code for a patient representative",
		chromedp.Navigate(base+"/plans/1"), chromedp.SetValue(chromedp.CSS("#constituency"), "patients"),
		chromedp.SendKeys(chromedp.CSS("#label"), "Patient participation group"),
		chromedp.Click(chromedp.CSS("#make-codes")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="join-code"]`)))
	code := text(t, ctx, `[data-testid="join-code"]`)

	step(t, guest, "the guest opens the join page from the QR code's address",
		chromedp.Navigate(base+"/join?code="+code), chromedp.WaitVisible(chromedp.CSS("#name")))
	step(t, guest, "the guest joins by code",
		chromedp.SendKeys(chromedp.CSS("#name"), "Pat Jones"), chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="guest-as"]`)))
	step(t, guest, "the guest waits for the first question",
		chromedp.Navigate(base+"/plans/1/workshop"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="waiting"]`)))
	step(t, pm, "the practice manager opens the away day page", chromedp.Navigate(base+"/plans/1/workshop"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="waiting"]`)))
	step(t, ctx, "the commissioner puts the question on screen",
		chromedp.Navigate(base+"/plans/1/workshop/console"), chromedp.Click(chromedp.CSS("#push-1")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="live-turnout"]`)))
	step(t, guest, "the question reaches the guest by itself", chromedp.WaitVisible(chromedp.CSS("#cast-vote")))
	screenshot(t, guest, "plan-workshop-guest")
	step(t, guest, "the guest votes", chromedp.SendKeys(chromedp.CSS("#dots_1"), "3"), chromedp.SendKeys(chromedp.CSS("#dots_2"), "5"),
		chromedp.Click(chromedp.CSS("#cast-vote")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="voted"]`)))
	step(t, pm, "the question reaches the practice manager", chromedp.WaitVisible(chromedp.CSS("#cast-vote")))
	// An answer being typed is never wiped by an update: the screen is
	// cleared while the practice manager is typing; a note offers to move
	// on, and what was typed stays.
	step(t, pm, "the practice manager starts typing", chromedp.SendKeys(chromedp.CSS("#dots_1"), "8"))
	step(t, ctx, "the commissioner clears the screen meanwhile", chromedp.Click(chromedp.CSS("#clear-live")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nothing-live"]`)))
	step(t, pm, "the practice manager is told, not moved", chromedp.WaitVisible(chromedp.CSS("[data-moved]")))
	if typed, _ := chromedp.Run(pm, chromedp.Value(chromedp.CSS("#dots_1"))); typed != "8" {
		t.Errorf("the typed answer became %q", typed)
	}
	step(t, ctx, "the commissioner puts the question back", chromedp.Click(chromedp.CSS("#push-1")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="live-turnout"]`)))
	step(t, pm, "the practice manager votes", chromedp.Click(chromedp.CSS("#cast-vote")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="voted"]`)))
	waitElementText(t, ctx, "[data-voters]", "2")
	screenshot(t, ctx, "plan-console")
	// Closing asks "are you sure?" first: the commissioner says yes.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	step(t, ctx, "the commissioner closes the question, saying yes when asked", chromedp.Click(chromedp.CSS("#close-live")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="nothing-live"], [data-testid="live-title"]`)))
	step(t, guest, "the result reaches the guest by itself", chromedp.WaitVisible(chromedp.CSS(`[data-testid="result"]`)))
	if got := text(t, guest, `[data-testid="result"]`); !strings.Contains(got, "Same-day access") || !strings.Contains(got, "11") {
		t.Errorf("the guest's result: %q", got)
	}

	// moveOn moves the round to its next phase and waits for the page to say so.
	moveOn := func(to string) {
		step(t, ctx, "move the round on to "+to, chromedp.Navigate(base+"/plans/1"), chromedp.Click(chromedp.CSS("#next-phase")))
		waitFor(t, ctx, `[data-testid="phase"]`, to)
	}
	moveOn("Shortlisting")
	for i, id := range []string{"1", "2"} {
		step(t, ctx, "adopt priority "+id, chromedp.Click(chromedp.CSS("#moderate-"+id+" summary")),
			chromedp.SetValue(chromedp.CSS("#action-"+id), "adopt"), chromedp.Click(chromedp.CSS("#apply-"+id)))
		waitFor(t, ctx, `[data-testid="adopted"]`, fmt.Sprintf("%d of at most", i+1))
	}
	moveOn("Deciding")
	moveOn("Drafting")
	step(t, ctx, "draft the plan: an indicator read from the data, and the text",
		chromedp.Navigate(base+"/plans/1/plan"), chromedp.Click(chromedp.CSS("#edit-objective-1")),
		chromedp.SetValue(chromedp.CSS("#kind-1"), "population"), chromedp.SetValue(chromedp.CSS("#org-1"), "Y00001"),
		chromedp.SetValue(chromedp.CSS("#direction-1"), "higher"), chromedp.SendKeys(chromedp.CSS("#target-1-2029"), "20000"),
		chromedp.Click(chromedp.CSS("#add-indicator-1")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="indicators"]`)),
		chromedp.SendKeys(chromedp.CSS("#body"), "# Our plan\n\nTwo priorities, agreed at the away day."),
		chromedp.Click(chromedp.CSS("#save-text")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="plan-text"]`)))
	moveOn("Consulting")
	step(t, ctx, "freeze the text for signing", chromedp.Navigate(base+"/plans/1/plan"), chromedp.Click(chromedp.CSS("#freeze")))
	waitFor(t, ctx, `[data-testid="version"]`, "frozen for signing")
	moveOn("Signing")
	step(t, ctx, "the Place signs", chromedp.Navigate(base+"/plans/1/plan"), chromedp.Click(chromedp.CSS("#sign-99X")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-99X"]`)))
	step(t, cd, "Riverside PCN signs", chromedp.Navigate(base+"/plans/1/plan"), chromedp.Click(chromedp.CSS("#sign-U00001")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="adopted-note"]`)))
	screenshot(t, cd, "plan-adopted")
	if got := text(t, cd, `[data-testid="indicators"]`); !strings.Contains(got, "Registered patients, RIVERSIDE MEDICAL CENTRE") || !strings.Contains(got, "On track") {
		t.Errorf("the plan's indicator: %q", got)
	}
}

// waitFor waits until the element's text holds want: after a form that
// posts back to the page it is on, where waiting for an element finds the
// old page's.
func waitFor(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(text(t, ctx, css), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never said %q: it says %q", css, want, text(t, ctx, css))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitElementText waits until the element's text is want (a live page updating).
func waitElementText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := text(t, ctx, css)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s reads %q, want %q", css, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
