package access

import "time"

// Cells is how many combinations of status, HCP type, mode and band there
// are: a practice's month of appointments, summed over national category,
// is one count per combination.
const Cells = 3 * 3 * 5 * 8

// Cell numbers a combination of the dimensions.
func Cell(s Status, h HCP, m Mode, b Band) int {
	return ((int(s)*3+int(h))*5+int(m))*8 + int(b)
}

// CellDims is Cell's inverse: the dimensions a cell stands for.
func CellDims(c int) (Status, HCP, Mode, Band) {
	return Status(c / 120), HCP(c / 40 % 3), Mode(c / 8 % 5), Band(c % 8)
}

// Counts are one practice's appointments in one month, by cell.
type Counts [Cells]int64

// Add adds o's counts to c.
func (c *Counts) Add(o *Counts) {
	for i, n := range o {
		c[i] += n
	}
}

// Practice is a practice as an appointments file names it.
type Practice struct {
	Code, Name, PCN, PCNName, SubICB, SubICBName string
}

// PracticeMonth is what a file holds for one practice in one month.
type PracticeMonth struct {
	Practice Practice
	Month    time.Time
	Counts   *Counts
}

// Mask is the set of cells a filter picks.
type Mask [Cells]bool

// Mask works out which cells the filter picks.
func (f Filter) Mask() *Mask {
	var m Mask
	for c := range m {
		s, h, mo, b := CellDims(c)
		m[c] = in(f.Statuses, s) && in(f.HCPs, h) && in(f.Modes, mo) && in(f.Bands, b)
	}
	return &m
}

func in[T comparable](list []T, v T) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// SumMasks adds up, for each mask, the counts in the cells it picks, into
// sums (one per mask), in one pass over the cells that are not zero.
func (c *Counts) SumMasks(masks []*Mask, sums []int64) {
	clear(sums)
	for i, n := range c {
		if n == 0 {
			continue
		}
		for j, m := range masks {
			if m[i] {
				sums[j] += n
			}
		}
	}
}
