// Command claims measures OnePC's payment engine and monthly return at
// national scale: 6,300 practices × 25 services × 12 months of claims
// (≈1.9 million lines). It prints a table of figures with the machine's core
// count and the Go version.
//
//	go run ./bench/claims [-postgres URL] [-practices 6300] [-services 25] [-load 20s]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

func main() {
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL (a database is created and dropped); empty skips PostgreSQL")
	practices := flag.Int("practices", 6300, "practices")
	services := flag.Int("services", 25, "monthly services")
	load := flag.Duration("load", 20*time.Second, "how long the return-page load runs")
	clients := flag.Int("clients", 50, "concurrent clients in the load")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	profilePath = *cpuProfile
	if err := run(*pg, *practices, *services, *load, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type row struct{ what, engine, value string }

// profilePath, when set, names where to write a CPU profile of the first load.
var profilePath string

func run(pg string, practices, services int, load time.Duration, clients int) error {
	ctx := context.Background()
	var rows []row
	engines := []string{"SQLite"}
	if pg != "" {
		engines = append(engines, "PostgreSQL")
	}
	for _, engine := range engines {
		for _, scope := range []string{"one month", "whole year"} {
			s, cleanup, err := open(ctx, engine, pg)
			if err != nil {
				return err
			}
			start := time.Now()
			ready := 1 // one month's claims approved: the month's run
			if scope == "whole year" {
				ready = 12
			}
			if _, err := s.SeedNational(ctx, practices, services, 12, ready, 2026); err != nil {
				cleanup()
				return err
			}
			if err := s.Analyze(ctx); err != nil { // as autovacuum would have by now
				cleanup()
				return err
			}
			seed := time.Since(start)
			month := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
			if scope == "whole year" {
				month = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
			}
			start = time.Now()
			r, err := s.RunPayments(ctx, "bench", "QNN", month)
			took := time.Since(start)
			if err != nil {
				cleanup()
				return err
			}
			rows = append(rows, row{fmt.Sprintf("payment run, %s (%s lines, %s)", scope, count(r.Lines), poundsOf(r.Pence)), engine, took.Round(time.Millisecond).String()})
			fmt.Fprintf(os.Stderr, "%s %s: seeded %d claims in %s, run took %s\n", engine, scope, practices*services*12, seed.Round(time.Millisecond), took.Round(time.Millisecond))
			if scope == "one month" {
				lr, err := returnLoad(ctx, s, load, clients)
				if err != nil {
					cleanup()
					return err
				}
				rows = append(rows, row{fmt.Sprintf("return page (%d services), %d clients × %s", services, clients, load), engine, lr})
			}
			cleanup()
		}
	}
	fmt.Printf("\nOnePC claims benchmark: %s practices × %d services × 12 months = %s claim lines\n", count(practices), services, count(practices*services*12))
	fmt.Printf("machine: %d cores, %s, %s/%s\n\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("| %-62s | %-10s | %-44s |\n|%s|%s|%s|\n", "measure", "engine", "result", dashes(64), dashes(12), dashes(46))
	for _, r := range rows {
		fmt.Printf("| %-62s | %-10s | %-44s |\n", r.what, r.engine, r.value)
	}
	return nil
}

func dashes(n int) string { return string(slices.Repeat([]byte{'-'}, n)) }

func open(ctx context.Context, engine, pg string) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "onepc-bench-")
	if err != nil {
		return nil, nil, err
	}
	dsn := filepath.Join(dir, "bench.db")
	drop := func() {}
	if engine == "PostgreSQL" {
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("onepc_bench_%d", time.Now().UnixNano())
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			return nil, nil, err
		}
		dsn = replaceDB(pg, name)
		drop = func() { admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); admin.Close() }
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		drop()
		return nil, nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		drop()
		return nil, nil, err
	}
	return s, func() { s.Close(); drop(); os.RemoveAll(dir) }, nil
}

// returnLoad serves the real router and has `clients` goroutines fetch one
// practice's return page (every service due) for `d`, each request bounded
// by a timeout; it reports throughput and latency percentiles.
func returnLoad(ctx context.Context, s *store.Store, d time.Duration, clients int) (string, error) {
	u, err := s.AddUser(ctx, "bench", people.User{Email: "bench@example.org", Name: "Bench"}, "x")
	if err != nil {
		return "", err
	}
	if err := s.GrantRole(ctx, "bench", u.ID, people.PracticeManager, "P00001"); err != nil {
		return "", err
	}
	sess, err := s.CreateSession(ctx, u.ID, u.Email)
	if err != nil {
		return "", err
	}
	srv, err := web.New(web.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", err
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	url := ts.URL + "/orgs/P00001/returns/2026-05"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.AddCookie(&http.Cookie{Name: "onepc_session", Value: sess.Token})
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	if _, err := get(); err != nil { // warm up, and check it works
		return "", err
	}
	if profilePath != "" { // the load alone, not the seeding
		if f, err := os.Create(profilePath); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		profilePath = ""
	}
	var mu sync.Mutex
	var lat []time.Duration
	var failures int
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 1_000_000 && time.Now().Before(deadline); n++ { // bounded in count and time
				t, err := get()
				mu.Lock()
				if err != nil {
					failures++
				} else {
					lat = append(lat, t)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		return "", fmt.Errorf("no request succeeded (%d failed)", failures)
	}
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, %d failed", float64(len(lat))/d.Seconds(),
		pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), failures), nil
}

func replaceDB(url, name string) string {
	// postgres://user@host:port/db?params → …/name?params
	q := ""
	if i := indexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	slash := lastIndexByte(url, '/')
	if slash > len("postgres://") {
		url = url[:slash]
	}
	return url + "/" + name + q
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func count(n int) string { return message.NewPrinter(language.BritishEnglish).Sprint(n) }

func poundsOf(p int64) string { return payrules.Pounds(p) }
