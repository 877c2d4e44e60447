package main

import (
	"runtime/debug"
	"testing"
)

// TestServerGC: serve collects as the README says, unless the environment
// says otherwise.
func TestServerGC(t *testing.T) {
	was, wasLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(was); debug.SetMemoryLimit(wasLimit) }()

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneServerGC()
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GOGC %d, want %d", got, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != serveMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, serveMemoryLimit)
	}

	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1TiB")
	tuneServerGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set in the environment: changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOMEMLIMIT set in the environment: changed to %d", got)
	}
}
