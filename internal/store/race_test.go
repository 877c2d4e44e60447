package store_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// TestAmendRacingApproval: a practice amends a claim while its commissioner
// approves the version they saw, many times over. Exactly one of the two
// wins each race, and a payment run then pays exactly what was approved:
// never an amended amount nobody approved (issue 15 saw £3,564 paid where
// £360 was approved, 12 times in 161 races on PostgreSQL).
func TestAmendRacingApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := benchkit.SeedNational(ctx, s, 40, 1, 1, 0, 2026); err != nil {
			t.Fatal(err)
		}
		s.SetClock(func() time.Time { return time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC) })
		list, _, err := s.Claims(ctx, store.ClaimQuery{Status: claims.Submitted, Limit: 1000})
		if err != nil || len(list) != 40 {
			t.Fatalf("%d submitted claims, %v", len(list), err)
		}
		approved := map[int64]int64{} // claim → the pence approved
		var mu sync.Mutex
		amendWins, approveWins := 0, 0
		for _, cl := range list {
			var wg sync.WaitGroup
			var amendErr, approveErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				amendErr = s.Amend(ctx, "pm", cl.Org, cl.ID, map[string]string{"items": strconv.FormatInt(cl.Activity["items"]*10, 10)}, false, "Amended in a test of races", "")
			}()
			go func() {
				defer wg.Done()
				approveErr = s.Review(ctx, "comm", "QNN", []int64{cl.ID}, map[int64]int{cl.ID: cl.Version}, claims.ActApprove, "")
			}()
			wg.Wait()
			mu.Lock()
			switch {
			case amendErr == nil && approveErr == nil:
				t.Errorf("claim %d: both the amendment and the approval of the version before it went through", cl.ID)
			case approveErr == nil:
				approveWins++
				approved[cl.ID] = cl.Pence
				if problem.KindOf(amendErr) != problem.Conflict {
					t.Errorf("claim %d: the losing amendment: %v, want a conflict", cl.ID, amendErr)
				}
			case amendErr == nil:
				amendWins++
				if problem.KindOf(approveErr) != problem.Conflict {
					t.Errorf("claim %d: the losing approval: %v, want a conflict", cl.ID, approveErr)
				}
			default:
				t.Errorf("claim %d: neither went through: %v / %v", cl.ID, amendErr, approveErr)
			}
			mu.Unlock()
		}
		run, err := s.RunPayments(ctx, "fin", "QNN", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := s.PaymentLines(ctx, run, "QNN")
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != len(approved) {
			t.Errorf("%d claims paid, %d approved", len(lines), len(approved))
		}
		for _, l := range lines {
			if want, ok := approved[l.ClaimID]; !ok || l.Pence != want {
				t.Errorf("claim %d paid %d pence, approved %d (approved: %v)", l.ClaimID, l.Pence, want, ok)
			}
		}
		t.Logf("%d races: the approval won %d, the amendment %d", len(list), approveWins, amendWins)
	})
}
