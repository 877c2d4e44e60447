package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func importSample(t *testing.T, s *store.Store) store.AppointmentsImport {
	t.Helper()
	res, err := s.ImportAppointments(context.Background(), "test", "sample.csv", func(add func(access.Row) error) (access.Summary, error) {
		f, err := os.Open("../../../shared/data/Practice_Level_Crosstab_SAMPLE.csv")
		if err != nil {
			return access.Summary{}, err
		}
		defer f.Close()
		return access.Parse(f, "sample.csv", add, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
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
		oct := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
		// Hand-counted from the sample for Y00001 in October 2025.
		tests := []struct {
			id       string
			num, den int64
			hasDen   bool
		}{
			{"dna-rate", 132, 2451, true},
			{"within-1-day", 1147, 2531, true},
			{"gp-per-1000", 1141, 0, false}, // no list size loaded: unknown, not guessed
		}
		for _, tc := range tests {
			vals, err := s.MeasureValues(ctx, tc.id, oct, oct)
			if err != nil {
				t.Fatal(err)
			}
			var got *store.MeasureValue
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
		// With October's list sizes loaded, the per-1,000 measure has its denominator.
		s.ImportPopulation(ctx, "test", "list.csv", &population.Extract{Date: oct, Practices: []population.Practice{{Code: "Y00001", Total: 11234}}})
		importSample(t, s)
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
