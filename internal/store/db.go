// Package store keeps OnePC's data in SQLite (one file, the default) or
// PostgreSQL (for several servers on one database), with one schema and the
// same SQL wherever the two dialects allow it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/onepc/onepc/internal/problem"
)

// Dialect is the SQL engine behind a Store.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// Store is OnePC's database. For SQLite it keeps one connection for writes
// (so writers queue instead of failing busy) and a pool for reads.
type Store struct {
	dialect Dialect
	read    *sql.DB
	write   *sql.DB
	now     func() time.Time
	// catalogue caches the service catalogue (see Services).
	catalogue catalogue
	// stmts keeps SQLite's reads prepared (nil on PostgreSQL).
	stmts *stmtCache
	// writer runs SQLite's write transactions (nil on PostgreSQL, whose
	// connections write at once).
	writer *writer
	// maxPendingValues bounds the measure values an appointments import
	// holds before merging them into the stored months (tests lower it).
	maxPendingValues int
}

// Open connects to dsn: a postgres:// or postgresql:// URL, or an SQLite file
// path (optionally file:…). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{now: time.Now, maxPendingValues: 250_000}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect = Postgres
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		// As many kept idle as may be open: a connection closed for want of
		// room in the idle pool is a new server process to start on the next
		// busy moment.
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.read, s.write = db, db
	} else {
		path := strings.TrimPrefix(dsn, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		base := "file:" + path + "?" + url.Values{"_pragma": {
			"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)",
		}}.Encode()
		w, err := sql.Open("sqlite", base+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", base)
		if err != nil {
			w.Close()
			return nil, err
		}
		// Keep every reader open: a new SQLite connection parses the whole
		// schema, and with the default two idle connections a busy server
		// opened one for most of its reads (bench/mustdo: a fifth of its time).
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		s.read, s.write = r, w
		s.stmts = &stmtCache{db: r}
		s.writer = newWriter()
	}
	if err := s.write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.dialect, err)
	}
	return s, nil
}

// Dialect says which engine this store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// SetClock replaces the store's clock, for tests.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Close closes every connection.
func (s *Store) Close() error {
	if s.writer != nil {
		s.writer.stop()
	}
	if s.stmts != nil {
		s.stmts.close()
	}
	err := s.read.Close()
	if s.write != s.read {
		err = errors.Join(err, s.write.Close())
	}
	return err
}

// Analyze refreshes the query planner's statistics, as autovacuum (or
// SQLite's optimize) does in time on its own; benchmarks call it after
// loading data in bulk.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.write.ExecContext(ctx, "ANALYZE")
	return err
}

// Ping checks that the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// conn runs SQL written with ? placeholders on either engine.
type conn struct {
	q       querier
	dialect Dialect
	now     time.Time
	changed *bool      // in a write transaction: set by referenceChanged
	stmts   *stmtCache // on SQLite's read pool, outside transactions
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, c.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, c.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, c.rebind(query), args...)
}

// prepared is query kept prepared, or nil (see stmtCache).
func (c conn) prepared(ctx context.Context, query string) *sql.Stmt {
	if c.stmts == nil {
		return nil
	}
	return c.stmts.get(ctx, query)
}

// rebind turns ? into $1, $2 … for PostgreSQL. Queries here never hold a
// literal question mark.
func (c conn) rebind(q string) string {
	if c.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// reader returns a conn on the read pool.
func (s *Store) reader() conn {
	return conn{q: s.read, dialect: s.dialect, now: s.now(), stmts: s.stmts}
}

// tx runs fn in one write transaction, committed only if fn returns nil
// (on SQLite, on the writer's goroutine).
func (s *Store) tx(ctx context.Context, fn func(c conn) error) error {
	if s.writer != nil {
		return s.writer.do(ctx, func() error { return s.runTx(ctx, fn) })
	}
	return s.runTx(ctx, fn)
}

func (s *Store) runTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// A panic in fn (or its goroutine's end) rolls back, or the connection,
	// SQLite's only writer, would stay taken for good; after a commit it
	// does nothing.
	defer tx.Rollback()
	var changed bool
	c := conn{q: tx, dialect: s.dialect, now: s.now(), changed: &changed}
	err = fn(c)
	if err == nil && changed {
		_, err = c.exec(ctx, "UPDATE data_version SET version = version + 1 WHERE id = 1")
	}
	if err != nil {
		tx.Rollback()
		return mapError(err)
	}
	if err := tx.Commit(); err != nil {
		return mapError(err)
	}
	return nil
}

// mapError turns driver constraint errors into problem kinds, in one place.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &problem.Error{Kind: problem.Conflict, Message: "That already exists", Err: err}
		case "23503":
			return &problem.Error{Kind: problem.Invalid, Message: "That refers to something that does not exist", Err: err}
		case "22008": // a date PostgreSQL cannot keep, such as year 0
			return &problem.Error{Kind: problem.Invalid, Message: "What was sent holds a date outside the years OnePC keeps", Err: err}
		case "40P01", "40001": // a deadlock, or a serialization failure: one of two at once gives way
			return &problem.Error{Kind: problem.Conflict, Message: "This changed at the same moment as another change: reload the page to see it as it is now, then try again", Err: err}
		case "22021": // a NUL or bytes that are not UTF-8, which SQLite would keep
			return &problem.Error{Kind: problem.Invalid, Message: "What was sent holds a character that cannot be saved (a NUL, or bytes that are not UTF-8 text)", Err: err}
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return &problem.Error{Kind: problem.Conflict, Message: "That already exists", Err: err}
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return &problem.Error{Kind: problem.Invalid, Message: "That refers to something that does not exist", Err: err}
	}
	return err
}

// dateArg writes a date as YYYY-MM-DD (NULL when zero); both engines compare
// it as a date.
func dateArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.DateOnly)
}

// tsFormat is fixed-width so that SQLite compares timestamps as text correctly.
const tsFormat = "2006-01-02T15:04:05.000000Z"

// tsArg writes a timestamp: timestamptz on PostgreSQL, fixed-width UTC text on SQLite.
func (c conn) tsArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if c.dialect == Postgres {
		return t
	}
	return t.Format(tsFormat)
}

// nullTime scans a date or timestamp from either engine; NULL gives zero.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.t = time.Time{}
	case time.Time:
		*n.t = x.UTC()
	case string:
		return n.parse(x)
	case []byte:
		return n.parse(string(x))
	default:
		return fmt.Errorf("cannot scan %T as a time", v)
	}
	return nil
}

func (n nullTime) parse(s string) error {
	for _, layout := range []string{tsFormat, time.RFC3339Nano, time.DateOnly, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			*n.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}

// inClause returns "(?,?,?)" and the args for a list.
func inClause[T any](xs []T) (string, []any) {
	if len(xs) == 0 {
		return "(NULL)", nil
	}
	args := make([]any, len(xs))
	for i, x := range xs {
		args[i] = x
	}
	return "(" + strings.Repeat("?,", len(xs)-1) + "?)", args
}

// notFound wraps sql.ErrNoRows as a NotFound problem.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &problem.Error{Kind: problem.NotFound, Message: fmt.Sprintf(format, args...)}
	}
	return err
}

// Clock returns the store's clock, so that a caller that sets another for a
// while (the demo, writing last year's history) can put it back.
func (s *Store) Clock() func() time.Time { return s.now }

// escapeLike makes text match itself in a LIKE pattern written with
// ESCAPE '\': a search for "_" or "%" finds those characters, not
// everything (both engines; PostgreSQL's default escape is the same).
func escapeLike(text string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(text)
}

// rowLock is a locking clause ("FOR UPDATE", "FOR SHARE") to end a SELECT
// with on PostgreSQL, and nothing on SQLite, which writes one transaction
// at a time.
func (c conn) rowLock(clause string) string {
	if c.dialect == Postgres {
		return " " + clause
	}
	return ""
}

// lockClaims locks the claims where finds, in id order, before a write
// moves and audits several of them. An amendment holding one of them then
// finishes (it needs only the audit log's lock, not yet taken here), and
// is seen. Locked as met instead, a review holding the log's lock waited
// for the amendment's claim while the amendment waited for the log: a
// deadlock on PostgreSQL, 24 of 40 in a probe.
func (c conn) lockClaims(ctx context.Context, where string, args ...any) error {
	if c.dialect != Postgres {
		return nil
	}
	_, err := c.exec(ctx, "SELECT id FROM claims WHERE "+where+" ORDER BY id"+c.rowLock("FOR UPDATE"), args...)
	return err
}
