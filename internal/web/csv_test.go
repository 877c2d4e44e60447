package web

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestCSVFormulaInjection: a cell a spreadsheet would run as a formula is
// written as text; numbers, negative ones included, stay numbers.
func TestCSVFormulaInjection(t *testing.T) {
	var b bytes.Buffer
	cw := &csvWriter{csv.NewWriter(&b)}
	rec := []string{"=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "-12.50", "+3", "1,234", "Y00001", ""}
	if err := cw.Write(rec); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	want := "\"'=HYPERLINK(\"\"http://x\"\")\",'+1+1,'-2+3,'@SUM(A1),'\tTab,\"'\rCR\",-12.50,+3,\"1,234\",Y00001,\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	if rec[0] != "=HYPERLINK(\"http://x\")" {
		t.Error("the caller's record was changed")
	}
}
