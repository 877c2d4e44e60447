package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// SubmissionResult is what the first submission of a form answered.
type SubmissionResult struct {
	Status   int
	Location string
	Body     string
}

// submissionsKept is how long a form's key is remembered.
const submissionsKept = 24 * time.Hour

// errKeyReused answers a form's key sent again with another request.
var errKeyReused = problem.New(problem.Invalid, "This form was sent before with other content. Open the page again, so that the form is new, and send it from there.")

// BeginSubmission records the first submission of a form's key by a user
// for request (a fingerprint of what it asks), and reports whether this is
// it. A repeat with another request is refused. Keys older than a day are
// forgotten.
func (s *Store) BeginSubmission(ctx context.Context, userID int64, key, request string) (bool, error) {
	first := false
	err := s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, "DELETE FROM form_submissions WHERE created_at < ?", c.tsArg(c.now.Add(-submissionsKept))); err != nil {
			return err
		}
		res, err := c.exec(ctx, "INSERT INTO form_submissions (user_id, key, created_at, request) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING",
			userID, key, c.tsArg(c.now), request)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if first = n == 1; first {
			return nil
		}
		var was string
		err = c.queryRow(ctx, "SELECT request FROM form_submissions WHERE user_id = ? AND key = ?", userID, key).Scan(&was)
		switch {
		case errors.Is(err, sql.ErrNoRows): // the first failed and was forgotten meanwhile
			return nil
		case err != nil:
			return err
		case was != request:
			return errKeyReused
		}
		return nil
	})
	return first, err
}

// FinishSubmission records what the first submission answered.
func (s *Store) FinishSubmission(ctx context.Context, userID int64, key string, r SubmissionResult) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "UPDATE form_submissions SET status = ?, location = ?, body = ? WHERE user_id = ? AND key = ?",
			r.Status, r.Location, r.Body, userID, key)
		return err
	})
}

// ForgetSubmission drops a key whose first submission failed, so that the
// form, corrected, can be sent again.
func (s *Store) ForgetSubmission(ctx context.Context, userID int64, key string) error {
	return s.tx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "DELETE FROM form_submissions WHERE user_id = ? AND key = ?", userID, key)
		return err
	})
}

// AwaitSubmission waits, up to wait, for the first submission of a key to
// finish, and returns its result; found is false if it failed (the key was
// forgotten), and done false if it is still being handled.
func (s *Store) AwaitSubmission(ctx context.Context, userID int64, key string, wait time.Duration) (r SubmissionResult, found, done bool, err error) {
	deadline := time.Now().Add(wait)
	for {
		var status sql.NullInt64
		err = s.reader().queryRow(ctx, "SELECT status, location, body FROM form_submissions WHERE user_id = ? AND key = ?", userID, key).
			Scan(&status, &r.Location, &r.Body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return r, false, false, nil
		case err != nil:
			return r, false, false, err
		case status.Valid:
			r.Status = int(status.Int64)
			return r, true, true, nil
		case time.Now().After(deadline):
			return r, true, false, nil
		}
		select {
		case <-ctx.Done():
			return r, true, false, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}
