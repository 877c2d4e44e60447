package store

import (
	"context"
	"sync"
)

// DataVersion is a number that changes whenever reference data changes:
// organisations and PCN memberships, appointments, registered lists and
// measures, all of which change only by imports and rare edits. Sign-ins,
// claims and every other write leave it be, so a cache keyed by it lasts
// until the data it was built from changes, on whichever server that
// happens (each request reads it: one row by key).
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.reader().queryRow(ctx, "SELECT version FROM data_version WHERE id = 1").Scan(&v)
	return v, err
}

// MustDoVersion is a number that rises whenever anything must-dos are
// worked out from changes: the must-do catalogue, dates or states, a grant,
// or reference data. It is the sum of the two counters, each of which only
// rises, so it moves when either does.
func (s *Store) MustDoVersion(ctx context.Context) (int64, error) {
	var m, d int64
	err := s.reader().queryRow(ctx, "SELECT m.version, d.version FROM mustdo_version m, data_version d WHERE m.id = 1 AND d.id = 1").Scan(&m, &d)
	return m + d, err
}

// Versions reads DataVersion and MustDoVersion in one query: a page that
// needs both asks once.
func (s *Store) Versions(ctx context.Context) (data, mustDos int64, err error) {
	var m int64
	err = s.reader().queryRow(ctx, "SELECT m.version, d.version FROM mustdo_version m, data_version d WHERE m.id = 1 AND d.id = 1").Scan(&m, &data)
	return data, m + data, err
}

// mustDosChanged moves MustDoVersion on, in a write transaction that
// changes what must-dos are worked out from.
func (c conn) mustDosChanged(ctx context.Context) error {
	_, err := c.exec(ctx, "UPDATE mustdo_version SET version = version + 1 WHERE id = 1")
	return err
}

// referenceChanged notes, in a write transaction, that it changes
// reference data: DataVersion moves on when it commits, once however many
// rows it wrote.
func (c conn) referenceChanged() {
	if c.changed != nil {
		*c.changed = true
	}
}

// VersionCache keeps values computed from the database for as long as the
// version they were computed at stands. It is bounded: when full it starts
// again empty.
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
