package store

import (
	"context"
	"time"
)

// Loader writes rows as they are given, inside one transaction: for test
// fixtures and benchmark data sets (bench/benchkit's national seeder), which
// need millions of rows in seconds. It bypasses the domain's checks and the
// audit log, so nothing a user does reaches it.
type Loader struct {
	c conn
}

// Load runs fn in one write transaction, committed only if fn returns nil.
// Caches of reference data and of the service catalogue start again after it.
func (s *Store) Load(ctx context.Context, fn func(l Loader) error) error {
	return s.tx(ctx, func(c conn) error {
		c.referenceChanged() // whatever it loads, caches start again
		if err := fn(Loader{c}); err != nil {
			return err
		}
		if err := c.mustDosChanged(ctx); err != nil {
			return err
		}
		return c.bumpCatalogue(ctx)
	})
}

// Insert writes n rows of cols into table, many rows a statement.
func (l Loader) Insert(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	return l.c.bulkInsert(ctx, table, cols, n, row)
}

// Exec runs one statement written with ? placeholders.
func (l Loader) Exec(ctx context.Context, query string, args ...any) error {
	_, err := l.c.exec(ctx, query, args...)
	return err
}

// QueryRow runs one query written with ? placeholders that returns a row.
func (l Loader) QueryRow(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
	return l.c.queryRow(ctx, query, args...)
}

// Date writes a day the way the engine stores dates.
func (l Loader) Date(t time.Time) any { return dateArg(t) }

// Timestamp writes a moment the way the engine stores timestamps.
func (l Loader) Timestamp(t time.Time) any { return l.c.tsArg(t) }
