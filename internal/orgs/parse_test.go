package orgs

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/xuri/excelize/v2"
)

const samples = "testdata/"

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(samples + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEpraccurSample(t *testing.T) {
	pf, err := ParseEpraccur(bytes.NewReader(readShared(t, "epraccur_sample.csv")), "epraccur_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	if pf.Skipped != 1 || pf.BySetting[25] != 1 || len(pf.Practices) != 1 {
		t.Fatalf("got %d practices, skipped %v; want 1 practice and setting 25 skipped", len(pf.Practices), pf.BySetting)
	}
	p := pf.Practices[0]
	want := PracticeRecord{Org: Org{Code: "A81044", Kind: Practice, Name: "MCKENZIE HOUSE SURGERY", ParentCode: "00K",
		Address: []string{"MCKENZIE HOUSE", "17 KENDAL ROAD", "HARTLEPOOL", "CLEVELAND"}, Postcode: "TS25 1QU",
		Status: "A", OpenDate: time.Date(1974, 4, 1, 0, 0, 0, 0, time.UTC), Phone: "01429 230000", Setting: 4},
		RegionCode: "Y54", ICBCode: "Q74", SubICBCode: "00K"}
	if p.Code != want.Code || p.Name != want.Name || p.ParentCode != want.ParentCode || strings.Join(p.Address, "|") != strings.Join(want.Address, "|") ||
		p.Postcode != want.Postcode || !p.OpenDate.Equal(want.OpenDate) || p.Phone != want.Phone || p.RegionCode != "Y54" || p.ICBCode != "Q74" {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

// row builds an epraccur line from the good sample row with some columns replaced.
func row(changes map[int]string) string {
	cols := []string{"A81044", "MCKENZIE HOUSE SURGERY", "Y54", "Q74", "MCKENZIE HOUSE", "17 KENDAL ROAD", "HARTLEPOOL",
		"CLEVELAND", "", "TS25 1QU", "19740401", "", "A", "B", "00K", "20130401", "", "01429 230000", "", "", "", "1", "", "00K", "", "4", ""}
	for i, v := range changes {
		cols[i-1] = v
	}
	return `"` + strings.Join(cols, `","`) + "\"\r\n"
}

func TestParseEpraccurRejects(t *testing.T) {
	good := row(nil)
	tests := []struct {
		name, input, want string
	}{
		{"empty file", "", "f.csv: is empty"},
		{"26 columns", good + strings.Replace(row(nil), `,""`+"\r\n", "\r\n", 1), "f.csv: line 2: has 26 columns"},
		{"bad open date", row(map[int]string{11: "1974-04-01"}), "line 1, column 11 (open date)"},
		{"bad close date", row(map[int]string{12: "31/13/2020"}), "line 1, column 12 (close date)"},
		{"bad status", row(map[int]string{13: "X"}), "column 13 (status)"},
		{"bad sub-type", row(map[int]string{14: "RX76"}), "column 14 (organisation sub-type)"},
		{"bad setting", row(map[int]string{26: "four"}), "column 26 (prescribing setting)"},
		{"no commissioner", row(map[int]string{15: ""}), "column 15 (commissioner)"},
		{"duplicate", good + good, "line 2, column 1 (organisation code): A81044 appears twice (first on line 1)"},
		{"UTF-16", "\xff\xfe\"\x00A\x00", "not text in UTF-8"},
		{"bad quoting", good + `"A1","unterminated` + "\n", "f.csv: line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEpraccur(strings.NewReader(tc.input), "f.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
			var fe *nhsfile.FileError
			if !errors.As(err, &fe) || fe.File != "f.csv" {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
}

func TestParseEpraccurAcceptsVariants(t *testing.T) {
	tests := []struct{ name, input string }{
		{"role code sub-type", row(map[int]string{14: "RO76"})},
		{"BOM and LF", "\ufeff" + strings.TrimSuffix(row(nil), "\r\n") + "\n"},
		{"Windows-1252 name", strings.Replace(row(nil), "MCKENZIE", "M\xe9KENZIE", 1)},
		{"closed", row(map[int]string{12: "20250930", 13: "C"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pf, err := ParseEpraccur(strings.NewReader(tc.input), "f.csv")
			if err != nil || len(pf.Practices) != 1 {
				t.Fatalf("got %v", err)
			}
			if tc.name == "Windows-1252 name" && pf.Practices[0].Name != "MéKENZIE HOUSE SURGERY" {
				t.Errorf("name = %q", pf.Practices[0].Name)
			}
		})
	}
}

func TestParsePCNMembersCSVSample(t *testing.T) {
	ms, err := ParsePCNMembersCSV(bytes.NewReader(readShared(t, "epcncorepartnerdetails_sample.csv")), "pcn.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 {
		t.Fatalf("got %d spells, want 4", len(ms))
	}
	orchard := ms[1]
	if orchard.PracticeCode != "Y00002" || orchard.PCNCode != "U00002" || orchard.End != time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC) ||
		orchard.PCNSubICBCode != "99X" || orchard.PracticeSubICBName != "NHS EXAMPLE ICB - 99X" {
		t.Errorf("ORCHARD first spell = %+v", orchard)
	}
	if !ms[2].End.IsZero() || ms[2].Start != time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("ORCHARD current spell = %+v", ms[2])
	}
}

func pcnLine(practice, pcn, start, end string) string {
	return `"` + practice + `","A PRACTICE","99X","NHS EXAMPLE ICB - 99X","` + pcn + `","A PCN","99X","NHS EXAMPLE ICB - 99X","` + start + `","` + end + `",""` + "\r\n"
}

func TestParsePCNMembersCSVRejects(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"empty", "", "p.csv: is empty"},
		{"columns", `"Y00001","X"` + "\n", "line 1: has 2 columns"},
		{"unknown PCN code", pcnLine("Y00001", "Q12345", "20190701", ""), "line 1, column 5 (PCN code)"},
		{"bad start", pcnLine("Y00001", "U00001", "2019-07-01x", ""), "column 9 (relationship start date)"},
		{"end before start", pcnLine("Y00001", "U00001", "20190701", "20180101"), "is before the start date"},
		{"overlap", pcnLine("Y00001", "U00001", "20190701", "") + pcnLine("Y00001", "U00002", "20200101", ""), "line 2: practice Y00001 is in U00002 from 2020-01-01, which overlaps"},
		{"repeat", pcnLine("Y00001", "U00001", "20190701", "") + pcnLine("Y00001", "U00001", "20190701", ""), "line 2: repeats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePCNMembersCSV(strings.NewReader(tc.input), "p.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// workbook builds an ePCN.xlsx-shaped workbook with header cells that hold
// line breaks, as the published one does.
func workbook(t testing.TB, rows [][]any, details []string) []byte {
	t.Helper()
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", PCNSheet)
	header := []any{"Partner\nOrganisation\nCode", "Partner\nName", "Practice\nParent\nSub ICB Loc\nCode", "PCN\nCode", "PCN\nName",
		"PCN Parent\nSub ICB Loc Code", "Practice to PCN\nRelationship\nStart Date", "Practice to PCN\nRelationship\nEnd Date", "Extra"}
	f.SetSheetRow(PCNSheet, "A1", &header)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(PCNSheet, cell, &r)
	}
	if details != nil {
		f.NewSheet("PCN Details")
		f.SetSheetRow("PCN Details", "A1", &[]any{"PCN Code", "PCN Name"})
		for i, c := range details {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			f.SetSheetRow("PCN Details", cell, &[]any{c, "x"})
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParsePCNMembersXLSX(t *testing.T) {
	start := time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC)
	data := workbook(t, [][]any{
		{"Y00001", "RIVERSIDE", "99X", "U00001", "RIVERSIDE PCN", "99X", "20190701", "", "ignored"},
		{"Y00002", "ORCHARD", "99X", "U00002", "HILLTOP PCN", "99X", start, "31/03/2024"},
		{},
		{"Y00002", "ORCHARD", "99X", "U00001", "RIVERSIDE PCN", "99X", "2024-04-01", ""},
	}, []string{"U00001", "U00002"})
	ms, err := ParsePCNMembersXLSX(bytes.NewReader(data), "ePCN.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || !ms[1].Start.Equal(start) || ms[1].End != time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC) || ms[0].PCNName != "RIVERSIDE PCN" {
		t.Errorf("got %+v", ms)
	}

	bad := workbook(t, [][]any{{"Y00001", "R", "99X", "U00009", "P", "99X", "20190701", ""}}, []string{"U00001"})
	_, err = ParsePCNMembersXLSX(bytes.NewReader(bad), "ePCN.xlsx")
	if err == nil || !strings.Contains(err.Error(), "ePCN.xlsx [PCN Core Partner Details]: line 2, column 4 (PCN code): U00009 is not in the workbook's PCN Details sheet") {
		t.Errorf("unknown PCN: got %v", err)
	}
	if _, err := ParsePCNMembersXLSX(strings.NewReader("not a zip"), "x.xlsx"); err == nil || !strings.Contains(err.Error(), "x.xlsx: is not an Excel workbook") {
		t.Errorf("not a workbook: got %v", err)
	}
}

func FuzzParseEpraccur(f *testing.F) {
	f.Add(readShared(f, "epraccur_sample.csv"))
	f.Add([]byte(row(nil)))
	f.Add([]byte(row(map[int]string{14: "RO76", 12: "20200101"})))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := ParseEpraccur(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			var fe *nhsfile.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error without a file position: %v", err)
			}
			return
		}
		for _, p := range pf.Practices {
			if p.Code == "" || p.Name == "" || p.OpenDate.IsZero() || p.Setting != SettingGPPractice {
				t.Fatalf("accepted an incomplete practice %+v", p)
			}
		}
	})
}

func FuzzParsePCNMembersCSV(f *testing.F) {
	f.Add(readShared(f, "epcncorepartnerdetails_sample.csv"))
	f.Add([]byte(pcnLine("Y00001", "U00001", "20190701", "20200101")))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParsePCNMembersCSV(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			var fe *nhsfile.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error without a file position: %v", err)
			}
			return
		}
		for _, m := range ms {
			if m.Start.IsZero() || (!m.End.IsZero() && m.End.Before(m.Start)) || !pcnCode.MatchString(m.PCNCode) {
				t.Fatalf("accepted a bad spell %+v", m)
			}
		}
	})
}

func FuzzParsePCNMembersXLSX(f *testing.F) {
	f.Add(workbook(f, [][]any{{"Y00001", "R", "99X", "U00001", "P", "99X", "20190701", ""}}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParsePCNMembersXLSX(bytes.NewReader(data), "fuzz.xlsx")
		if err == nil && len(ms) == 0 {
			t.Fatal("accepted a workbook with no spells")
		}
	})
}
