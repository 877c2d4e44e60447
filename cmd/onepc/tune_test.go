package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneServer: serve collects and schedules as the README says, unless
// the environment says otherwise.
func TestTuneServer(t *testing.T) {
	was, wasLimit, wasProcs := debug.SetGCPercent(100), debug.SetMemoryLimit(-1), runtime.GOMAXPROCS(0)
	defer func() { debug.SetGCPercent(was); debug.SetMemoryLimit(wasLimit); runtime.GOMAXPROCS(wasProcs) }()

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOMAXPROCS", "")
	tuneServer()
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GOGC %d, want %d", got, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != serveMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, serveMemoryLimit)
	}
	if got := runtime.GOMAXPROCS(wasProcs); got != wasProcs+serveExtraProcs {
		t.Errorf("GOMAXPROCS %d, want %d", got, wasProcs+serveExtraProcs)
	}

	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1TiB")
	t.Setenv("GOMAXPROCS", "7")
	tuneServer()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set in the environment: changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOMEMLIMIT set in the environment: changed to %d", got)
	}
	if got := runtime.GOMAXPROCS(0); got != wasProcs {
		t.Errorf("GOMAXPROCS set in the environment: changed to %d", got)
	}
}
