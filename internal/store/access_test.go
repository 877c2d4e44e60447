package store_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func importSample(t *testing.T, s *store.Store) store.AppointmentsImport {
	t.Helper()
	return importFile(t, s, "testdata/Practice_Level_Crosstab_SAMPLE.csv", access.Options{})
}

func importFile(t *testing.T, s *store.Store, path string, opt access.Options) store.AppointmentsImport {
	t.Helper()
	res, err := s.ImportAppointments(context.Background(), "test", "sample.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		f, err := os.Open(path)
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Aggregate(f, "sample.csv", opt, emit)
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMeasureDefinitions works every shipped measure out by hand on a small
// file with unknowns in every dimension: 30 appointments at one practice,
// 5 of them unknown in every dimension and 2 more of unknown status.
//
//	GP, face-to-face, same day, attended                10
//	GP, telephone, 1 day, DNA                            4
//	other staff, face-to-face, 2 to 7 days, attended     6
//	unknown, unknown, unknown band, unknown              5
//	GP, video/online, more than 28 days, attended        3
//	other staff, home visit, 8 to 14 days, unknown       2
func TestMeasureDefinitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		importFile(t, s, "testdata/unknowns_crosstab.csv", access.Options{})
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		want := map[string][2]int64{
			"same-day":             {10, 30},
			"same-day-known":       {10, 25},
			"within-1-day":         {14, 30},
			"within-14-days":       {22, 30}, // 10 + 4 + 6 + 2
			"within-14-days-known": {22, 25},
			"dna-rate":             {4, 30},
			"dna-rate-known":       {4, 23}, // attended 19, DNA 4
			"face-to-face":         {16, 30},
			"face-to-face-known":   {16, 25},
			"gp-share":             {17, 30},
			"gp-share-known":       {17, 25},
			"gp-per-1000":          {13, 0}, // attended with a GP; no list loaded
			"unknown-booking-time": {5, 30},
			"unknown-clinician":    {5, 30},
			"unknown-mode":         {5, 30},
			"unknown-status":       {7, 30},
		}
		for _, m := range access.Shipped {
			w, ok := want[m.ID]
			if !ok {
				t.Errorf("%s: no figure worked out by hand", m.ID)
				continue
			}
			vals, err := s.MeasureValues(ctx, m.ID, oct, oct)
			if err != nil || len(vals) != 1 || vals[0].Num != w[0] || vals[0].Den != w[1] {
				t.Errorf("%s: %+v %v, want %d/%d", m.ID, vals, err, w[0], w[1])
			}
		}
		// A database made by an earlier release, whose DNA rate left unknown
		// statuses out: on start-up the shipped definition replaces it and
		// its values are worked out again.
		for _, q := range []string{
			`UPDATE measures SET definition = '{"id":"dna-rate","title":"Old","numerator":{"statuses":[1]},"denominator":{"statuses":[0,1]},"unit":"percent","direction":"lower"}' WHERE id = 'dna-rate'`,
			`UPDATE practice_measure_values SET denominator = 23 WHERE measure_id = 'dna-rate'`,
		} {
			if err := store.ExecForTest(ctx, s, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.EnsureMeasures(ctx); err != nil {
			t.Fatal(err)
		}
		m, err := s.Measure(ctx, "dna-rate")
		vals, err2 := s.MeasureValues(ctx, "dna-rate", oct, oct)
		if err != nil || err2 != nil || m.Base != access.AllAppointments || len(vals) != 1 || vals[0].Den != 30 {
			t.Errorf("after an upgrade: %+v %+v %v %v", m, vals, err, err2)
		}
	})
}

func TestAppointmentsImportAndMeasures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		res := importSample(t, s)
		if res.Rows != 1525 || res.Practices != 3 || len(res.Months) != 2 || res.Created < 3 {
			t.Fatalf("import: %+v", res)
		}
		o, err := s.Org(ctx, "Y00001")
		if err != nil || o.Name != "RIVERSIDE MEDICAL CENTRE" || o.ParentCode != "99X" {
			t.Errorf("practice created from the file: %+v %v", o, err)
		}
		// The organisations were written in bulk, their audit entries
		// chained in one go: the chain must still verify, an entry each.
		if n, err := s.VerifyAudit(ctx); err != nil || n < res.Created+1 {
			t.Errorf("audit chain after the import: %d entries, %v (created %d)", n, err, res.Created)
		}
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		// Hand-counted from the sample for Y00001 in October 2025.
		tests := []struct {
			id       string
			num, den int64
			hasDen   bool
		}{
			{"dna-rate", 132, 2560, true},       // of all appointments, as NHS England counts
			{"dna-rate-known", 132, 2451, true}, // of those attended or not
			{"within-1-day", 1147, 2560, true},
			{"within-14-days-known", 2291, 2531, true},
			{"unknown-booking-time", 29, 2560, true},
			{"unknown-status", 109, 2560, true},
			{"gp-per-1000", 1141, 0, false}, // no list size loaded: unknown, not guessed
		}
		for _, tc := range tests {
			vals, err := s.MeasureValues(ctx, tc.id, oct, oct)
			if err != nil {
				t.Fatal(err)
			}
			var got *access.Value
			for i := range vals {
				if vals[i].Practice == "Y00001" {
					got = &vals[i]
				}
			}
			if got == nil || got.Num != tc.num || got.Den != tc.den || got.HasDen != tc.hasDen {
				t.Errorf("%s: got %+v, want %d/%d", tc.id, got, tc.num, tc.den)
			}
		}
		// Importing the same file again changes nothing.
		importSample(t, s)
		vals, _ := s.MeasureValues(ctx, "dna-rate", oct, oct)
		if len(vals) != 3 || vals[0].Num == 0 {
			t.Errorf("after re-import: %+v", vals)
		}
		// Once October's list sizes are loaded, the per-1,000 measure has
		// its denominator, without the appointments being loaded again.
		if _, err := s.ImportPopulation(ctx, "test", "list.csv", &population.Extract{Date: oct, Practices: []population.Practice{{Code: "Y00001", Total: 11234}}}); err != nil {
			t.Fatal(err)
		}
		vals, _ = s.MeasureValues(ctx, "gp-per-1000", oct, oct)
		for _, v := range vals {
			if v.Practice == "Y00001" && (!v.HasDen || v.Den != 11234) {
				t.Errorf("gp-per-1000 with a list size: %+v", v)
			}
		}
		months, _ := s.AppointmentMonths(ctx)
		if len(months) != 2 {
			t.Errorf("months %v", months)
		}
		ms, _ := s.Measures(ctx)
		if len(ms) != len(access.Shipped) {
			t.Errorf("%d measures", len(ms))
		}
	})
}

// TestAppointmentsInSmallBatches loads the sample in chunks and batches so
// small that practice-months straddle batches: the values must be those of
// one pass.
func TestAppointmentsInSmallBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		store.SetMaxPendingValuesForTest(s, 5) // measure months merged again and again
		res := importFile(t, s, "testdata/Practice_Level_Crosstab_SAMPLE.csv", access.Options{Workers: 3, ChunkSize: 2000, Batch: 1})
		if res.Rows != 1525 || res.Practices != 3 || len(res.Months) != 2 {
			t.Fatalf("import: %+v", res)
		}
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		vals, err := s.MeasureValues(ctx, "dna-rate", oct, oct)
		if err != nil {
			t.Fatal(err)
		}
		if len(vals) != 3 {
			t.Errorf("dna-rate in small batches: %d practices, want 3", len(vals))
		}
		for _, v := range vals {
			if v.Practice == "Y00001" && (v.Num != 132 || v.Den != 2560) {
				t.Errorf("dna-rate in small batches: %+v, want 132/2560", v)
			}
		}
	})
}

// TestAppointmentsRegionalFiles imports a month as two files, one per
// region: the second adds its practices and leaves the first's alone, and
// loading one of them again replaces only its own practices.
func TestAppointmentsRegionalFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		head := "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n"
		file := func(name string, rows ...string) string {
			path := dir + "/" + name
			if err := os.WriteFile(path, []byte(head+strings.Join(rows, "")), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
		line := func(code, status string, n int) string {
			return fmt.Sprintf("01OCT2025,%s,N,EMIS,U1,P,01A,S,GP,Face-to-Face,Walk-in,Same Day,%d,%s\n", code, n, status)
		}
		north := file("north.csv", line("A00001", "Attended", 90), line("A00001", "DNA", 10))
		south := file("south.csv", line("B00001", "Attended", 75), line("B00001", "DNA", 25))
		importFile(t, s, north, access.Options{})
		importFile(t, s, south, access.Options{})
		northAgain := file("north2.csv", line("A00001", "Attended", 80), line("A00001", "DNA", 20))
		importFile(t, s, northAgain, access.Options{})
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		vals, err := s.MeasureValues(ctx, "dna-rate", oct, oct)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, v := range vals {
			got[v.Practice] = fmt.Sprintf("%d/%d", v.Num, v.Den)
		}
		if want := map[string]string{"A00001": "20/100", "B00001": "25/100"}; !maps.Equal(got, want) {
			t.Errorf("DNA values %v, want %v", got, want)
		}
	})
}

// TestCarryAppointmentsOver checks migration 006's Go step: appointments
// kept a row per combination (004) or packed per practice-month (005) become
// plain rows with the same measures, and the old tables go.
func TestCarryAppointmentsOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		importSample(t, s) // creates the practices
		date, blob := "'2025-10-01'", "BLOB"
		if s.Dialect() == store.Postgres {
			date, blob = "DATE '2025-10-01'", "BYTEA"
		}
		// Y00002 in October as 005 packed it: 5 attended, 5 DNA.
		var c access.Counts
		c[access.Cell(0, 0, 0, 0)], c[access.Cell(1, 0, 0, 0)] = 5, 5
		packed := fmt.Sprintf("X'%x'", store.EncodeCountsForTest(&c))
		if s.Dialect() == store.Postgres {
			packed = fmt.Sprintf("'\\x%x'::bytea", store.EncodeCountsForTest(&c))
		}
		for _, q := range []string{
			"DELETE FROM practice_measure_values", "DELETE FROM practice_appointments", "DELETE FROM appointment_months",
			"CREATE TABLE appointment_counts (month DATE NOT NULL, practice_code TEXT NOT NULL, counts " + blob + " NOT NULL)",
			"CREATE TABLE measure_months (measure_id TEXT)",
			"INSERT INTO appointment_counts VALUES (" + date + ", 'Y00002', " + packed + ")",
			`CREATE TABLE appointments (practice_code TEXT NOT NULL, month DATE NOT NULL, status SMALLINT NOT NULL, hcp SMALLINT NOT NULL,
				mode SMALLINT NOT NULL, band SMALLINT NOT NULL, count BIGINT NOT NULL)`,
			"CREATE TABLE measure_values (measure_id TEXT)",
			// Y00001 in October as 004 kept it: 30 attended and 10 not (DNA), in two modes.
			"INSERT INTO appointments VALUES ('Y00001', " + date + ", 0, 0, 0, 0, 20), ('Y00001', " + date + ", 0, 0, 1, 0, 10), ('Y00001', " + date + ", 1, 0, 0, 2, 10)",
		} {
			if err := store.ExecForTest(ctx, s, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := store.CarryAppointmentsOverForTest(ctx, s); err != nil {
			t.Fatal(err)
		}
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		vals, err := s.MeasureValues(ctx, "dna-rate", oct, oct)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(vals); len(vals) != 2 || vals[0].Practice != "Y00001" || vals[0].Num != 10 || vals[0].Den != 40 ||
			vals[1].Practice != "Y00002" || vals[1].Num != 5 || vals[1].Den != 10 {
			t.Errorf("carried-over DNA values %s, want Y00001 10/40 and Y00002 5/10", got)
		}
		months, err := s.AppointmentMonths(ctx)
		if err != nil || len(months) != 1 || !months[0].Equal(oct) {
			t.Errorf("months loaded %v (%v), want October 2025", months, err)
		}
		if n, err := store.QueryInt64ForTest(ctx, s, "SELECT practices FROM appointment_months"); err != nil || n != 2 {
			t.Errorf("October holds %d practices (%v), want 2", n, err)
		}
		for _, table := range []string{"appointments", "measure_values", "appointment_counts", "measure_months"} {
			if err := store.ExecForTest(ctx, s, "SELECT 1 FROM "+table); err == nil {
				t.Errorf("old table %s is still there", table)
			}
		}
	})
}

// TestAppointmentsBadRowLate has a bad row at the end of a file, after
// batches have been written: nothing of the file is kept.
func TestAppointmentsBadRowLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		good, err := os.ReadFile("testdata/Practice_Level_Crosstab_SAMPLE.csv")
		if err != nil {
			t.Fatal(err)
		}
		bad := string(good) + "01OCT2025,Y00001,A,EMIS,U00001,P,99X,S,GP,Face-to-Face,Walk-in,Same Day,5,Atended\r\n"
		var batches int
		_, err = s.ImportAppointments(ctx, "test", "bad.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
			return access.Aggregate(strings.NewReader(bad), "bad.csv", access.Options{ChunkSize: 300, Batch: 1},
				func(b []access.PracticeMonth) error { batches++; return emit(b) })
		})
		if err == nil || !strings.Contains(err.Error(), "bad.csv: line 1527, column 14 (APPT_STATUS)") {
			t.Fatalf("got %v", err)
		}
		if batches == 0 {
			t.Fatal("no batch was written before the bad row: the test tests nothing")
		}
		if months, _ := s.AppointmentMonths(ctx); len(months) != 0 {
			t.Errorf("months kept from a bad file: %v", months)
		}
		if _, err := s.Org(ctx, "Y00001"); err == nil {
			t.Error("a practice from the bad file was kept")
		}
	})
}

// TestAppointmentsConcurrentRegions imports two regions' files of one month
// at once through two servers: neither loses the other's practices from
// the measure months they both merge into.
func TestAppointmentsConcurrentRegions(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			stores := storetest.OpenMany(t, engine, 2)
			ctx := context.Background()
			head := "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS\n"
			region := func(prefix string, dna int) string {
				var b strings.Builder
				b.WriteString(head)
				for p := range 500 {
					fmt.Fprintf(&b, "01OCT2025,%s%04d,N,EMIS,U%s,P,%sX,S,GP,Face-to-Face,Walk-in,Same Day,%d,Attended\n", prefix, p, prefix, prefix, 10-dna)
					fmt.Fprintf(&b, "01OCT2025,%s%04d,N,EMIS,U%s,P,%sX,S,GP,Face-to-Face,Walk-in,Same Day,%d,DNA\n", prefix, p, prefix, prefix, dna)
				}
				return b.String()
			}
			load := func(s *store.Store, prefix string, dna int) error {
				_, err := s.ImportAppointments(ctx, "test", prefix+".csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
					return access.Aggregate(strings.NewReader(region(prefix, dna)), prefix+".csv", access.Options{Batch: 5}, emit)
				})
				return err
			}
			// First the practices and a month of figures, one region after
			// the other; then both regions' corrected files at once.
			for _, prefix := range []string{"A", "B"} {
				if err := load(stores[0], prefix, 1); err != nil {
					t.Fatal(err)
				}
			}
			errs := make(chan error, 2)
			for i, prefix := range []string{"A", "B"} {
				go func() { errs <- load(stores[i], prefix, 3) }()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
			vals, err := stores[0].MeasureValues(ctx, "dna-rate", oct, oct)
			if err != nil {
				t.Fatal(err)
			}
			corrected := 0
			for _, v := range vals {
				if v.Num == 3 && v.Den == 10 {
					corrected++
				}
			}
			if len(vals) != 1000 || corrected != 1000 {
				t.Errorf("October's DNA rate: %d practices, %d with the corrected figures; want 1000 and 1000", len(vals), corrected)
			}
		})
	}
}

// TestAppointmentsReadableBySQL: the stored appointments, read with plain
// SQL through the view and the lookup tables of published names, add up to
// the file's own counts, and give one row per combination of the four
// dimensions that has any appointments.
func TestAppointmentsReadableBySQL(t *testing.T) {
	f, err := os.Open("testdata/Practice_Level_Crosstab_SAMPLE.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var total, sameDay int64
	combos := map[string]int64{}
	for _, r := range recs[1:] {
		n, err := strconv.ParseInt(r[col["COUNT_OF_APPOINTMENTS"]], 10, 64)
		if err != nil {
			continue // suppressed
		}
		total += n
		if r[col["TIME_BETWEEN_BOOK_AND_APPT"]] == "Same Day" {
			sameDay += n
		}
		combos[strings.Join([]string{r[col["APPOINTMENT_MONTH_START_DATE"]], r[col["GP_CODE"]], r[col["APPT_STATUS"]], r[col["HCP_TYPE"]],
			r[col["APPT_MODE"]], r[col["TIME_BETWEEN_BOOK_AND_APPT"]]}, "|")] += n
	}
	rows := int64(0)
	for _, n := range combos {
		if n != 0 {
			rows++
		}
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		importSample(t, s)
		for _, tc := range []struct {
			query string
			want  int64
		}{
			{"SELECT SUM(count) FROM practice_appointment_counts", total},
			{"SELECT COUNT(*) FROM practice_appointment_counts", rows},
			{`SELECT SUM(a.count) FROM practice_appointment_counts a JOIN booking_bands b ON b.id = a.booking_band
				WHERE b.name = 'Same Day'`, sameDay},
			{"SELECT SUM(same_day) FROM practice_appointments", sameDay},
		} {
			if got, err := store.QueryInt64ForTest(ctx, s, tc.query); err != nil || got != tc.want {
				t.Errorf("%s: %d (%v), want %d", tc.query, got, err, tc.want)
			}
		}
	})
}
