// Package benchkit holds what OnePC's benchmark commands share: a fresh
// store on either engine, a signed-in session, and a bounded loopback load.
package benchkit

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

// Open returns a migrated, empty store on engine ("SQLite" or "PostgreSQL",
// a new database on the server at pg) and a function that removes it.
func Open(ctx context.Context, engine, pg string) (*store.Store, func(), error) {
	ss, cleanup, err := OpenMany(ctx, engine, pg, 1)
	if err != nil {
		return nil, nil, err
	}
	return ss[0], cleanup, nil
}

// OpenMany is Open with n stores on the one database, as n servers behind
// a load balancer have.
func OpenMany(ctx context.Context, engine, pg string, n int) ([]*store.Store, func(), error) {
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
		base, query, _ := strings.Cut(pg, "?")
		if query != "" {
			query = "?" + query
		}
		if slash := strings.LastIndexByte(base, '/'); slash > len("postgres://") {
			base = base[:slash]
		}
		dsn = base + "/" + name + query
		drop = func() { admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); admin.Close() }
	}
	var ss []*store.Store
	closeAll := func() {
		for _, s := range ss {
			s.Close()
		}
	}
	for range n {
		s, err := store.Open(ctx, dsn)
		if err != nil {
			closeAll()
			drop()
			return nil, nil, err
		}
		ss = append(ss, s)
	}
	if _, err := ss[0].Migrate(ctx); err != nil {
		closeAll()
		drop()
		return nil, nil, err
	}
	return ss, func() { closeAll(); drop(); os.RemoveAll(dir) }, nil
}

// Session adds a user with role at org and signs them in, returning the
// session cookie's value.
func Session(ctx context.Context, s *store.Store, role people.Role, org string) (string, error) {
	email := fmt.Sprintf("bench%d@example.org", time.Now().UnixNano())
	u, err := s.AddUser(ctx, "bench", people.User{Email: email, Name: "Bench"}, "x")
	if err != nil {
		return "", err
	}
	if err := s.GrantRole(ctx, "bench", u.ID, role, org); err != nil {
		return "", err
	}
	sess, err := s.CreateSession(ctx, u.ID, u.Email)
	return sess.Token, err
}

// Serve starts the real router on a loopback port with a practice manager
// of org signed in; it returns the base URL, the session token and a stop.
func Serve(ctx context.Context, s *store.Store, org string) (string, string, func(), error) {
	token, err := Session(ctx, s, people.PracticeManager, org)
	if err != nil {
		return "", "", nil, err
	}
	srv, err := web.New(web.Config{Store: s, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", "", nil, err
	}
	ts := httptest.NewServer(srv.Handler())
	return ts.URL, token, ts.Close, nil
}

// Load has clients goroutines GET url (with the session cookie) until d has
// passed, each loop bounded in count too, and reports throughput and the
// median and 99th percentile latency.
func Load(url, token string, clients int, d time.Duration) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.AddCookie(&http.Cookie{Name: "onepc_session", Value: token})
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("%s: status %d", url, resp.StatusCode)
		}
		return time.Since(start), nil
	}
	if _, err := get(); err != nil { // warm up, and check it works
		return "", err
	}
	var mu sync.Mutex
	var lat []time.Duration
	failures := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 1_000_000 && time.Now().Before(deadline); n++ {
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

// Engines are the engines a benchmark runs on: SQLite, and PostgreSQL when
// a server URL is given; only (if not empty) keeps that one alone.
func Engines(pg, only string) []string {
	var out []string
	for _, e := range []string{"SQLite", "PostgreSQL"} {
		if (e == "SQLite" || pg != "") && (only == "" || only == e) {
			out = append(out, e)
		}
	}
	return out
}
