package main

import (
	"os"
	"runtime/debug"
)

// Garbage collection for a server: Go's default (GOGC=100) collects each
// time the heap doubles, which at a month-end rush was a fifth of the
// server's CPU. onepc serve lets the heap grow to five times what is live
// (GOGC=400) under a soft limit of 400 MiB, past which it collects as often
// as it must. bench/rush (2 cores, four runs each, the machine noisy):
// 1.24–1.66 ms of CPU a request with Go's default, 1.10–1.33 ms with this,
// peak memory 210–235 MB then and 380–410 MB now. GOGC and GOMEMLIMIT, set
// in the environment, still decide.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 400 << 20
)

func tuneServerGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
