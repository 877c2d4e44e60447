package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/onepc/onepc/internal/claims"
)

// FuzzParseReturnCSV feeds the return upload's parser damaged CSV and
// workbooks: it must never panic, and whatever it accepts must name only
// the return's one service and field.
func FuzzParseReturnCSV(f *testing.F) {
	sept := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	lines := []claims.ReturnLine{{Service: claims.Service{ID: 7, Code: "LES-ECG", Name: "ECGs", Fields: []claims.Field{{Key: "ecgs_performed", Label: "ECGs performed"}}},
		Period: claims.Period{Start: sept, End: sept.AddDate(0, 1, -1)}}}
	f.Add([]byte("practice_code,service_code,service_name,period_start,field,field_label,value\nY00001,LES-ECG,ECGs,2026-09-01,ecgs_performed,ECGs performed,42\n"))
	f.Add([]byte("\ufeffpractice_code,service_code,service_name,period_start,field,field_label,value\r\nY00001,LES-ECG,ECGs,01/09/2026,ecgs_performed,ECGs performed,\"1,234\"\r\n"))
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"practice_code", "service_code", "service_name", "period_start", "field", "field_label", "value"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{"Y00001", "LES-ECG", "ECGs", "2026-09-01", "ecgs_performed", "ECGs performed", 42})
	var buf bytes.Buffer
	wb.Write(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := parseReturnCSV(bytes.NewReader(data), "fuzz.csv", "Y00001", lines)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.ServiceID != 7 {
				t.Fatalf("accepted service %d", e.ServiceID)
			}
			for k, v := range e.Activity {
				if k != "ecgs_performed" || strings.ContainsAny(v, ", ") {
					t.Fatalf("accepted %q = %q", k, v)
				}
			}
		}
	})
}

func TestDecimalPounds(t *testing.T) {
	for p, want := range map[int64]string{0: "0.00", 5: "0.05", 75000: "750.00", 123456: "1234.56", -75050: "-750.50", -5: "-0.05"} {
		if got := decimalPounds(p); got != want {
			t.Errorf("%d: %q, want %q", p, got, want)
		}
	}
}
