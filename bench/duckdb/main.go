// Command duckdb loads practice-level appointments files into a DuckDB
// table with read_csv, the yardstick for OnePC's own import. It prints one
// line: the rows loaded and the seconds it took. It is a module of its own
// so that DuckDB never enters OnePC's go.mod.
package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: duckdb FILE…")
		os.Exit(2)
	}
	// A durable database file, as OnePC's import writes one: an in-memory
	// DuckDB would be timed without writing anything down.
	dir, err := os.MkdirTemp("", "onepc-duckdb-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("duckdb", filepath.Join(dir, "bench.duckdb"))
	if err != nil {
		fail(err)
	}
	defer db.Close()
	quoted := make([]string, len(os.Args)-1)
	for i, f := range os.Args[1:] {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	start := time.Now()
	if _, err := db.Exec(`CREATE TABLE appointments AS SELECT * FROM read_csv([` + strings.Join(quoted, ",") + `], header = true)`); err != nil {
		fail(err)
	}
	if _, err := db.Exec("CHECKPOINT"); err != nil { // on disk before the clock stops
		fail(err)
	}
	took := time.Since(start)
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM appointments").Scan(&n); err != nil {
		fail(err)
	}
	fmt.Printf("%d %.3f\n", n, took.Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "duckdb:", err)
	os.Exit(1)
}
