package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// bulkInsert writes n rows in statements of many rows each.
func (c conn) bulkInsert(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	_, err := c.bulkWrite(ctx, table, cols, "", false, n, row)
	return err
}

// bulkInsertNew is bulkInsert where a row whose key (the conflict columns)
// is there already is left as it is; it returns how many rows were new.
func (c conn) bulkInsertNew(ctx context.Context, table string, cols []string, conflict string, n int, row func(i int) []any) (int64, error) {
	return c.bulkWrite(ctx, table, cols, conflict, true, n, row)
}

// bulkUpsert is bulkInsert where a row whose key (the conflict columns) is
// there already replaces it.
func (c conn) bulkUpsert(ctx context.Context, table string, cols []string, conflict string, n int, row func(i int) []any) error {
	_, err := c.bulkWrite(ctx, table, cols, conflict, false, n, row)
	return err
}

func (c conn) bulkWrite(ctx context.Context, table string, cols []string, conflict string, keep bool, n int, row func(i int) []any) (int64, error) {
	suffix := ""
	switch {
	case conflict != "" && keep:
		suffix = " ON CONFLICT (" + conflict + ") DO NOTHING"
	case conflict != "":
		var set []string
		for _, col := range cols {
			set = append(set, col+" = excluded."+col)
		}
		suffix = " ON CONFLICT (" + conflict + ") DO UPDATE SET " + strings.Join(set, ", ")
	}
	// A few hundred rows a statement: under both engines' limits on bound
	// parameters, and the last, odd-sized chunk is cheap to parse afresh.
	per := min(30000/len(cols), 256)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	statement := func(rows int) string {
		return c.rebind("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", rows), ",") + suffix)
	}
	// Whole chunks share one prepared statement: parsing thousands of rows'
	// placeholders again for every chunk was a tenth of a national import.
	var full *sql.Stmt
	if n >= 2*per {
		st, err := c.q.PrepareContext(ctx, statement(per))
		if err != nil {
			return 0, fmt.Errorf("bulk insert into %s: %w", table, err)
		}
		defer st.Close()
		full = st
	}
	args := make([]any, 0, per*len(cols))
	var written int64
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		var res sql.Result
		var err error
		if full != nil && end-start == per {
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = c.q.ExecContext(ctx, statement(end-start), args...)
		}
		if err != nil {
			return 0, fmt.Errorf("bulk insert into %s: %w", table, err)
		}
		added, _ := res.RowsAffected()
		written += added
	}
	return written, nil
}
