package main

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeap runs fn while sampling the heap in use, and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

// bombZip writes a zip holding one entry: head, then size bytes of one letter.
func bombZip(t *testing.T, name, head string, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create(name + ".csv")
	io.WriteString(w, head)
	io.CopyN(w, strings.NewReader(strings.Repeat("a", 1<<20)), min(size, 1<<20))
	for left := size - 1<<20; left > 0; left -= 1 << 20 {
		io.CopyN(w, strings.NewReader(strings.Repeat("a", 1<<20)), min(left, 1<<20))
	}
	zw.Close()
	f.Close()
	return path
}

// bombFile writes a plain file: head, then one line of size bytes.
func bombFile(t *testing.T, name, head string, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(head+strings.Repeat("b", size)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportBombs: every importer refuses a crafted bomb with a clear
// message, and its peak memory stays under 256 MB (issue 15: a 2.1 MB zip
// of one 2 GiB line once reached 23.9 GB).
func TestImportBombs(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{"ONEPC_DB": filepath.Join(t.TempDir(), "t.db")}
	gpadHead := "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n"
	popHead := "PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"appointments: a zip of one 256 MB line", []string{"import", "gpad", bombZip(t, "Practice_Level_Crosstab_Oct_25", gpadHead, 256<<20)}, "zip bomb"},
		{"appointments: one 8 MB line", []string{"import", "gpad", bombFile(t, "long.csv", gpadHead, 8<<20)}, "longer than 1 MB"},
		{"registered patients: a zip of one 256 MB line", []string{"import", "registered-patients", bombZip(t, "gp-reg-pat-prac-all", popHead, 256<<20)}, "zip bomb"},
		{"registered patients: one 8 MB line", []string{"import", "registered-patients", bombFile(t, "gp-reg-pat-prac-all.csv", popHead, 8<<20)}, "longer than 1 MB"},
		{"ODS practices: one 8 MB line", []string{"import", "ods-practices", bombFile(t, "epraccur.csv", "", 8<<20)}, "longer than 1 MB"},
		{"PCN members: one 8 MB line", []string{"import", "pcn-members", bombFile(t, "epcncorepartnerdetails.csv", "", 8<<20)}, "longer than 1 MB"},
		{"PCN members: a workbook over 64 MB", []string{"import", "pcn-members", bombFile(t, "ePCN.xlsx", "PK", 65<<20)}, "larger than 64 MB"},
	} {
		var err error
		peak := peakHeap(func() { _, _, err = onepc(t, ctx, env, "", tc.args...) })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
		if peak > 256<<20 {
			t.Errorf("%s: peak heap %d MB, want under 256 MB", tc.name, peak>>20)
		}
		t.Logf("%s: refused, peak heap %d MB", tc.name, peak>>20)
	}
}
