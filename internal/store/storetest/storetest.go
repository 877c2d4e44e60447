// Package storetest opens fresh, migrated stores on both engines for tests:
// an SQLite file in the test's temporary folder, and a new PostgreSQL
// database (dropped afterwards) when ONEPC_TEST_POSTGRES holds a server URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/onepc/onepc/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL server URL for tests.
const EnvPostgres = "ONEPC_TEST_POSTGRES"

// Each runs fn once per engine as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			fn(t, Open(t, engine))
		})
	}
}

// Open returns a migrated empty store on engine ("sqlite" or "postgres"),
// skipping the test when PostgreSQL is asked for but not configured.
func Open(t testing.TB, engine string) *store.Store {
	t.Helper()
	return OpenMany(t, engine, 1)[0]
}

// OpenMany returns n stores on one new database, as n servers would have.
func OpenMany(t testing.TB, engine string, n int) []*store.Store {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "onepc.db")
	if engine == "postgres" {
		dsn = NewPostgresDB(t)
	}
	var out []*store.Store
	for i := 0; i < n; i++ {
		out = append(out, openDSN(t, engine, dsn))
	}
	return out
}

func openDSN(t testing.TB, engine, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", engine, err)
	}
	return s
}

// NewPostgresDB creates an empty database on the test server, drops it when
// the test ends, and returns its URL.
func NewPostgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip(EnvPostgres + " is not set: skipping the PostgreSQL half (.ci/run sets it)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "onepc_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}
