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

// Schema is where the database's schema stands: how many migrations are
// applied, and the newest.
type Schema struct {
	Engine  string `json:"engine"` // SQLite or PostgreSQL
	Applied int    `json:"migrations_applied"`
	Latest  string `json:"latest_migration"`
}

// SchemaStatus reads the schema's state, for the service status page.
func (s *Store) SchemaStatus(ctx context.Context) (Schema, error) {
	sc := Schema{Engine: s.dialect.String()}
	c := s.reader()
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&sc.Applied); err != nil {
		return sc, err
	}
	err := c.queryRow(ctx, "SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1").Scan(&sc.Latest)
	return sc, err
}
