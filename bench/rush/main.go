// Command rush measures a month-end rush: `clients` practice managers sign
// in at once (each with their own account and password check), then each
// works for the load's length after its own sign-in through its practice's
// return page, saves a
// draft, and opens its access page and a measure page, against the real
// router on the demo Place, on SQLite and (with ONEPC_TEST_POSTGRES) on
// PostgreSQL. It prints, per page and engine, throughput, p50, p99 and
// failures, and the process's peak memory (server and load generator, which
// share it), with the core count and Go version.
//
//	go run ./bench/rush [-clients 200] [-load 20s] [-engine SQLite]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/web"
)

func main() {
	clients := flag.Int("clients", 200, "practice managers signing in and working at once")
	load := flag.Duration("load", 20*time.Second, "how long they work after signing in")
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL; empty skips PostgreSQL")
	only := flag.String("engine", "", "run one engine only: SQLite or PostgreSQL")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	think := flag.Duration("think", 0, "how long each person reads a page before the next (0: none, a stress test)")
	floor := flag.Bool("floor", false, "every page is GET /api/me, the least a signed-in person can ask: what the HTTP stack, the session and the load generator cost alone")
	// As onepc serve collects garbage and schedules (cmd/onepc/tune.go, a
	// main package this one cannot import); -gogc 100 is Go's default.
	gogc := flag.Int("gogc", 400, "GOGC for the run, as onepc serve sets it")
	memLimit := flag.Int64("memlimit", 400<<20, "soft memory limit in bytes, as onepc serve sets it")
	procs := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") == "" {
		procs++
	}
	flag.IntVar(&procs, "procs", procs, "GOMAXPROCS for the run: one more than Go's choice, as onepc serve sets it")
	flag.Parse()
	debug.SetGCPercent(*gogc)
	debug.SetMemoryLimit(*memLimit)
	runtime.GOMAXPROCS(procs)
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	engines := benchkit.Engines(*pg, *only)
	var rows [][3]string
	for _, engine := range engines {
		r, err := rush(context.Background(), engine, *pg, *clients, *load, *think, *floor)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rush:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		rows = append(rows, r...)
	}
	fmt.Printf("\nOnePC month-end rush: %d practice managers sign in at once, then work for %s", *clients, *load)
	if *think > 0 {
		fmt.Printf(", reading each page for about %s", *think)
	} else {
		fmt.Printf(", each asking for the next page as soon as one comes")
	}
	fmt.Println()
	fmt.Printf("machine: %d cores, %s, %s/%s; GOGC %d, soft memory limit %d MiB, GOMAXPROCS %d\n\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, *gogc, *memLimit>>20, procs)
	fmt.Printf("| %-22s | %-10s | %-62s |\n|%s|%s|%s|\n", "page", "engine", "result", strings.Repeat("-", 24), strings.Repeat("-", 12), strings.Repeat("-", 64))
	for _, r := range rows {
		fmt.Printf("| %-22s | %-10s | %-62s |\n", r[0], r[1], r[2])
	}
}

// stats gathers one kind of request's latencies and failures.
type stats struct {
	mu       sync.Mutex
	lat      []time.Duration
	at       []time.Time // when each request in lat began
	failures int
	first    string // the first failure, to say what went wrong
	note     string
}

func (s *stats) add(at time.Time, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failures++
		if s.first == "" {
			s.first = err.Error()
		}
		return
	}
	s.lat = append(s.lat, d)
	s.at = append(s.at, at)
}

// after is the requests that began after t: the steady state once every
// sign-in has finished, with no password hashing beside the pages.
func (s *stats) after(t time.Time) *stats {
	out := &stats{}
	for i, d := range s.lat {
		if s.at[i].After(t) {
			out.lat = append(out.lat, d)
		}
	}
	return out
}

func (s *stats) String(over time.Duration) string {
	lat := slices.Sorted(slices.Values(s.lat)) // a copy: lat pairs with at, which after reads
	if len(lat) == 0 {
		return fmt.Sprintf("no request succeeded (%d failed: %s)", s.failures, s.first)
	}
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	out := fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, %d failed", float64(len(lat))/over.Seconds(),
		pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), s.failures)
	if s.first != "" {
		out += " (" + s.first + ")"
	}
	return out + s.note
}

func rush(ctx context.Context, engine, pg string, clients int, load, think time.Duration, floor bool) ([][3]string, error) {
	s, cleanup, err := benchkit.Open(ctx, engine, pg)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	now := time.Now()
	if _, err := demo.LoadAll(ctx, s, now); err != nil {
		return nil, err
	}
	// One practice manager per client, spread over the demo's open practices,
	// each with a password of their own kind (one hash shared, to seed fast).
	const password = "kettle orbit meadow 41"
	hash, err := people.HashPassword(password)
	if err != nil {
		return nil, err
	}
	practices := []string{}
	for i := 1; i <= 23; i++ { // Y00024 has closed
		practices = append(practices, fmt.Sprintf("Y%05d", i))
	}
	emails := make([]string, clients)
	for i := range emails {
		emails[i] = fmt.Sprintf("manager%03d@rush.example", i)
		u, err := s.AddUser(ctx, "bench", people.User{Email: emails[i], Name: emails[i]}, hash)
		if err != nil {
			return nil, err
		}
		if err := s.GrantRole(ctx, "bench", u.ID, people.PracticeManager, practices[i%len(practices)]); err != nil {
			return nil, err
		}
	}
	srv, err := web.New(web.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	benchkit.ResetPeakRSS()
	month := now.Format("2006-01")
	names := []string{"return page", "save a draft", "access page", "measure page"}
	if floor {
		names = []string{"least answer (/api/me)"}
	}
	pages := map[string]*stats{"sign in": {}}
	for _, name := range names {
		pages[name] = &stats{}
	}
	var retries atomic.Int64    // sign-ins asked to wait and try again
	var lastSignIn atomic.Int64 // when the last sign-in finished (Unix ns)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var workFrom time.Time
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			// Each person from an address of their own (127.0.x.y, all on the
			// loopback), as practices across a Place are.
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(2+i%250))}}
			transport := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
			c := &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			org := practices[i%len(practices)]
			<-start
			// A person asked to wait (429, Retry-After) waits and tries again,
			// as the sign-in page tells them to; the time counts it all.
			t := time.Now()
			var csrf string
			var err error
			for try := 0; try < 10; try++ {
				var wait time.Duration
				if csrf, wait, err = signIn(c, ts.URL, emails[i], password); wait == 0 {
					break
				}
				retries.Add(1)
				time.Sleep(wait)
			}
			pages["sign in"].add(t, time.Since(t), err)
			for now := time.Now().UnixNano(); ; {
				if last := lastSignIn.Load(); now <= last || lastSignIn.CompareAndSwap(last, now) {
					break
				}
			}
			if err != nil {
				return
			}
			field, err := draftField(c, ts.URL, org, month)
			if err != nil {
				pages[names[0]].add(time.Now(), 0, err)
				return
			}
			deadline := time.Now().Add(load) // each works for the load's length after signing in
			// A person reads each page for about the think time (half to one
			// and a half times it, so that they do not move in step).
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			read := func() {
				if think > 0 {
					time.Sleep(think/2 + time.Duration(rng.Int64N(int64(think))))
				}
			}
			for n := 0; n < 1_000_000 && time.Now().Before(deadline); n++ {
				if floor {
					timed(pages[names[0]], func() error { return get(c, ts.URL+"/api/me") })
					read()
					continue
				}
				timed(pages["return page"], func() error { return get(c, ts.URL+"/orgs/"+org+"/returns/"+month) })
				read()
				if field != "" {
					timed(pages["save a draft"], func() error {
						return post(c, ts.URL+"/orgs/"+org+"/returns/"+month, url.Values{"csrf_token": {csrf}, "action": {"save"}, field: {fmt.Sprint(n % 90)}})
					})
					read()
				}
				timed(pages["access page"], func() error { return get(c, ts.URL+"/orgs/"+org+"/access") })
				read()
				timed(pages["measure page"], func() error { return get(c, ts.URL+"/measures/within-1-day") })
				read()
			}
		}()
	}
	workFrom = time.Now()
	cpuFrom := benchkit.CPUTime()
	close(start)
	wg.Wait()
	took := time.Since(workFrom)
	cpu := benchkit.CPUTime() - cpuFrom
	var out [][3]string
	pages["sign in"].note = fmt.Sprintf(", %d asked to wait and try again", retries.Load())
	for _, name := range append([]string{"sign in"}, names...) {
		out = append(out, [3]string{name, engine, pages[name].String(took)})
	}
	// The same pages once everyone has signed in: while sign-ins last, their
	// password hashes take the cores the pages need.
	steadyFrom := time.Unix(0, lastSignIn.Load())
	if steady := workFrom.Add(took).Sub(steadyFrom); steady > time.Second {
		for _, name := range names {
			out = append(out, [3]string{name + ", after sign-ins", engine, pages[name].after(steadyFrom).String(steady)})
		}
	}
	requests := 0
	for _, st := range pages {
		requests += len(st.lat) + st.failures
	}
	out = append(out, [3]string{"CPU a request", engine, fmt.Sprintf("%s (%.2f of %d cores busy), server and load generator together",
		(cpu / time.Duration(max(requests, 1))).Round(time.Microsecond), cpu.Seconds()/took.Seconds(), runtime.NumCPU())})
	out = append(out, [3]string{"peak memory (RSS)", engine, fmt.Sprintf("%d MB, server and load generator together", benchkit.PeakRSS()>>20)})
	return out, nil
}

// timed runs one request and records how long it took.
func timed(st *stats, req func() error) {
	t := time.Now()
	err := req()
	st.add(t, time.Since(t), err)
}

// signIn signs in and returns the session's CSRF token, or how long the
// server asked it to wait before trying again.
func signIn(c *http.Client, base, email, password string) (string, time.Duration, error) {
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "", time.Duration(max(secs, 1)) * time.Second, fmt.Errorf("sign in: status 429")
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		return "", 0, fmt.Errorf("sign in: status %d", resp.StatusCode)
	}
	return body.CSRF, 0, nil
}

// draftField finds a figure the practice can save as a draft this month.
func draftField(c *http.Client, base, org, month string) (string, error) {
	resp, err := c.Get(base + "/api/orgs/" + org + "/returns/" + month)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var d struct {
		Lines []struct {
			Editable bool `json:"editable"`
			Service  struct {
				Code   string `json:"code"`
				Fields []struct {
					Key string `json:"key"`
				} `json:"fields"`
			} `json:"service"`
		} `json:"lines"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return "", err
	}
	for _, l := range d.Lines {
		if l.Editable && len(l.Service.Fields) > 0 {
			return l.Service.Code + "." + l.Service.Fields[0].Key, nil
		}
	}
	return "", nil // nothing to save this month: the practice reads only
}

func get(c *http.Client, u string) error { return do(c, "GET", u, nil) }

func post(c *http.Client, u string, form url.Values) error { return do(c, "POST", u, form) }

func do(c *http.Client, method, u string, form url.Values) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s: status %d", method, u, resp.StatusCode)
	}
	return nil
}
