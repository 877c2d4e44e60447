package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func openSQLite(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "onepc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// The writer runs transactions one at a time: read-modify-write from many
// goroutines loses no update.
func TestWriterSerialises(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	if err := s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "INSERT INTO settings (key, value) VALUES ('counter', '0')")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				err := s.tx(ctx, func(c conn) error {
					var v string
					if err := c.queryRow(ctx, "SELECT value FROM settings WHERE key = 'counter'").Scan(&v); err != nil {
						return err
					}
					n, _ := strconv.Atoi(v)
					_, err := c.exec(ctx, "UPDATE settings SET value = ? WHERE key = 'counter'", strconv.Itoa(n+1))
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var v string
	if err := s.reader().queryRow(ctx, "SELECT value FROM settings WHERE key = 'counter'").Scan(&v); err != nil || v != "200" {
		t.Errorf("counter = %q, %v; want 200", v, err)
	}
}

func TestWriterPanicsOnCallersGoroutine(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %#v, want the transaction's own panic value", p)
			}
		}()
		s.tx(ctx, func(c conn) error { panic("boom") })
		t.Error("tx returned after its function panicked")
	}()
	// The writer lives on, and the panicking transaction was rolled back.
	if err := s.tx(ctx, func(c conn) error { return nil }); err != nil {
		t.Errorf("after a panic: %v", err)
	}
}

func TestWriterCancelledAndClosed(t *testing.T) {
	s := openSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := s.tx(ctx, func(c conn) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled: err %v, ran %v", err, ran)
	}
	s.Close()
	if err := s.tx(context.Background(), func(c conn) error { return nil }); !errors.Is(err, errStoreClosed) {
		t.Errorf("closed: err %v, want errStoreClosed", err)
	}
}

// Reads are prepared once; IN lists are not kept, and the cache stops
// growing at its bound while queries beyond it still run.
func TestStatementCache(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	r := s.reader()
	for range 3 {
		var n int
		if err := r.queryRow(ctx, "SELECT COUNT(*) FROM settings WHERE key = ?", "x").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.stmts.n.Load(); got != 1 {
		t.Errorf("after one query three times: %d kept, want 1", got)
	}
	in, args := inClause([]string{"a", "b", "c"})
	rows, err := r.query(ctx, "SELECT key FROM settings WHERE key IN "+in, args...)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := s.stmts.n.Load(); got != 1 {
		t.Errorf("after an IN list: %d kept, want 1", got)
	}
	for i := range maxCachedStatements + 10 {
		var n int
		if err := r.queryRow(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := s.stmts.n.Load(); got != maxCachedStatements {
		t.Errorf("kept %d, want the bound %d", got, maxCachedStatements)
	}
	// A query the database refuses is refused with its own error.
	if _, err := r.query(ctx, "SELECT nonsense FROM nowhere"); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("bad query: %v", err)
	}
}

// A transaction whose function ends its goroutine (t.FailNow) is rolled
// back and reported, and the writer carries on.
func TestWriterSurvivesGoexit(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	err := s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "INSERT INTO settings (key, value) VALUES ('lost', 'x')"); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	})
	if err == nil {
		t.Error("a transaction that ended its goroutine reported success")
	}
	var n int
	if err := s.tx(ctx, func(c conn) error {
		return c.queryRow(ctx, "SELECT COUNT(*) FROM settings WHERE key = 'lost'").Scan(&n)
	}); err != nil || n != 0 {
		t.Errorf("after Goexit: %d rows kept, %v; want none, and the writer working", n, err)
	}
}
