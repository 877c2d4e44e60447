package store

import (
	"context"
	"fmt"
	"strings"
)

// bulkInsert writes n rows in statements of many rows each.
func (c conn) bulkInsert(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	return c.bulkWrite(ctx, table, cols, "", n, row)
}

// bulkUpsert is bulkInsert where a row whose key (the conflict columns) is
// there already replaces it.
func (c conn) bulkUpsert(ctx context.Context, table string, cols []string, conflict string, n int, row func(i int) []any) error {
	return c.bulkWrite(ctx, table, cols, conflict, n, row)
}

func (c conn) bulkWrite(ctx context.Context, table string, cols []string, conflict string, n int, row func(i int) []any) error {
	suffix := ""
	if conflict != "" {
		var set []string
		for _, col := range cols {
			set = append(set, col+" = excluded."+col)
		}
		suffix = " ON CONFLICT (" + conflict + ") DO UPDATE SET " + strings.Join(set, ", ")
	}
	per := 30000 / len(cols) // under both engines' limits on bound parameters
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", end-start), ",") + suffix
		if _, err := c.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("bulk insert into %s: %w", table, err)
		}
	}
	return nil
}
