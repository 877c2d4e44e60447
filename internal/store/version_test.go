package store_test

import (
	"context"
	"testing"

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
