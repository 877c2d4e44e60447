// Command duckdb loads practice-level appointments files into a DuckDB
// table with read_csv, the yardstick for OnePC's own import. It prints one
// line: the rows loaded and the seconds it took; with -each, it loads the
// files one at a time into the table the ones before went into, a line a
// file. It is a module of its own so that DuckDB never enters OnePC's go.mod.
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
		fmt.Fprintln(os.Stderr, "usage: duckdb [-each] FILE…")
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
	files := os.Args[1:]
	each := files[0] == "-each"
	if each {
		files = files[1:]
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	if each {
		// A month at a time into the database the months before it are in,
		// as OnePC imports a month's publication: one line a file.
		for i, f := range quoted {
			start := time.Now()
			q := `INSERT INTO appointments SELECT * FROM read_csv(` + f + `, header = true)`
			if i == 0 {
				q = `CREATE TABLE appointments AS SELECT * FROM read_csv(` + f + `, header = true)`
			}
			res, err := db.Exec(q)
			if err != nil {
				fail(err)
			}
			if _, err := db.Exec("CHECKPOINT"); err != nil { // on disk before the clock stops
				fail(err)
			}
			n, _ := res.RowsAffected()
			fmt.Printf("%d %.3f\n", n, time.Since(start).Seconds())
		}
		return
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
