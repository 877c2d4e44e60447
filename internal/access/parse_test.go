package access

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
)

const sample = "../../../shared/data/Practice_Level_Crosstab_SAMPLE.csv"

func readSample(t testing.TB) []byte {
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSample(t *testing.T) {
	var rows []Row
	sum, err := Parse(bytes.NewReader(readSample(t)), "sample.csv", func(r Row) error { rows = append(rows, r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 1525 || len(rows) != 1525 || sum.Blank != 0 {
		t.Fatalf("read %d rows (%d blank), kept %d", sum.Rows, sum.Blank, len(rows))
	}
	first := rows[0]
	want := Row{Month: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), Practice: "Y00001", PracticeName: "RIVERSIDE MEDICAL CENTRE",
		PCN: "U00001", PCNName: "RIVERSIDE AND VALE PCN", SubICB: "99X", SubICBName: "NHS EXAMPLE ICB - 99X",
		Status: 2, HCP: 0, Mode: 0, Band: SameDay, Count: 1}
	if first != want {
		t.Errorf("first row %+v\nwant %+v", first, want)
	}
	if rows[1].Band != 4 { // "15  to 21 Days", with its two spaces
		t.Errorf("band of row 2 = %d", rows[1].Band)
	}
}

func TestVocabularies(t *testing.T) {
	if m, err := ParseMode("Video/Online"); err != nil || m != 3 {
		t.Error("Video/Online is the video mode")
	}
	if b, err := ParseBand("Unknown / Data Issue"); err != nil || b != UnknownBand {
		t.Error("any Unknown… band is the unknown band")
	}
	if _, err := ParseBand("8 to 14 Days"); err == nil {
		t.Error("a single space before 'to' is not the published 8  to 14 Days")
	}
	if h, err := ParseHCP("Not Provided"); err != nil || HCPs[h] != "Unknown" {
		t.Error("Not Provided is the unknown HCP type")
	}
}

func TestParseRejects(t *testing.T) {
	head := "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n"
	row := func(change map[int]string) string {
		cols := strings.Split("01OCT2025,Y00001,A,EMIS,U00001,P,99X,S,GP,Face-to-Face,Clinical Triage,Same Day,5,Attended", ",")
		for i, v := range change {
			cols[i] = v
		}
		return strings.Join(cols, ",") + "\n"
	}
	tests := []struct{ name, in, want string }{
		{"empty", "", "f.csv: is empty"},
		{"renamed column", strings.Replace(head, "APPT_STATUS", "STATUS", 1) + row(nil), "line 1: has no APPT_STATUS column"},
		{"bad status", head + row(map[int]string{13: "Atended"}), `f.csv: line 2, column 14 (APPT_STATUS): APPT_STATUS "Atended" is not one of the published values`},
		{"bad band", head + row(map[int]string{11: "8 to 14 Days"}), "column 12 (TIME_BETWEEN_BOOK_AND_APPT)"},
		{"bad count", head + row(map[int]string{12: "five"}), "column 13 (COUNT_OF_APPOINTMENTS)"},
		{"bad month", head + row(map[int]string{0: "15OCT2025"}), "is not the first of a month"},
		{"bad category", head + row(map[int]string{10: "Teatime"}), "NATIONAL_CATEGORY"},
		{"cut short", head + row(nil) + "01OCT2025,Y00001,A\n", "line 3: has 3 columns"},
		{"header only", head, "has a header but no rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "f.csv", func(Row) error { return nil }, nil)
			var fe *nhsfile.FileError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	// A blank (suppressed) count is left out, not read as zero.
	var kept int
	sum, err := Parse(strings.NewReader(head+row(map[int]string{12: ""})+row(nil)), "f.csv", func(Row) error { kept++; return nil }, nil)
	if err != nil || sum.Blank != 1 || kept != 1 {
		t.Errorf("blank count: %+v kept %d %v", sum, kept, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readSample(f)[:4000])
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(bytes.NewReader(data), "fuzz.csv", func(r Row) error {
			if r.Count < 0 || r.Practice == "" || r.Month.Day() != 1 || int(r.Band) >= len(Bands) || int(r.Mode) >= len(Modes) {
				t.Fatalf("accepted %+v", r)
			}
			return nil
		}, nil)
		var fe *nhsfile.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error without a position: %v", err)
		}
	})
}
