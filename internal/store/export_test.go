package store

import "context"

// TamperForTest edits an audit entry behind the log's back, as an intruder
// with database access might.
func TamperForTest(ctx context.Context, s *Store, seq int64) error {
	_, err := s.write.ExecContext(ctx, s.reader().rebind("UPDATE audit_log SET actor = 'intruder' WHERE seq = ?"), seq)
	return err
}

// Listening reports whether a PostgreSQL store hears version notifications.
func Listening(s *Store) bool { return s.listening.Load() }

// ConvertAppointmentsForTest runs migration 005's Go step again, on
// whatever 004-shaped tables a test has made.
func ConvertAppointmentsForTest(ctx context.Context, s *Store) error {
	return s.tx(ctx, func(c conn) error { return c.convertAppointments(ctx) })
}

// ExecForTest runs one statement on the write pool.
func ExecForTest(ctx context.Context, s *Store, query string) error {
	_, err := s.write.ExecContext(ctx, query)
	return err
}

// SetMaxPendingValuesForTest makes appointments imports merge measure
// values into the stored months after every n values.
func SetMaxPendingValuesForTest(s *Store, n int) { s.maxPendingValues = n }
