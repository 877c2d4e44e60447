package store

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/access"
)

func TestMonthStarts(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		from, to string
		want     []string
	}{
		{"2025-04-01", "2025-06-01", []string{"2025-04-01", "2025-05-01", "2025-06-01"}},
		{"2025-04-02", "2025-06-30", []string{"2025-05-01", "2025-06-01"}}, // a month counts from its first day
		{"2025-06-01", "2025-04-01", nil},
		{"2025-12-01", "2026-01-31", []string{"2025-12-01", "2026-01-01"}},
		{"1990-01-01", "2030-01-01", nil}, // too many: read as a range
	} {
		if got := monthStarts(day(c.from), day(c.to)); !slices.Equal(got, c.want) {
			t.Errorf("monthStarts(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// A measure's values read month by month and as one range are the same.
func TestMeasureValuesByMonthAndRange(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	f, err := os.Open("testdata/Practice_Level_Crosstab_SAMPLE.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.ImportAppointments(ctx, "test", "sample.csv", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		return access.Aggregate(f, "sample.csv", access.Options{}, emit)
	}); err != nil {
		t.Fatal(err)
	}
	months, err := s.AppointmentMonths(ctx)
	if err != nil || len(months) == 0 {
		t.Fatalf("months: %v, %v", months, err)
	}
	byMonth, err := s.MeasureValues(ctx, "dna-rate", months[0], months[len(months)-1])
	if err != nil {
		t.Fatal(err)
	}
	byRange, err := s.MeasureValues(ctx, "dna-rate", months[0].AddDate(-30, 0, 0), months[len(months)-1].AddDate(30, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(byMonth) == 0 || !slices.Equal(byMonth, byRange) {
		t.Errorf("by month %d values, by range %d, or they differ", len(byMonth), len(byRange))
	}
}
