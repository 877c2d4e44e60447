// Command awayday measures an away day: `people` participants hold the
// round's live stream open while each casts a vote within `spread`; then
// the facilitator closes the question, and the command reports the votes'
// p50 and p99 latency and how long after the close the last stream saw it
// closed. On SQLite one server serves everyone; on PostgreSQL (with
// ONEPC_TEST_POSTGRES) two servers share one database, half the people on
// each, every vote cast through the server the voter is not streaming from,
// so a vote must cross servers to reach the streams. Participants are guests
// who joined by code, as at a real away day; the core count and Go version
// are printed with the figures.
//
//	go run ./bench/awayday [-people 300] [-spread 10s] [-engine SQLite]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

func main() {
	n := flag.Int("people", 300, "participants holding the stream open and voting")
	spread := flag.Duration("spread", 10*time.Second, "the votes are cast within this")
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL; empty skips PostgreSQL")
	only := flag.String("engine", "", "run one engine only: SQLite or PostgreSQL")
	flag.Parse()
	raiseFileLimit()
	engines := benchkit.Engines(*pg, *only)
	fmt.Printf("Away day: %d people streaming and voting within %s; %d cores, %s\n\n", *n, *spread, runtime.NumCPU(), runtime.Version())
	fmt.Printf("%-34s %8s %10s %10s %9s %16s %s\n", "engine", "votes", "vote p50", "vote p99", "failed", "last saw close", "streams that saw every vote")
	for _, engine := range engines {
		servers := 1
		if engine == "PostgreSQL" {
			servers = 2
		}
		r, err := run(engine, *pg, servers, *n, *spread)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", engine, err)
			os.Exit(1)
		}
		label := engine
		if servers > 1 {
			label = fmt.Sprintf("%s, %d servers on one database", engine, servers)
		}
		fmt.Printf("%-34s %8d %10s %10s %9d %16s %d of %d\n", label, r.votes, r.p50, r.p99, r.failed, r.lastSaw, r.sawAll, *n)
	}
}

type result struct {
	votes, failed, sawAll int
	p50, p99, lastSaw     time.Duration
}

// raiseFileLimit lets one process hold both ends of every connection.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func run(engine, pg string, servers, n int, spread time.Duration) (result, error) {
	ctx := context.Background()
	stores, cleanup, err := benchkit.OpenMany(ctx, engine, pg, servers)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	s := stores[0]
	now := time.Now()
	if _, err := demo.Load(ctx, s, now); err != nil {
		return result{}, err
	}
	round, err := openRound(ctx, s, n)
	if err != nil {
		return result{}, err
	}
	var urls []string
	for _, st := range stores {
		srv, err := web.New(web.Config{Store: st, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			return result{}, err
		}
		ts := httptest.NewUnstartedServer(srv.Handler())
		ts.Config.WriteTimeout = 0
		ts.Start()
		defer ts.Close()
		urls = append(urls, ts.URL)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 2 * n, MaxConnsPerHost: 0}
	// Every participant joins by code (not timed).
	type person struct {
		client *http.Client
		csrf   string
		home   string // the server whose stream they hold
	}
	// Everyone joins by code at once, from one address, as a room on one
	// network does (not timed, but every join must succeed).
	people := make([]person, n)
	joinErrs := make(chan error, n)
	var joins sync.WaitGroup
	for i := range people {
		joins.Add(1)
		go func() {
			defer joins.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			home := urls[i%len(urls)]
			body := fmt.Sprintf(`{"code":%q,"name":"Person %d"}`, round.Codes[i], i)
			req, _ := http.NewRequest("POST", home+"/api/join", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				joinErrs <- err
				return
			}
			var joined struct {
				CSRF string `json:"csrf_token"`
			}
			json.NewDecoder(resp.Body).Decode(&joined)
			resp.Body.Close()
			if resp.StatusCode != 200 || joined.CSRF == "" {
				joinErrs <- fmt.Errorf("join %d: status %d", i, resp.StatusCode)
				return
			}
			// The cookie is sent to the other server (another port on the
			// same host) too: cookies ignore ports.
			people[i] = person{client: c, csrf: joined.CSRF, home: home}
		}()
	}
	joins.Wait()
	close(joinErrs)
	if err := <-joinErrs; err != nil {
		return result{}, err
	}
	// Everyone opens the stream.
	type seen struct {
		closedAt time.Time
		voters   int
	}
	saw := make([]seen, n)
	var streams sync.WaitGroup
	ready := make(chan struct{}, n)
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	var closedOnce sync.Once
	allClosed := make(chan struct{})
	var mu sync.Mutex
	closedCount := 0
	for i := range people {
		streams.Add(1)
		go func() {
			defer streams.Done()
			req, _ := http.NewRequestWithContext(streamCtx, "GET", fmt.Sprintf("%s/plans/%d/events", people[i].home, round.ID), nil)
			resp, err := people[i].client.Do(req)
			if err != nil {
				ready <- struct{}{}
				return
			}
			defer resp.Body.Close()
			ready <- struct{}{}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var ev struct {
					Closed bool `json:"closed"`
					Voters int  `json:"voters"`
				}
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Closed {
					saw[i] = seen{closedAt: time.Now(), voters: ev.Voters}
					mu.Lock()
					closedCount++
					if closedCount == n {
						closedOnce.Do(func() { close(allClosed) })
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	for range people {
		<-ready
	}
	closeQuestion, err := facilitator(urls[0], round)
	if err != nil {
		return result{}, err
	}
	time.Sleep(500 * time.Millisecond) // the watchers' first reads
	// Everyone votes within the spread, through the other server.
	lat := make([]time.Duration, n)
	failed := 0
	var votes sync.WaitGroup
	rng := rand.New(rand.NewPCG(1, 2))
	delays := make([]time.Duration, n)
	for i := range delays {
		delays[i] = time.Duration(rng.Int64N(int64(spread)))
	}
	start := time.Now()
	for i := range people {
		votes.Add(1)
		go func() {
			defer votes.Done()
			time.Sleep(time.Until(start.Add(delays[i])))
			target := urls[(i+1)%len(urls)]
			body := fmt.Sprintf(`{"dots_%d":%d,"dots_%d":%d}`, round.Options[0], 1+i%7, round.Options[1], 8-(1+i%7))
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/plans/%d/decisions/%d/vote", target, round.ID, round.Decision), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", people[i].csrf)
			t0 := time.Now()
			resp, err := people[i].client.Do(req)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed++
				return
			}
			lat[i] = d
		}()
	}
	votes.Wait()
	// The facilitator closes the question through the first server.
	closeAt := time.Now()
	if err := closeQuestion(); err != nil {
		return result{}, err
	}
	select {
	case <-allClosed:
	case <-time.After(30 * time.Second):
	}
	stopStreams()
	streams.Wait()
	var ok []time.Duration
	for _, l := range lat {
		if l > 0 {
			ok = append(ok, l)
		}
	}
	slices.Sort(ok)
	r := result{votes: len(ok), failed: failed}
	if len(ok) > 0 {
		r.p50, r.p99 = ok[len(ok)/2].Round(100*time.Microsecond), ok[min(len(ok)-1, len(ok)*99/100)].Round(100*time.Microsecond)
	}
	for _, sw := range saw {
		if sw.closedAt.IsZero() {
			r.lastSaw = -1
			continue
		}
		if r.lastSaw >= 0 {
			r.lastSaw = max(r.lastSaw, sw.closedAt.Sub(closeAt).Round(time.Millisecond))
		}
		if sw.voters == n {
			r.sawAll++
		}
	}
	return r, nil
}

type benchRound struct {
	ID, Decision int64
	Options      []int64
	Codes        []string // one join code a person
}

// openRound opens a round on the demo Place with a dot vote on screen and
// n join codes for patient representatives, and signs the commissioner in.
func openRound(ctx context.Context, s *store.Store, n int) (benchRound, error) {
	r, err := plans.NewRound(plans.RoundInput{Title: "Away day", FromYear: 2027, ToYear: 2029, Phases: plans.ChainFrom(orgs.Today(time.Now()), nil, nil),
		Constituencies: []plans.Constituency{{Kind: plans.PlaceGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1}, {Kind: plans.Patients, NeedDen: 1}}}, demo.PlaceCode, orgs.Place)
	if err != nil {
		return benchRound{}, err
	}
	if r.ID, err = s.CreateRound(ctx, "bench", r); err != nil {
		return benchRound{}, err
	}
	ids, err := s.AddPriorities(ctx, "bench", r, []plans.Priority{{Title: "One", Problem: "One."}, {Title: "Two", Problem: "Two."}})
	if err != nil {
		return benchRound{}, err
	}
	d, err := plans.NewDecision(plans.DecisionInput{Title: "Which?", Method: "dots", Options: ids}, map[int64]bool{ids[0]: true, ids[1]: true})
	if err != nil {
		return benchRound{}, err
	}
	if d.ID, err = s.OpenDecision(ctx, "bench", r, d); err != nil {
		return benchRound{}, err
	}
	if err := s.SetLive(ctx, "bench", r, d.ID); err != nil {
		return benchRound{}, err
	}
	codes, err := s.CreateJoinCodes(ctx, "bench", r, plans.Patients, "Away day", n, false, time.Now().Add(24*time.Hour))
	if err != nil {
		return benchRound{}, err
	}
	return benchRound{ID: r.ID, Decision: d.ID, Options: ids, Codes: codes}, nil
}

// facilitator signs the demo commissioner in, returning a function that
// closes the question.
func facilitator(base string, r benchRound) (func() error, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader("email=commissioner%40onepc.example&password="+demo.Password))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	var in struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&in)
	resp.Body.Close()
	if in.CSRF == "" {
		return nil, fmt.Errorf("the commissioner could not sign in: status %d", resp.StatusCode)
	}
	return func() error {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/plans/%d/decisions/%d/close", base, r.ID, r.Decision), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", in.CSRF)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("close: status %d", resp.StatusCode)
		}
		return nil
	}, nil
}
