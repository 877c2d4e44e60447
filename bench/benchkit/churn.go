package benchkit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
)

// Churn signs a user in every `every` until the returned stop is called, as
// the people of a month-end rush do while others read: each sign-in writes
// a session and an audit entry, the writes that once emptied every cache.
// It reports how many sign-ins it made.
func Churn(ctx context.Context, s *store.Store, every time.Duration) (stop func() int, err error) {
	u, err := s.AddUser(ctx, "bench", people.User{Email: fmt.Sprintf("churn%d@example.org", time.Now().UnixNano()), Name: "Churn"}, "x")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	n := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; i < 1_000_000; i++ { // bounded, as every load loop here is
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := s.CreateSession(ctx, u.ID, u.Email); err == nil {
					n++
				}
			}
		}
	}()
	return func() int { cancel(); wg.Wait(); return n }, nil
}
