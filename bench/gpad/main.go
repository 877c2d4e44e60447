// Command gpad measures OnePC's appointments import at national scale: it
// writes practice-level "Appointments in General Practice" files in the
// exact published layout (about 6,300 practices, one file per month), loads
// them with `onepc import gpad`'s own code into SQLite and PostgreSQL, has
// DuckDB read the same files (bench/duckdb, a module of its own so that
// DuckDB never enters OnePC's go.mod), all at once and a month at a time
// into the database holding the months before (the yardstick: a month into
// an existing database in at most half DuckDB's time), and times the
// measure and access pages under 50 concurrent loopback clients. It prints one table with the
// core count and Go version.
//
//	go run ./bench/gpad [-practices 6300] [-months 12] [-dir DIR] [-postgres URL]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/numfmt"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/store"
)

func main() {
	practices := flag.Int("practices", 6300, "practices")
	months := flag.Int("months", 12, "months (one file each)")
	dir := flag.String("dir", "", "where the files go (kept); empty: a temporary folder, removed after")
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL; empty skips PostgreSQL")
	load := flag.Duration("load", 20*time.Second, "how long each page load runs")
	noDuck := flag.Bool("no-duckdb", false, "skip the DuckDB comparison")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the imports to this file")
	only := flag.String("engine", "", "run one engine only: SQLite or PostgreSQL")
	reuse := flag.Bool("reuse", false, "with -dir: use the files already there rather than writing them")
	flag.Parse()
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*practices, *months, *dir, *pg, *load, *noDuck, *only, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type row struct{ what, engine, value string }

func run(practices, months int, dir, pg string, load time.Duration, noDuck bool, only string, reuse bool) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "onepc-gpad-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	start := time.Now()
	gen := generate
	if reuse {
		gen = existing
	}
	files, rowsWritten, bytes, err := gen(dir, practices, months)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d files, %s rows, %.0f MB in %s\n", len(files), count(rowsWritten), float64(bytes)/1e6, time.Since(start).Round(time.Millisecond))
	whole, err := concatenate(dir, files)
	if err != nil {
		return err
	}
	var out []row
	monthly := map[string]time.Duration{} // by engine: median time of a month into an existing database
	engines := benchkit.Engines(pg, only)
	for _, engine := range engines {
		s, cleanup, err := benchkit.Open(ctx, engine, pg)
		if err != nil {
			return err
		}
		benchkit.ResetPeakRSS()
		startHWM := benchkit.PeakRSS()
		start := time.Now()
		var firstHWM int64
		var each []time.Duration // a month into a database holding the months before it
		for i, f := range files {
			fileStart := time.Now()
			if err := importFile(ctx, s, f); err != nil {
				cleanup()
				return err
			}
			fmt.Fprintf(os.Stderr, "%s: %s in %s\n", engine, filepath.Base(f), time.Since(fileStart).Round(time.Millisecond))
			if i == 0 {
				firstHWM = benchkit.PeakRSS()
			} else {
				each = append(each, time.Since(fileStart))
			}
		}
		took := time.Since(start)
		if len(each) > 0 {
			monthly[engine] = median(each)
			out = append(out, row{"a month into an existing database (median)", engine, monthly[engine].Round(time.Millisecond).String()})
		}
		out = append(out, row{"import, rows/s", engine, fmt.Sprintf("%s (%s rows in %s)", count(int64(float64(rowsWritten)/took.Seconds())), count(rowsWritten), took.Round(time.Millisecond))})
		out = append(out, row{"import, MB/s", engine, fmt.Sprintf("%.1f", float64(bytes)/1e6/took.Seconds())})
		allHWM := benchkit.PeakRSS()
		// Memory is flat in file size: all the months in one file, twelve
		// times the size of one, loaded again (replacing them).
		start = time.Now()
		if err := importFile(ctx, s, whole); err != nil {
			cleanup()
			return err
		}
		out = append(out, row{"peak memory (RSS) after 1 file / all files", engine, fmt.Sprintf("%d MB / %d MB (before: %d MB)", firstHWM>>20, allHWM>>20, startHWM>>20)})
		out = append(out, row{"all 12 months as one file: time, peak RSS", engine, fmt.Sprintf("%s, %d MB", time.Since(start).Round(time.Millisecond), benchkit.PeakRSS()>>20)})
		for _, page := range []string{"/measures/within-1-day?org=P00001", "/orgs/P00001/access"} {
			res, err := pageLoad(ctx, s, page, load)
			if err != nil {
				cleanup()
				return err
			}
			out = append(out, row{"page " + strings.Split(page, "?")[0] + ", 50 clients", engine, res})
		}
		cleanup()
	}
	if !noDuck {
		res, err := duck(files, rowsWritten, bytes, monthly)
		if err != nil {
			out = append(out, row{"import, rows/s", "DuckDB", "not run: " + err.Error()})
		} else {
			out = append(out, res...)
		}
	}
	fmt.Printf("\nOnePC appointments import: %d practices × %d months, %s rows, %.0f MB of CSV\n", practices, months, count(rowsWritten), float64(bytes)/1e6)
	fmt.Printf("machine: %d cores, %s, %s/%s\n\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("| %-44s | %-10s | %-50s |\n|%s|%s|%s|\n", "measure", "engine", "result", strings.Repeat("-", 46), strings.Repeat("-", 12), strings.Repeat("-", 52))
	for _, r := range out {
		fmt.Printf("| %-44s | %-10s | %-50s |\n", r.what, r.engine, r.value)
	}
	return nil
}

// generate writes one file per month in the published layout: the columns,
// vocabularies and double spaces of Practice_Level_Crosstab_<Mon>_<YY>.csv,
// about 190 rows per practice a month as the national files have.
func generate(dir string, practices, months int) ([]string, int64, int64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	var files []string
	var rows, bytes int64
	first := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	categories := access.Categories[:16]
	for m := 0; m < months; m++ {
		month := first.AddDate(0, m, 0)
		name := filepath.Join(dir, "Practice_Level_Crosstab_"+month.Format("Jan_06")+".csv")
		f, err := os.Create(name)
		if err != nil {
			return nil, 0, 0, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString("APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\r\n")
		date := strings.ToUpper(month.Format("02Jan2006"))
		for p := 0; p < practices; p++ {
			code := fmt.Sprintf("P%05d", p+1)
			pcn := fmt.Sprintf("U%05d", p/6+1)
			sub := fmt.Sprintf("%02dX", p/60%100)
			prefix := date + "," + code + ",BENCH PRACTICE " + code + ",EMIS," + pcn + ",BENCH PCN " + pcn + "," + sub + ",NHS BENCH ICB - " + sub + ","
			for _, hcp := range access.HCPs[:2] {
				for _, mode := range access.Modes[:4] {
					for c := 0; c < 3; c++ {
						cat := categories[rng.IntN(len(categories))]
						for _, band := range access.Bands {
							if rng.IntN(4) != 0 {
								continue
							}
							for _, status := range access.Statuses {
								n := 1 + rng.IntN(60)
								line := prefix + hcp + "," + mode + "," + cat + "," + band + "," + strconv.Itoa(n) + "," + status + "\r\n"
								w.WriteString(line)
								rows++
								bytes += int64(len(line))
							}
						}
					}
				}
			}
		}
		if err := w.Flush(); err != nil {
			return nil, 0, 0, err
		}
		// On disk before any timing starts, so that writing it back does
		// not compete with the imports.
		if err := f.Sync(); err != nil {
			return nil, 0, 0, err
		}
		f.Close()
		files = append(files, name)
	}
	return files, rows, bytes, nil
}

// existing finds the files generate wrote before, counting their rows.
func existing(dir string, practices, months int) ([]string, int64, int64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Practice_Level_Crosstab_*.csv"))
	if err != nil || len(files) == 0 {
		return nil, 0, 0, fmt.Errorf("no files in %s to reuse", dir)
	}
	// In the order of their months, as generate wrote them and as a
	// publication a month arrives (the names sort by month name).
	month := func(name string) time.Time {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "Practice_Level_Crosstab_"), ".csv")
		t, _ := time.Parse("Jan_06", base)
		return t
	}
	slices.SortFunc(files, func(a, b string) int { return month(a).Compare(month(b)) })
	var rows, size int64
	buf := make([]byte, 1<<20)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, 0, err
		}
		for {
			n, err := f.Read(buf)
			rows += int64(bytes.Count(buf[:n], []byte{'\n'}))
			size += int64(n)
			if err != nil {
				break
			}
		}
		f.Close()
		rows-- // the header
	}
	return files, rows, size, nil
}

func importFile(ctx context.Context, s *store.Store, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(path)
	_, err = s.ImportAppointments(ctx, "bench", name, func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		return access.Aggregate(f, name, access.Options{}, emit)
	})
	return err
}

// concatenate writes every month into one file, the header once.
func concatenate(dir string, files []string) (string, error) {
	name := filepath.Join(dir, "All_months.csv")
	out, err := os.Create(name)
	if err != nil {
		return "", err
	}
	defer out.Close()
	for i, f := range files {
		in, err := os.Open(f)
		if err != nil {
			return "", err
		}
		br := bufio.NewReaderSize(in, 1<<20)
		header, err := br.ReadString('\n')
		if err == nil && i == 0 {
			_, err = out.WriteString(header)
		}
		if err == nil {
			_, err = br.WriteTo(out)
		}
		in.Close()
		if err != nil {
			return "", err
		}
	}
	// On disk before any timing starts, so that writing it back does not
	// compete with the imports.
	if err := out.Sync(); err != nil {
		return "", err
	}
	return name, out.Close()
}

// pageLoad has 50 clients fetch a page for d as a practice manager.
func pageLoad(ctx context.Context, s *store.Store, path string, d time.Duration) (string, error) {
	base, token, stop, err := benchkit.Serve(ctx, s, "P00001")
	if err != nil {
		return "", err
	}
	defer stop()
	return benchkit.Load(base+path, token, 50, d)
}

// duck runs bench/duckdb on the same files, all at once and then a month
// at a time into the database holding the months before, and compares each
// month with OnePC's (the yardstick: at most half DuckDB's time).
func duck(files []string, rows, bytes int64, monthly map[string]time.Duration) ([]row, error) {
	lines, err := duckRun(files...)
	if err != nil {
		return nil, err
	}
	n, secs := lines[0].rows, lines[0].secs
	out := []row{
		{"import, rows/s", "DuckDB", fmt.Sprintf("%s (%s rows in %.3fs)", count(int64(float64(n)/secs)), count(n), secs)},
		{"import, MB/s", "DuckDB", fmt.Sprintf("%.1f", float64(bytes)/1e6/secs)},
	}
	if len(files) < 2 {
		return out, nil
	}
	// Each month's file alone into a new durable database: the issue's
	// yardstick, "the same file into a durable database".
	var fresh []time.Duration
	for _, f := range files[1:] {
		lines, err := duckRun(f)
		if err != nil {
			return nil, err
		}
		fresh = append(fresh, time.Duration(lines[0].secs*float64(time.Second)))
	}
	// And the stricter one: each month into the database holding the months
	// before it, as OnePC's are timed.
	lines, err = duckRun(append([]string{"-each"}, files...)...)
	if err != nil {
		return nil, err
	}
	var each []time.Duration
	for _, l := range lines[1:] { // the first creates the table
		each = append(each, time.Duration(l.secs*float64(time.Second)))
	}
	dFresh, dEach := median(fresh), median(each)
	out = append(out, row{"a month into a new database (median)", "DuckDB", dFresh.Round(time.Millisecond).String()})
	out = append(out, row{"a month into an existing database (median)", "DuckDB", dEach.Round(time.Millisecond).String()})
	for _, engine := range []string{"SQLite", "PostgreSQL"} {
		if m, ok := monthly[engine]; ok {
			out = append(out, row{"a month, OnePC ÷ DuckDB (new / existing)", engine,
				fmt.Sprintf("%.2f / %.2f (goal ≤ 0.5)", m.Seconds()/dFresh.Seconds(), m.Seconds()/dEach.Seconds())})
		}
	}
	return out, nil
}

type duckLine struct {
	rows int64
	secs float64
}

// duckRun runs bench/duckdb and reads its "rows seconds" lines.
func duckRun(args ...string) ([]duckLine, error) {
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append([]string{"run", "."}, args...)...)
	cmd.Dir = filepath.Join(filepath.Dir(self), "..", "duckdb")
	cmd.Stderr = os.Stderr
	text, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var out []duckLine
	for line := range strings.Lines(strings.TrimSpace(string(text))) {
		var l duckLine
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d %f", &l.rows, &l.secs); err != nil {
			return nil, fmt.Errorf("unexpected output %q", line)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no output")
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func count(n int64) string { return numfmt.Count(n) }
