package store

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Version is a number that changes whenever anything in the database
// changes: every write appends to the audit log, so the log's last sequence
// number serves. Servers key their in-memory caches by it, so that a cache
// is never stale, whichever server made the change.
//
// On PostgreSQL, while this server is listening for the notifications every
// write sends, the version comes from memory; otherwise it is read.
func (s *Store) Version(ctx context.Context) (int64, error) {
	if s.listening.Load() {
		return s.known.Load(), nil
	}
	var v int64
	err := s.reader().queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&v)
	if err == nil {
		s.noteVersion(v)
	}
	return v, err
}

// noteVersion raises the version known in memory to v.
func (s *Store) noteVersion(v int64) {
	for {
		old := s.known.Load()
		if v <= old || s.known.CompareAndSwap(old, v) {
			return
		}
	}
}

// listen keeps a connection listening for version notifications until ctx
// ends, reconnecting after a failure; while it is down, Version reads the
// database.
func (s *Store) listen(ctx context.Context, dsn string) {
	defer close(s.listenDone)
	for ctx.Err() == nil {
		s.listenOnce(ctx, dsn)
		s.listening.Store(false)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, dsn string) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN onepc_version"); err != nil {
		return
	}
	// Listening first, then reading: no write can fall between the two.
	var v int64
	if err := c.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&v); err != nil {
		return
	}
	s.noteVersion(v)
	s.listening.Store(true)
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return
		}
		if v, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			s.noteVersion(v)
		}
	}
}

// VersionCache keeps values computed from the database for as long as its
// Version stands. It is bounded: when full it starts again empty.
type VersionCache[V any] struct {
	mu      sync.Mutex
	version int64
	limit   int
	m       map[string]V
}

// NewVersionCache makes a cache holding at most limit entries.
func NewVersionCache[V any](limit int) *VersionCache[V] {
	return &VersionCache[V]{limit: limit, m: map[string]V{}}
}

// Get returns the value cached for key at version v.
func (c *VersionCache[V]) Get(v int64, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	if v != c.version {
		return zero, false
	}
	val, ok := c.m[key]
	return val, ok
}

// Put caches val for key at version v; a newer version empties the cache.
func (c *VersionCache[V]) Put(v int64, key string, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v < c.version {
		return
	}
	if v > c.version || len(c.m) >= c.limit {
		c.m, c.version = map[string]V{}, v
	}
	c.m[key] = val
}
