package population

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/problem"
)

const samples = "testdata/"

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(samples + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseTotalsSample(t *testing.T) {
	e, err := Parse(bytes.NewReader(read(t, "gp-reg-pat-prac-all_sample.csv")), "all.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Date.Equal(time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)) || len(e.Practices) != 3 {
		t.Fatalf("got %v, %d practices", e.Date, len(e.Practices))
	}
	p := e.Practices[2]
	if p.Code != "Y00003" || p.Total != 17890 || p.SubICB != "99X" || p.Postcode != "ZZ2 3CC" || p.HasBands {
		t.Errorf("Y00003 = %+v", p)
	}
}

func TestParseQuinAgeSample(t *testing.T) {
	e, err := Parse(bytes.NewReader(read(t, "gp-reg-pat-prac-quin-age_sample.csv")), "quin.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Date.Equal(time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC)) || len(e.Practices) != 2 {
		t.Fatalf("got %v, %d practices", e.Date, len(e.Practices))
	}
	p := e.Practices[0]
	// The sample's counts are placeholders: 1 in every band, 40 in all.
	if p.Code != "N84014" || p.Total != 40 || !p.HasBands || p.Bands[Male][19] != 1 || p.Bands.Total() != 40 {
		t.Errorf("N84014 = %+v", p)
	}
}

func TestParseSingleYearAndQuirks(t *testing.T) {
	in := "Patients registered at a GP practice\r\nPublished by NHS England\r\n" +
		"PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,ALL,ALL,\"1,204\"\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,MALE,3,10\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,MALE,4,5\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,FEMALE,97,2\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,FEMALE,95+,3\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00001,ZZ1 1AA,ALL,7,9\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,ICB,QZZ,,ALL,ALL,99999\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00002,ZZ1 1AB,ALL,ALL,80\r\n" +
		"GP_PRAC_PAT_LIST,01JUL2026,GP,Y00002,ZZ1 1AB,MALE,3,*\r\n"
	e, err := Parse(strings.NewReader(in), "sing.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Practices[0]
	if p.Total != 1204 || p.Bands[Male][0] != 15 || p.Bands[Female][19] != 5 || e.Skipped != 1 {
		t.Errorf("got %+v, skipped %d", p, e.Skipped)
	}
	if q := e.Practices[1]; q.HasBands || q.Total != 80 || e.Suppressed != 1 {
		t.Errorf("suppressed practice = %+v, %d suppressed", q, e.Suppressed)
	}
}

func TestParseRejects(t *testing.T) {
	head := "PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS\n"
	row := func(date, code, sex, band, n string) string {
		return "GP_PRAC_PAT_LIST," + date + ",GP," + code + ",,PR8 3LB," + sex + "," + band + "," + n + "\n"
	}
	tests := []struct{ name, in, want string }{
		{"empty", "", "q.csv: is empty or has no header row"},
		{"no header", "a,b,c\n1,2,3\n", "is empty or has no header row"},
		{"no age column", "EXTRACT_DATE,CODE,SEX,NUMBER_OF_PATIENTS\n", "line 1: has neither an AGE nor an AGE_GROUP_5 column"},
		{"header only", head, "has a header but no practice rows"},
		{"bad date", head + row("31APR2025", "A1", "ALL", "ALL", "5"), "q.csv: line 2, column 2 (EXTRACT_DATE)"},
		{"two extracts", head + row("01-Apr-17", "A1", "ALL", "ALL", "5") + row("01MAY2017", "A2", "ALL", "ALL", "5"), "line 3, column 2 (EXTRACT_DATE): \"01MAY2017\" differs"},
		{"bad sex", head + row("01-Apr-17", "A1", "BOTH", "ALL", "5"), "line 2, column 7 (SEX)"},
		{"bad band", head + row("01-Apr-17", "A1", "MALE", "0-4", "5"), "line 2, column 8 (AGE_GROUP_5): \"0-4\" is not a five-year age group"},
		{"negative", head + row("01-Apr-17", "A1", "MALE", "0_4", "-5"), "line 2, column 9 (NUMBER_OF_PATIENTS)"},
		{"not a number", head + row("01-Apr-17", "A1", "MALE", "0_4", "five"), "column 9 (NUMBER_OF_PATIENTS)"},
		{"duplicate", head + row("01-Apr-17", "A1", "MALE", "0_4", "5") + row("01-Apr-17", "A1", "MALE", "0_4", "5"), "line 3: repeats A1 MALE 0_4 from line 2"},
		{"band with ALL", head + row("01-Apr-17", "A1", "ALL", "0_4", "5"), "SEX=ALL rows carry only AGE_GROUP_5=ALL"},
		{"UTF-16", "\xff\xfeP\x00", "not text in UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "q.csv", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			var fe *nhsfile.FileError
			if !errors.As(err, &fe) {
				t.Errorf("%v is not a FileError", err)
			}
		})
	}
}

func TestWeightedList(t *testing.T) {
	w := DefaultWeights()
	var young, old Pyramid
	young[Male][1] = 1000  // 1,000 boys aged 5–9: weight 1.00
	old[Female][17] = 1000 // 1,000 women aged 85–89: weight 5.50
	var all Pyramid
	all.Add(young)
	all.Add(old)
	// Reference: 2,000 patients, weighted 1,000×1.0 + 1,000×5.5 = 6,500.
	// young: 1,000 × 2,000 / 6,500 = 307.69 → 308; old: 5,500 × 2,000 / 6,500 = 1,692.3 → 1,692.
	if got, ok := WeightedList(young, w, all); !ok || got != 308 {
		t.Errorf("young = %d, want 308", got)
	}
	if got, _ := WeightedList(old, w, all); got != 1692 {
		t.Errorf("old = %d, want 1692", got)
	}
	if _, ok := WeightedList(young, w, Pyramid{}); ok {
		t.Error("an empty reference gave a weighted list")
	}
	// Weighting a practice against itself leaves its list unchanged.
	if got, _ := WeightedList(all, w, all); got != 2000 {
		t.Errorf("self-referenced = %d", got)
	}
	if err := w.Check(); err != nil {
		t.Errorf("default weights fail their own check: %v", err)
	}
	bad := w
	bad[Male][3] = 100001
	if f := problem.FieldsOf(bad.Check()); len(f) != 1 || f[0].Name != "M3" {
		t.Errorf("a weight over 100: %v, want one problem at M3", f)
	}
	if got := PerMille(1, 3); got != 333 {
		t.Errorf("PerMille(1,3) = %d", got)
	}
	if got := PerMille(2, 3); got != 667 {
		t.Errorf("PerMille(2,3) = %d", got)
	}
	var p Pyramid
	p[Female][0], p[Male][13], p[Female][17], p[Male][19] = 10, 20, 30, 40
	if p.Under5() != 10 || p.Over65() != 90 || p.Over85() != 70 {
		t.Errorf("age groups: %d %d %d", p.Under5(), p.Over65(), p.Over85())
	}
	if BandLabel(0) != "0–4" || BandLabel(19) != "95+" || BandLabel(3) != "15–19" {
		t.Error("band labels")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(read(f, "gp-reg-pat-prac-all_sample.csv"))
	f.Add(read(f, "gp-reg-pat-prac-quin-age_sample.csv"))
	f.Add([]byte("EXTRACT_DATE,CODE,SEX,AGE,NUMBER_OF_PATIENTS\n01JUL2026,Y1,MALE,95+,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(bytes.NewReader(data), "fuzz.csv", nil)
		if err != nil {
			var fe *nhsfile.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		for _, p := range e.Practices {
			if p.Total < 0 || p.Code == "" || e.Date.IsZero() {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}

func TestSummarise(t *testing.T) {
	var young, old Pyramid
	young[Female][0], young[Male][0], young[Female][5] = 100, 100, 800 // 1,000 patients, 200 under 5
	old[Female][14], old[Male][17] = 600, 400                          // 1,000 patients, all 65+, 400 85+
	now := map[string]*List{
		"A": {Code: "A", Total: 1000, Bands: young, HasBands: true},
		"B": {Code: "B", Total: 1000, Bands: old, HasBands: true},
	}
	then := map[string]*List{"A": {Code: "A", Total: 950}} // B was not loaded a year earlier
	var ref Pyramid
	ref.Add(young)
	ref.Add(old)
	s, whole := Summarise(now, then, DefaultWeights(), ref)
	if s.Patients != 2000 || whole.Total() != 2000 || !s.HasBands || s.Under5PM != 100 || s.Over65PM != 500 || s.Over85PM != 200 {
		t.Errorf("shares: %+v", s)
	}
	// Weighted against themselves, the two lists add up to the same total.
	if !s.HasWeighted || s.Weighted != 2000 || s.RatioPM() != 1000 {
		t.Errorf("weighted: %d (ratio %d), want 2000 (1000)", s.Weighted, s.RatioPM())
	}
	// Growth like for like: A alone, 950 → 1,000.
	if !s.HasGrowth || s.YearAgo != 950 || s.GrowthPM != 53 {
		t.Errorf("growth: %+v", s)
	}
	// A list without bands: no shares and no weighted list for the group.
	now["C"] = &List{Code: "C", Total: 500}
	if s, _ := Summarise(now, nil, DefaultWeights(), ref); s.HasBands || s.HasWeighted || s.Weighted != 0 || s.HasGrowth || s.Patients != 2500 {
		t.Errorf("with a list lacking bands: %+v", s)
	}
}
