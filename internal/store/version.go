package store

import (
	"context"
	"sync"
)

// Version is a number that changes whenever anything in the database
// changes: every write appends to the audit log, so the log's last sequence
// number serves. Servers key their in-memory caches by it, so that a cache
// is never stale, whichever server made the change.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.reader().queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&v)
	return v, err
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
