package demo

import (
	"math/rand/v2"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/population"
)

// Months of registered-patient extracts the demo holds: thirteen, so that
// every practice has a trend and a growth over a year.
const populationMonths = 13

// englandShape is the rough share (in tenths of a percent) of England's
// registered patients in each five-year band, youngest first.
var englandShape = [population.NBands]int{52, 58, 61, 58, 60, 68, 72, 70, 66, 63, 68, 67, 59, 51, 47, 38, 25, 15, 6, 2}

// femalePermille is the rough share (per thousand) of women among England's
// registered patients in each band, as the published totals have it: a few
// more boys than girls, about even through working age, then more women
// with each band from the sixties on.
var femalePermille = [population.NBands]int{488, 487, 487, 488, 496, 501, 499, 498, 499, 503, 506, 508, 512, 521, 530, 545, 570, 620, 690, 760}

// profile bends the shape so that populations differ, as real ones do.
type profile struct {
	name   string
	factor func(band int) int // percent
}

var profiles = []profile{
	{"mixed", func(int) int { return 100 }},
	{"young families", func(b int) int {
		switch {
		case b <= 2:
			return 160
		case b >= 6 && b <= 8:
			return 140
		case b >= 13:
			return 60
		}
		return 100
	}},
	{"retirement coast", func(b int) int {
		switch {
		case b >= 13:
			return 210
		case b <= 8:
			return 70
		}
		return 100
	}},
	{"students", func(b int) int {
		switch {
		case b == 3 || b == 4:
			return 420
		case b == 5:
			return 160
		case b >= 12:
			return 40
		}
		return 70
	}},
	{"care homes", func(b int) int {
		switch {
		case b >= 17:
			return 520
		case b >= 15:
			return 220
		}
		return 95
	}},
}

// practiceProfile picks a profile: Harbour and Coast practices lean older,
// one practice serves a university, one many care homes.
func practiceProfile(i int) profile {
	switch {
	case i == 12: // MARKET SQUARE SURGERY, Valeford: the university town
		return profiles[3]
	case i == 9: // THE RIDGEWAY PRACTICE: many care homes
		return profiles[4]
	case i >= 18:
		return profiles[2]
	case i%4 == 1:
		return profiles[1]
	}
	return profiles[0]
}

// Populations returns the demo's registered-patient extracts, oldest first:
// one a month, on the first, for the thirteen months to this one. Each
// practice's newest list equals its list size in Orgs.
func Populations(today time.Time) []*population.Extract {
	list, _ := Orgs(today)
	rng := rand.New(rand.NewPCG(2026, 2))
	latest := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]*population.Extract, populationMonths)
	for m := range out {
		out[m] = &population.Extract{Date: latest.AddDate(0, m-populationMonths+1, 0)}
	}
	i := 0
	for _, o := range list {
		if o.Kind != orgs.Practice {
			continue
		}
		prof := practiceProfile(i)
		// Monthly growth between −0.3% and +0.8%, in hundredths of a percent.
		growth := rng.IntN(111) - 30
		final := o.ListSize
		for m, e := range out {
			if !o.CloseDate.IsZero() && !e.Date.Before(o.CloseDate) {
				continue // closed practices drop out of the extracts
			}
			monthsBack := populationMonths - 1 - m
			total := final * 10000 / (10000 + growth*monthsBack)
			if final == 0 { // the closed practice: its last list before it closed
				total = 3500 + 40*m
			}
			e.Practices = append(e.Practices, population.Practice{Code: o.Code, SubICB: PlaceCode, Postcode: o.Postcode,
				Total: total, Bands: spread(total, prof, rng), HasBands: true})
		}
		i++
	}
	return out
}

// spread shares total patients over the bands by the profile, with a little
// noise, so that the bands add up exactly to total (largest remainder).
func spread(total int, prof profile, rng *rand.Rand) population.Pyramid {
	var weights [2][population.NBands]int
	sum := 0
	for b, share := range englandShape {
		// Each sex its own noise, around England's share of women in the band.
		wf := share * prof.factor(b) * (95 + rng.IntN(11)) * femalePermille[b]
		wm := share * prof.factor(b) * (95 + rng.IntN(11)) * (1000 - femalePermille[b])
		weights[population.Female][b] = wf
		weights[population.Male][b] = wm
		sum += wf + wm
	}
	var p population.Pyramid
	type rem struct {
		s, b int
		r    int
	}
	var rems []rem
	given := 0
	for s := range weights {
		for b, w := range weights[s] {
			p[s][b] = total * w / sum
			given += p[s][b]
			rems = append(rems, rem{s, b, total * w % sum})
		}
	}
	for k := 0; given < total; k++ {
		best := 0
		for j := range rems {
			if rems[j].r > rems[best].r {
				best = j
			}
		}
		p[rems[best].s][rems[best].b]++
		rems[best].r = -1
		given++
	}
	return p
}
