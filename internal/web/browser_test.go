package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	return ctx
}

// step runs browser actions, logging what it does, and fails the test on error.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	t.Log("browser:", what)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read %s: %v", css, err)
	}
	return strings.TrimSpace(s)
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
