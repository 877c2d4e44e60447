// Command claims measures OnePC's payment engine and monthly return at
// national scale: 6,300 practices × 25 services × 12 months of claims
// (≈1.9 million lines). It prints a table of figures with the machine's core
// count and the Go version.
//
//	go run ./bench/claims [-postgres URL] [-practices 6300] [-services 25] [-load 20s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/numfmt"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/store"
)

func main() {
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL (a database is created and dropped); empty skips PostgreSQL")
	practices := flag.Int("practices", 6300, "practices")
	services := flag.Int("services", 25, "monthly services")
	load := flag.Duration("load", 20*time.Second, "how long the return-page load runs")
	clients := flag.Int("clients", 50, "concurrent clients in the load")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.DurationVar(&churnEvery, "churn", 0, "during the page load, sign a user in this often (e.g. 10ms); 0 for none")
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
	engines := benchkit.Engines(pg, "")
	for _, engine := range engines {
		for _, scope := range []string{"one month", "whole year"} {
			s, cleanup, err := benchkit.Open(ctx, engine, pg)
			if err != nil {
				return err
			}
			start := time.Now()
			ready := 1 // one month's claims approved: the month's run
			if scope == "whole year" {
				ready = 12
			}
			if _, err := benchkit.SeedNational(ctx, s, practices, services, 12, ready, 2026); err != nil {
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

// returnLoad serves the real router and has `clients` goroutines fetch one
// practice's return page (every service due) for `d`.
func returnLoad(ctx context.Context, s *store.Store, d time.Duration, clients int) (string, error) {
	base, token, stop, err := benchkit.Serve(ctx, s, "P00001")
	if err != nil {
		return "", err
	}
	defer stop()
	if profilePath != "" { // the load alone, not the seeding
		if f, err := os.Create(profilePath); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		profilePath = ""
	}
	if churnEvery > 0 {
		stop, err := benchkit.Churn(ctx, s, churnEvery)
		if err != nil {
			return "", err
		}
		res, err := benchkit.Load(base+"/orgs/P00001/returns/2026-05", token, clients, d)
		return fmt.Sprintf("%s, %d sign-ins", res, stop()), err
	}
	return benchkit.Load(base+"/orgs/P00001/returns/2026-05", token, clients, d)
}

// churnEvery is how often a user signs in during the page load (-churn).
var churnEvery time.Duration

func count(n int) string { return numfmt.Count(int64(n)) }

func poundsOf(p int64) string { return payrules.Pounds(p) }
