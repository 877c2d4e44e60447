package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestVersionMovesWithEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v0, err := s.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.SaveOrgs(ctx, "test", orgs.Org{Code: "Y1", Kind: orgs.Region, Name: "R"})
		v1, _ := s.Version(ctx)
		if v1 <= v0 {
			t.Errorf("version %d after a write, %d before", v1, v0)
		}
		c := store.NewVersionCache[int](2)
		c.Put(v1, "a", 1)
		if got, ok := c.Get(v1, "a"); !ok || got != 1 {
			t.Error("cache miss at the same version")
		}
		if _, ok := c.Get(v1+1, "a"); ok {
			t.Error("cache hit at a newer version")
		}
		c.Put(v1, "b", 2)
		c.Put(v1, "c", 3) // over the limit: starts again
		if _, ok := c.Get(v1, "a"); ok {
			t.Error("cache grew past its limit")
		}
		c.Put(v1-1, "old", 9)
		if _, ok := c.Get(v1-1, "old"); ok {
			t.Error("an older version was cached")
		}
	})
}

// TestVersionReachesOtherServers: a write through one store (server) moves
// the version another store sees, at once on SQLite (it reads the file) and
// within moments on PostgreSQL (it is notified).
func TestVersionReachesOtherServers(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			stores := storetest.OpenMany(t, engine, 2)
			a, b := stores[0], stores[1]
			ctx := context.Background()
			if engine == "postgres" { // the version must come from notifications, not reads
				for i := 0; !store.Listening(b) || !store.Listening(a); i++ {
					if i > 500 {
						t.Fatal("the stores never started listening")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			before, _ := b.Version(ctx)
			if err := a.SaveOrgs(ctx, "test", orgs.Org{Code: "Y2", Kind: orgs.Region, Name: "R"}); err != nil {
				t.Fatal(err)
			}
			mine, _ := a.Version(ctx)
			if mine <= before {
				t.Fatalf("the writer's own version did not move: %d → %d", before, mine)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, err := b.Version(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if v >= mine {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the other server still sees version %d, not %d", v, mine)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
