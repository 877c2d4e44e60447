// Package population holds registered-patient populations: list sizes and
// five-year age bands by sex from NHS England's "Patients Registered at a GP
// Practice", and the needs weighting that turns a raw list into a weighted one.
// Everything here is integer arithmetic with no SQL or HTTP.
package population

import (
	"fmt"
	"time"
)

// Sex indexes a Pyramid: the published files split patients into these two.
type Sex int

const (
	Female Sex = iota
	Male
)

func (s Sex) String() string {
	if s == Male {
		return "Male"
	}
	return "Female"
}

// Code is how the store writes a sex.
func (s Sex) Code() string {
	if s == Male {
		return "M"
	}
	return "F"
}

// Sexes lists both, in the order pages show them.
var Sexes = []Sex{Female, Male}

// Bands are the published five-year age groups, youngest first.
var Bands = []string{"0_4", "5_9", "10_14", "15_19", "20_24", "25_29", "30_34", "35_39", "40_44", "45_49",
	"50_54", "55_59", "60_64", "65_69", "70_74", "75_79", "80_84", "85_89", "90_94", "95+"}

// NBands is the number of age bands.
const NBands = 20

// BandLabel writes a band for people: "0–4", "95+".
func BandLabel(i int) string {
	if i == NBands-1 {
		return "95+"
	}
	return fmt.Sprintf("%d–%d", i*5, i*5+4)
}

// BandIndex finds a published band name ("0_4", "95+"); ok is false for others.
func BandIndex(name string) (int, bool) {
	for i, b := range Bands {
		if b == name {
			return i, true
		}
	}
	return 0, false
}

// bandOfAge puts a single year of age (0…94, or 95 for "95+") in its band.
func bandOfAge(age int) int { return min(age/5, NBands-1) }

// Pyramid counts patients by sex and age band.
type Pyramid [2][NBands]int

// Total is the number of patients in the pyramid.
func (p Pyramid) Total() int {
	n := 0
	for _, s := range p {
		for _, v := range s {
			n += v
		}
	}
	return n
}

// Between counts patients in bands from..to inclusive, both sexes.
func (p Pyramid) Between(from, to int) int {
	n := 0
	for b := from; b <= to; b++ {
		n += p[Female][b] + p[Male][b]
	}
	return n
}

// Add adds another pyramid into p.
func (p *Pyramid) Add(q Pyramid) {
	for s := range p {
		for b := range p[s] {
			p[s][b] += q[s][b]
		}
	}
}

// Under5, Over65 and Over85 are the age groups pages report.
func (p Pyramid) Under5() int { return p.Between(0, 0) }
func (p Pyramid) Over65() int { return p.Between(13, NBands-1) }
func (p Pyramid) Over85() int { return p.Between(17, NBands-1) }

// PerMille returns part/whole in thousandths, rounded half up; 0 when whole is 0.
func PerMille(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return int((int64(part)*2000 + int64(whole)) / (int64(whole) * 2))
}

// Practice is one practice's population in one extract. Bands is zero and
// HasBands false where only the total is known (the totals file, or an age
// breakdown suppressed for a small list).
type Practice struct {
	Code     string
	SubICB   string
	Postcode string
	Total    int
	Bands    Pyramid
	HasBands bool
}

// Extract is what one published file holds for one extract date.
type Extract struct {
	Date      time.Time
	Practices []Practice
	// Skipped counts rows for organisations other than GP practices.
	Skipped int
	// Suppressed counts practices whose age breakdown was withheld.
	Suppressed int
}
