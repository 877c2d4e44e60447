package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
)

// stmtCache keeps SQLite's reads prepared, by their text, on every reading
// connection: parsing the SQL again for every query was a fifth of the CPU
// of a month-end rush (bench/rush: sessions, returns and measures read on
// every page). PostgreSQL's driver keeps a connection's statements itself.
//
// Only reads outside transactions use it: a read connection serves one query
// at a time, whereas a transaction may run a statement again while its rows
// are open. A statement with a list of placeholders (an IN list) differs
// with the list's length and is not kept, and the cache stops growing at
// maxCachedStatements, so that odd queries cannot fill memory.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query text → *sql.Stmt
	n     atomic.Int64
	mu    sync.Mutex // held while preparing, so a statement is prepared once
}

const maxCachedStatements = 500

// get returns query prepared, or nil where it is not to be kept (the
// caller then runs the query as it is, and sees any error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if c.n.Load() >= maxCachedStatements || strings.Contains(query, "?,") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts.Store(query, st)
	c.n.Add(1)
	return st
}

// close closes every statement kept.
func (c *stmtCache) close() {
	c.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}
