package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
)

const sample = "testdata/Practice_Level_Crosstab_SAMPLE.csv"

func readSample(t testing.TB) []byte {
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// aggregateAll runs Aggregate and adds up its batches.
func aggregateAll(data []byte, opt Options) (map[key]*Counts, map[string]Practice, Summary, int, error) {
	sums := map[key]*Counts{}
	names := map[string]Practice{}
	batches := 0
	sum, err := Aggregate(bytes.NewReader(data), "f.csv", opt, func(b []PracticeMonth) error {
		batches++
		for _, pm := range b {
			k := key{pm.Practice.Code, pm.Month}
			if sums[k] == nil {
				sums[k] = new(Counts)
			}
			sums[k].Add(pm.Counts)
			names[pm.Practice.Code] = pm.Practice
		}
		return nil
	})
	return sums, names, sum, batches, err
}

// reference sums a file the plain way, with encoding/csv and the string
// vocabulary functions, row by row: what Aggregate must agree with.
func reference(data []byte) (map[key]*Counts, Summary, error) {
	sums := map[key]*Counts{}
	var sum Summary
	col := map[string]int{}
	err := nhsfile.EachRecord(bytes.NewReader(data), "f.csv", func(line int, rec []string) error {
		if len(col) == 0 {
			for i, h := range rec {
				col[strings.ReplaceAll(nhsfile.NormaliseHeader(h), " ", "_")] = i
			}
			for _, need := range required {
				if _, ok := col[need]; !ok {
					return fmt.Errorf("no %s", need)
				}
			}
			return nil
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if len(rec) < len(required) {
			return fmt.Errorf("line %d short", line)
		}
		sum.Rows++
		v := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		month, err := nhsfile.ParseDate(v("appointment_month_start_date"), nhsfile.DDMONYYYY, nhsfile.DDMonYY, nhsfile.ISO)
		if err != nil || month.Day() != 1 {
			return fmt.Errorf("line %d date", line)
		}
		code := strings.ToUpper(v("gp_code"))
		if code == "" || len(code) > 8 {
			return fmt.Errorf("line %d code", line)
		}
		s, err1 := ParseStatus(v("appt_status"))
		h, err2 := ParseHCP(v("hcp_type"))
		m, err3 := ParseMode(v("appt_mode"))
		b, err4 := ParseBand(v("time_between_book_and_appt"))
		if err := errors.Join(err1, err2, err3, err4, checkCategory(v("national_category"))); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		count := strings.ReplaceAll(v("count_of_appointments"), ",", "")
		if count == "" || count == "*" || count == "-" {
			sum.Blank++
			return nil
		}
		n, err := strconv.ParseInt(count, 10, 64)
		if err != nil || n < 0 || strings.HasPrefix(v("count_of_appointments"), ",") || strings.HasPrefix(count, "+") || strings.HasPrefix(count, "-") || len(count) > 15 {
			return fmt.Errorf("line %d count", line)
		}
		k := key{code, month}
		if sums[k] == nil {
			sums[k] = new(Counts)
		}
		sums[k][Cell(s, h, m, b)] += n
		return nil
	})
	return sums, sum, err
}

func TestAggregateSample(t *testing.T) {
	data := readSample(t)
	want, wantSum, err := reference(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Options{{}, {Workers: 3, ChunkSize: 1000, Batch: 2}, {Workers: 1, ChunkSize: 37}} {
		got, names, sum, batches, err := aggregateAll(data, opt)
		if err != nil {
			t.Fatal(err)
		}
		if sum != wantSum || sum.Rows != 1525 || sum.Blank != 0 {
			t.Errorf("%+v: summary %+v, want %+v (1,525 rows)", opt, sum, wantSum)
		}
		if len(got) != len(want) {
			t.Errorf("%+v: %d practice-months, want %d", opt, len(got), len(want))
		}
		for k, c := range want {
			if got[k] == nil || *got[k] != *c {
				t.Errorf("%+v: %v differs from the row-by-row sum", opt, k)
			}
		}
		if opt.Batch == 2 && batches < len(want)/2 {
			t.Errorf("batches of 2: %d batches for %d practice-months", batches, len(want))
		}
		p := names["Y00001"]
		wantP := Practice{Code: "Y00001", Name: "RIVERSIDE MEDICAL CENTRE", PCN: "U00001", PCNName: "RIVERSIDE AND VALE PCN",
			SubICB: "99X", SubICBName: "NHS EXAMPLE ICB - 99X"}
		if p != wantP {
			t.Errorf("practice %+v\nwant %+v", p, wantP)
		}
	}
}

// TestAggregateByHand checks a small file's sums against figures worked out
// by hand: rows differing only in category add up; the double-spaced band
// and the video alias are read as published.
func TestAggregateByHand(t *testing.T) {
	in := head +
		"01OCT2025,y00001,A,EMIS,U00001,P,99X,S,GP,Face-to-Face,Clinical Triage,Same Day,5,Attended\r\n" +
		"01OCT2025,y00001,A,EMIS,U00001,P,99X,S,GP,Face-to-Face,Walk-in,Same Day,7,Attended\r\n" +
		"01OCT2025,Y00001,A,EMIS,U00001,P,99X,S,Other Practice staff,Video/Online,Walk-in,8  to 14 Days,\"1,200\",DNA\r\n" +
		"01OCT2025,Y00002,\"B, THE SURGERY\",EMIS,U00001,P,99X,S,GP,Telephone,Walk-in,Unknown / Data Issue,*,Attended\r\n" +
		"01OCT2025,Y00002,\"B, THE SURGERY\",EMIS,U00001,P,99X,S,GP,Telephone,Walk-in,Unknown / Data Issue,3,Attended\r\n"
	got, names, sum, _, err := aggregateAll([]byte(in), Options{ChunkSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	y1, y2 := got[key{"Y00001", oct}], got[key{"Y00002", oct}]
	if y1 == nil || y2 == nil {
		t.Fatalf("practice-months %v", got)
	}
	if y1[Cell(0, 0, 0, SameDay)] != 12 || y1[Cell(1, 1, 3, 3)] != 1200 || y2[Cell(0, 0, 1, UnknownBand)] != 3 {
		t.Errorf("sums: same day %d (want 12), video DNA %d (want 1,200), unknown band %d (want 3)",
			y1[Cell(0, 0, 0, SameDay)], y1[Cell(1, 1, 3, 3)], y2[Cell(0, 0, 1, UnknownBand)])
	}
	if sum.Rows != 5 || sum.Blank != 1 {
		t.Errorf("summary %+v, want 5 rows, 1 blank", sum)
	}
	if names["Y00002"].Name != "B, THE SURGERY" {
		t.Errorf("quoted name read as %q", names["Y00002"].Name)
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

const head = "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n"

func row(change map[int]string) string {
	cols := strings.Split("01OCT2025,Y00001,A,EMIS,U00001,P,99X,S,GP,Face-to-Face,Clinical Triage,Same Day,5,Attended", ",")
	for i, v := range change {
		cols[i] = v
	}
	return strings.Join(cols, ",") + "\n"
}

func TestAggregateRejects(t *testing.T) {
	many := strings.Repeat(row(nil), 300) // so that the bad row lies in a later chunk
	tests := []struct{ name, in, want string }{
		{"empty", "", "f.csv: is empty"},
		{"blank lines only", "\n\r\n", "f.csv: is empty"},
		{"renamed column", strings.Replace(head, "APPT_STATUS", "STATUS", 1) + row(nil), "line 1: has no APPT_STATUS column"},
		{"bad status", head + row(map[int]string{13: "Atended"}), `f.csv: line 2, column 14 (APPT_STATUS): APPT_STATUS "Atended" is not one of the published values`},
		{"bad band", head + row(map[int]string{11: "8 to 14 Days"}), "column 12 (TIME_BETWEEN_BOOK_AND_APPT)"},
		{"bad count", head + row(map[int]string{12: "five"}), "column 13 (COUNT_OF_APPOINTMENTS)"},
		{"negative count", head + row(map[int]string{12: "-3"}), "column 13 (COUNT_OF_APPOINTMENTS)"},
		{"bad month", head + row(map[int]string{0: "15OCT2025"}), "is not the first of a month"},
		{"bad category", head + row(map[int]string{10: "Teatime"}), "NATIONAL_CATEGORY"},
		{"bad practice", head + row(map[int]string{1: ""}), "column 2 (GP_CODE)"},
		{"cut short", head + row(nil) + "01OCT2025,Y00001,A\n", "line 3: has 3 columns"},
		{"header only", head, "has a header but no rows"},
		{"late bad row", head + many + row(map[int]string{9: "Carrier pigeon"}) + many, "f.csv: line 302, column 10 (APPT_MODE)"},
		{"first of two bad rows", head + many + row(map[int]string{13: "x"}) + many + row(map[int]string{13: "y"}), "line 302, column 14"},
		{"unclosed quote", head + many + `01OCT2025,Y00001,"A` + "\n" + many, "line 302"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, opt := range []Options{{}, {Workers: 4, ChunkSize: 512, Batch: 1}} {
				_, _, _, _, err := aggregateAll([]byte(tc.in), opt)
				var fe *nhsfile.FileError
				if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) {
					t.Errorf("%+v: got %v, want %q", opt, err, tc.want)
				}
			}
		})
	}
}

func TestAggregateStopsOnEmitError(t *testing.T) {
	in := head + strings.Repeat(row(nil)+row(map[int]string{1: "Y00002"}), 500)
	boom := errors.New("disk full")
	_, err := Aggregate(strings.NewReader(in), "f.csv", Options{ChunkSize: 256, Batch: 1}, func([]PracticeMonth) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the emit error", err)
	}
}

// FuzzAggregate checks the parallel reader against the row-by-row
// reference: the same sums, and an error exactly where it has one.
func FuzzAggregate(f *testing.F) {
	f.Add(readSample(f)[:4000], uint16(100))
	f.Add([]byte(head+row(nil)+row(map[int]string{12: "1,234"})), uint16(20))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		want, wantSum, wantErr := reference(data)
		got, _, sum, _, err := aggregateAll(data, Options{Workers: 3, ChunkSize: int(chunk) + 1, Batch: 3})
		var fe *nhsfile.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error without a position: %v", err)
		}
		if wantErr != nil || wantSum.Rows == 0 {
			if err == nil {
				t.Fatalf("accepted a file the reference refuses (%v)", wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused a file the reference accepts: %v", err)
		}
		if sum != wantSum || len(got) != len(want) {
			t.Fatalf("summary %+v, %d practice-months; want %+v, %d", sum, len(got), wantSum, len(want))
		}
		for k, c := range want {
			if got[k] == nil || *got[k] != *c {
				t.Fatalf("%v differs", k)
			}
		}
	})
}

// BenchmarkAggregate reads a file in the published layout (400 practices,
// ~25 MB) from memory: go test -bench Aggregate -benchmem ./internal/access
func BenchmarkAggregate(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(head)
	n := 0
	for p := range 400 {
		prefix := fmt.Sprintf("01OCT2025,P%05d,BENCH PRACTICE,EMIS,U%05d,BENCH PCN,%02dX,NHS BENCH ICB,", p, p/6, p/60)
		for _, hcp := range HCPs[:2] {
			for _, mode := range Modes[:4] {
				for _, cat := range Categories[:3] {
					for _, band := range Bands {
						for _, status := range Statuses {
							fmt.Fprintf(&sb, "%s%s,%s,%s,%s,%d,%s\r\n", prefix, hcp, mode, cat, band, 1+n%60, status)
							n++
						}
					}
				}
			}
		}
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sum, err := Aggregate(bytes.NewReader(data), "bench.csv", Options{}, func([]PracticeMonth) error { return nil })
		if err != nil || sum.Rows != int64(n) {
			b.Fatal(sum, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestAggregateSpellings reads a file as Excel or another tool might save
// it: a byte order mark, a header name broken over two lines and padded,
// LF line ends, quoted values and a Windows-1252 name.
func TestAggregateSpellings(t *testing.T) {
	in := "\xEF\xBB\xBF\"APPOINTMENT_MONTH\nSTART_DATE\",GP_CODE ,GP_NAME,PCN_CODE,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n" +
		"01OCT2025,Y00001,\"ST ANNE\x92S\",U00001,\"GP\",Telephone,Walk-in,\"22  to 28 Days\",\"1,204\",Attended\n"
	got, names, sum, _, err := aggregateAll([]byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := got[key{"Y00001", time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)}]
	if sum.Rows != 1 || c == nil || c[Cell(0, 0, 1, 5)] != 1204 {
		t.Errorf("rows %d, counts %v", sum.Rows, c)
	}
	if names["Y00001"].Name != "ST ANNE’S" {
		t.Errorf("Windows-1252 name read as %q", names["Y00001"].Name)
	}
}

// TestFilterJSON: filters are written by their published names, read back
// the same, and read as saved before (base64 bytes).
func TestFilterJSON(t *testing.T) {
	f := Filter{Statuses: []Status{1}, Bands: []Band{0, 1}}
	b, err := json.Marshal(f)
	if err != nil || string(b) != `{"statuses":["DNA"],"bands":["Same Day","1 Day"]}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back Filter
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, f) {
		t.Errorf("round trip: %+v %v", back, err)
	}
	var old Filter
	if err := json.Unmarshal([]byte(`{"statuses":"AQ==","bands":"AAE="}`), &old); err != nil || !reflect.DeepEqual(old, f) {
		t.Errorf("as saved before: %+v %v", old, err)
	}
	for _, bad := range []string{`{"statuses":["Maybe"]}`, `{"colour":["red"]}`, `{"statuses":"!!"}`, `{"modes":[1]}`} {
		var x Filter
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("%s: read as %+v", bad, x)
		}
	}
	if got := f.Describe(); got != "appointments with status “DNA” and time from booking “Same Day” or “1 Day”" {
		t.Errorf("describe: %q", got)
	}
}
