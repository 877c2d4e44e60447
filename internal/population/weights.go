package population

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/problem"
)

// Weights give each sex and age band a relative need, in thousandths (1000
// means the same need as the reference group), so that weighting stays in
// integers.
type Weights [2][NBands]int

// DefaultWeightsSource says where DefaultWeights come from; pages show it.
const DefaultWeightsSource = "OnePC default: a rounded approximation of the age–sex workload pattern " +
	"in the Carr-Hill formula used for the GMS global sum (relative consultation rates, children aged " +
	"5–14 = 1.00). These are not the official values: replace them with the weights your local scheme uses."

// DefaultWeights returns the shipped table.
func DefaultWeights() Weights {
	var w Weights
	// Seven age groups, as the workload pattern is usually given, spread
	// over the five-year bands.
	groups := []struct {
		upToBand     int // last band of the group
		female, male int
	}{
		{0, 2900, 3000},  // 0–4
		{2, 1000, 1000},  // 5–14
		{8, 2100, 1050},  // 15–44
		{12, 2900, 2100}, // 45–64
		{14, 4300, 4100}, // 65–74
		{16, 5000, 5100}, // 75–84
		{19, 5500, 6000}, // 85+
	}
	b := 0
	for _, g := range groups {
		for ; b <= g.upToBand; b++ {
			w[Female][b], w[Male][b] = g.female, g.male
		}
	}
	return w
}

// WeightKey names one weight, as forms and the API do: F0…F19, M0…M19.
func WeightKey(s Sex, band int) string { return s.Code() + strconv.Itoa(band) }

// Check reports every weight that cannot be used (each must be from 0 to
// 100 times the reference group's need), named by WeightKey.
func (w Weights) Check() error {
	var errs problem.Fields
	for _, s := range Sexes {
		for b, v := range w[s] {
			if v < 0 || v > 100000 {
				errs.Add(WeightKey(s, b), fmt.Sprintf("The weight for %ss aged %s must be from 0 to 100", strings.ToLower(s.String()), BandLabel(b)))
			}
		}
	}
	if len(errs) > 0 {
		return &problem.Error{Kind: problem.Invalid, Message: "The weights were not saved", Fields: errs}
	}
	return nil
}

// weightedMilli is Σ patients × weight, in thousandths of a patient.
func weightedMilli(p Pyramid, w Weights) int64 {
	var sum int64
	for s := range p {
		for b, n := range p[s] {
			sum += int64(n) * int64(w[s][b])
		}
	}
	return sum
}

// WeightedList is a practice's needs-weighted list: its patients weighted by
// w, then scaled so that across the reference population (all practices
// loaded for the same extract) weighted and raw lists add up to the same
// number. It rounds half up to a whole patient. ok is false when the
// reference population is empty.
func WeightedList(p Pyramid, w Weights, reference Pyramid) (list int, ok bool) {
	num := weightedMilli(p, w) * int64(reference.Total())
	den := weightedMilli(reference, w)
	if den == 0 {
		return 0, false
	}
	return int((2*num + den) / (2 * den)), true
}
