package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/store"
)

// appointmentMonths is how many months of appointments the demo holds: two
// years, so that every month has the same month a year before.
const appointmentMonths = 24

// Appointments generates the demo practices' appointments, month by month
// to last month, in the shape of the published practice-level file. Each
// practice has its own habits, and a few drift better or worse over the two
// years so that change alerts have something to find.
func Appointments(today time.Time) []access.PracticeMonth {
	list, members := Orgs(today)
	pcnOf := map[string]string{}
	for _, m := range members {
		if m.End.IsZero() {
			pcnOf[m.PracticeCode] = m.PCNCode
		}
	}
	rng := rand.New(rand.NewPCG(2026, 4))
	last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	var out []access.PracticeMonth
	i := 0
	for _, o := range list {
		if o.Kind != orgs.Practice || o.ListSize == 0 {
			continue
		}
		// The practice's habits, in percent.
		sameDay := 30 + rng.IntN(25)
		nextDay := 6 + rng.IntN(6)
		dna := 3 + rng.IntN(5)
		f2f := 55 + rng.IntN(20)
		gp := 38 + rng.IntN(18)
		drift := 0 // points of same-day access gained (or lost) over two years
		switch i % 7 {
		case 2:
			drift = 12
		case 5:
			drift = -12
		}
		for m := 0; m < appointmentMonths; m++ {
			month := last.AddDate(0, m-appointmentMonths+1, 0)
			total := o.ListSize * (40 + rng.IntN(10)) / 100
			counts := new(access.Counts)
			out = append(out, access.PracticeMonth{Practice: access.Practice{Code: o.Code, Name: o.Name, PCN: pcnOf[o.Code], SubICB: PlaceCode},
				Month: month, Counts: counts})
			sd := sameDay + drift*m/appointmentMonths
			bandShare := []int{sd, nextDay, 18, 10, 6, 4, 3, 2}
			rest := 100 - sd - nextDay - 18 - 10 - 6 - 4 - 3 - 2
			bandShare[2] += rest
			for b, bs := range bandShare {
				for h, hs := range []int{gp, 100 - gp} {
					for mo, ms := range []int{f2f, 100 - f2f - 5, 2, 3} {
						n := total * bs * hs * ms / 1000000
						if n <= 0 {
							continue
						}
						for st, ss := range []int{100 - dna - 1, dna, 1} {
							c := n * ss / 100
							if c <= 0 {
								continue
							}
							counts[access.Cell(access.Status(st), access.HCP(h), access.Mode(mo), access.Band(b))] += int64(c * (95 + rng.IntN(11)) / 100)
						}
					}
				}
			}
		}
		i++
	}
	return out
}

// loadAppointments writes the demo's appointments unless some are loaded.
func loadAppointments(ctx context.Context, s *store.Store, today time.Time) error {
	months, err := s.AppointmentMonths(ctx)
	if err != nil || len(months) > 0 {
		return err
	}
	err = ImportAppointments(ctx, s, today)
	if err != nil {
		return fmt.Errorf("demo appointments: %w", err)
	}
	return nil
}

// ImportAppointments writes the demo's appointments as one import.
func ImportAppointments(ctx context.Context, s *store.Store, today time.Time) error {
	pms := Appointments(today)
	_, err := s.ImportAppointments(ctx, actor, "demo Practice_Level_Crosstab", func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
		return access.Summary{Rows: int64(len(pms))}, emit(pms)
	})
	return err
}
