package store

import (
	"context"
	"database/sql"
	"errors"
)

// MarkDemo records that the database holds OnePC's synthetic demo data.
func (s *Store) MarkDemo(ctx context.Context) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "INSERT INTO settings (key, value) VALUES ('demo', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
		return err
	})
}

// IsDemo reports whether the database holds the synthetic demo data.
func (s *Store) IsDemo(ctx context.Context) (bool, error) {
	var v string
	err := s.reader().queryRow(ctx, "SELECT value FROM settings WHERE key = 'demo'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "1", err
}
