package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/onepc/onepc/internal/store"
)

func main() {
	ctx := context.Background()
	os.Remove("/tmp/prof.db")
	s, _ := store.Open(ctx, "/tmp/prof.db")
	s.Migrate(ctx)
	t := time.Now()
	s.SeedNational(ctx, 630, 25, 12, 2026)
	fmt.Println("seed", time.Since(t))
	s.Close()
}
