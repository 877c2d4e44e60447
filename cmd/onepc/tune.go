package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// Garbage collection for a server: Go's default (GOGC=100) collects each
// time the heap doubles, which at a month-end rush was a fifth of the
// server's CPU. onepc serve lets the heap grow to five times what is live
// (GOGC=400) under a soft limit of 400 MiB, past which it collects as often
// as it must. bench/rush (2 cores, four runs each, the machine noisy):
// 1.24–1.66 ms of CPU a request with Go's default, 1.10–1.33 ms with this,
// peak memory 210–235 MB then and 380–410 MB now.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 400 << 20
)

// serveExtraProcs is how many processors (GOMAXPROCS) serve runs on beyond
// Go's own choice, one a core. Password checks, as many at once as there
// are cores, each run for tens of milliseconds without a pause and hold a
// processor for whole 10 ms slices: with every processor hashing, a page
// woken by its database's answer waited for a slice to end, at every
// query. One processor more lets it run at once, the kernel sharing the
// cores. bench/rush -think 1s (2 cores, 200 people, sign-ins among pages):
// the worst page's p99 went from 66–87 ms to 29–42 ms on SQLite and from
// 147–188 ms to 67–71 ms on PostgreSQL. Saturated (no think time) it costs
// little on SQLite and about a tenth of PostgreSQL's throughput (115
// against 129 pages a second each); two more lost a fifth on both.
const serveExtraProcs = 1

// tuneServer sets the collector and the processors as above; GOGC,
// GOMEMLIMIT and GOMAXPROCS, set in the environment, still decide.
func tuneServer() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + serveExtraProcs)
	}
}
