package store

import "context"

// TamperForTest edits an audit entry behind the log's back, as an intruder
// with database access might.
func TamperForTest(ctx context.Context, s *Store, seq int64) error {
	_, err := s.write.ExecContext(ctx, s.reader().rebind("UPDATE audit_log SET actor = 'intruder' WHERE seq = ?"), seq)
	return err
}

// CarryAppointmentsOverForTest runs migration 006's Go step again, on
// whatever 004- and 005-shaped tables a test has made.
func CarryAppointmentsOverForTest(ctx context.Context, s *Store) error {
	return s.tx(ctx, func(c conn) error { return c.carryAppointmentsOver(ctx) })
}

// ExecForTest runs one statement on the write pool.
func ExecForTest(ctx context.Context, s *Store, query string) error {
	_, err := s.write.ExecContext(ctx, query)
	return err
}

// SetMaxPendingValuesForTest makes appointments imports write measure
// values after every n values.
func SetMaxPendingValuesForTest(s *Store, n int) { s.maxPendingValues = n }

// QueryInt64ForTest runs a query that returns one number.
func QueryInt64ForTest(ctx context.Context, s *Store, query string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

// MigrateUpToForTest applies the migrations up to version last only.
func MigrateUpToForTest(ctx context.Context, s *Store, last int) error {
	_, err := s.migrate(ctx, last)
	return err
}

// BallotIDsForTest lists a decision's ballot ids, and how many carry a
// voter or a time.
func BallotIDsForTest(ctx context.Context, s *Store, decision int64) (ids []int64, named int, err error) {
	rows, err := s.read.QueryContext(ctx, s.reader().rebind("SELECT id, voter_key IS NOT NULL OR cast_at IS NOT NULL FROM plan_ballots WHERE decision_id = ? ORDER BY id"), decision)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n bool
		if err := rows.Scan(&id, &n); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
		if n {
			named++
		}
	}
	return ids, named, rows.Err()
}
