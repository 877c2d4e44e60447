package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func extract(date string, practices ...population.Practice) *population.Extract {
	return &population.Extract{Date: day(date), Practices: practices}
}

func banded(code string, young, old int) population.Practice {
	p := population.Practice{Code: code, HasBands: true}
	p.Bands[population.Male][1] = young
	p.Bands[population.Female][17] = old
	p.Total = young + old
	return p
}

func TestPopulationImportAndQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		// A1 and A2 are in North PCN in 2025; B1 is in another Place.
		e := extract("2025-06-01", banded("A1", 1000, 0), banded("A2", 0, 1000))
		res, err := s.ImportPopulation(ctx, "test", "quin.csv", e)
		if err != nil || res.Practices != 2 || res.WithBands != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if _, err := s.ImportPopulation(ctx, "test", "quin.csv", e); err != nil {
			t.Fatalf("re-import: %v", err)
		}
		older := extract("2024-06-01", population.Practice{Code: "A1", Total: 900}, population.Practice{Code: "A2", Total: 950})
		if _, err := s.ImportPopulation(ctx, "test", "all.csv", older); err != nil {
			t.Fatal(err)
		}
		pops, err := s.Populations(ctx, "U00001", day("2025-06-01"))
		if err != nil || len(pops) != 2 || pops["A1"].Total != 1000 || pops["A2"].Bands[population.Female][17] != 1000 {
			t.Fatalf("populations = %+v %v", pops, err)
		}
		all, n, _ := s.AllBands(ctx, day("2025-06-01"))
		if all.Total() != 2000 || n != 2 {
			t.Errorf("all bands %d over %d practices", all.Total(), n)
		}
		trend, _ := s.ListTrend(ctx, "U00001", day("2025-06-01"))
		if len(trend) != 2 || trend[0].Patients != 1850 || trend[1].Patients != 2000 {
			t.Errorf("trend = %+v", trend)
		}
		a1, _ := s.Org(ctx, "A1")
		if a1.ListSize != 1000 || a1.ListSizeDate != day("2025-06-01") {
			t.Errorf("A1 list size %d on %v: the older file must not replace the newer", a1.ListSize, a1.ListSizeDate)
		}
		// Default weights: see population.TestWeightedList for the arithmetic.
		p, err := s.PatientsOn(ctx, "A2", day("2025-12-31"))
		if err != nil || p.Count != 1000 || !p.HasWeighted || p.Weighted != 1692 || p.Extract != day("2025-06-01") {
			t.Errorf("A2 patients = %+v %v", p, err)
		}
		p, _ = s.PatientsOn(ctx, "A2", day("2025-01-01"))
		if p.Count != 950 || p.HasWeighted {
			t.Errorf("A2 on 2025-01-01 = %+v; want the 2024 totals-only extract", p)
		}
		if _, err := s.PatientsOn(ctx, "A2", day("2020-01-01")); problem.KindOf(err) != problem.NotFound {
			t.Errorf("before any extract: %v", err)
		}
		month, _ := s.ListSizesInMonth(ctx, day("2025-06-15"))
		if month["A1"] != 1000 || len(month) != 2 {
			t.Errorf("June 2025 lists = %v", month)
		}
		// A Place's own weights beat the default; a practice cannot hold any.
		w := population.DefaultWeights()
		w[population.Female][17] = 1000
		if err := s.SaveWeights(ctx, "test", "P1", &w); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveWeights(ctx, "test", "A1", &w); problem.KindOf(err) != problem.Invalid {
			t.Errorf("weights at a practice: %v", err)
		}
		got, from, _ := s.Weights(ctx, "A2", day("2025-06-01"))
		if from != "P1" || got[population.Female][17] != 1000 {
			t.Errorf("weights from %q", from)
		}
		if p, _ := s.PatientsOn(ctx, "A2", day("2025-12-31")); p.Weighted != 1000 {
			t.Errorf("with equal weights the weighted list is the raw list: %d", p.Weighted)
		}
		if _, from, _ := s.Weights(ctx, "B1", day("2025-06-01")); from != "" {
			t.Errorf("B1 took weights from %q", from)
		}
		s.SaveWeights(ctx, "test", "P1", nil)
		if _, from, _ := s.Weights(ctx, "A2", day("2025-06-01")); from != "" {
			t.Errorf("after reset weights come from %q", from)
		}
	})
}

func TestPopulationImportSharedSamplesCreatesPractices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, name := range []string{"gp-reg-pat-prac-all_sample.csv", "gp-reg-pat-prac-quin-age_sample.csv"} {
			f, err := os.Open("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			e, err := population.Parse(f, name, nil)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.ImportPopulation(ctx, "test", name, e)
			if err != nil || res.Created == 0 {
				t.Fatalf("%s: %+v %v", name, res, err)
			}
		}
		o, err := s.Org(ctx, "Y00003")
		if err != nil || o.ParentCode != "99X" || o.ListSize != 17890 {
			t.Errorf("Y00003 = %+v %v", o, err)
		}
		if _, err := s.Org(ctx, "N84014"); err != nil {
			t.Errorf("N84014 not created: %v", err)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit: %d %v", n, err)
		}
	})
}
