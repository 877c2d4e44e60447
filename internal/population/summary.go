package population

// List is one practice's registered list in one extract.
type List struct {
	Code     string
	Total    int
	Bands    Pyramid
	HasBands bool // false where only the total is known
}

// Summary is the headline figures of a group of practices' lists.
type Summary struct {
	Patients    int  `json:"patients"`
	Weighted    int  `json:"weighted_patients"`
	HasWeighted bool `json:"has_weighted"`
	HasBands    bool `json:"has_age_bands"`
	Under5PM    int  `json:"under_5_per_mille"`
	Over65PM    int  `json:"aged_65_plus_per_mille"`
	Over85PM    int  `json:"aged_85_plus_per_mille"`
	YearAgo     int  `json:"patients_a_year_earlier,omitempty"`
	GrowthPM    int  `json:"growth_per_mille"`
	HasGrowth   bool `json:"has_growth"`
}

// RatioPM is the weighted list per thousand registered patients (1000: the
// group needs as much as the reference population, head for head).
func (s Summary) RatioPM() int {
	if !s.HasWeighted {
		return 0
	}
	return PerMille(s.Weighted, s.Patients)
}

// Summarise works out the headline figures of the practices' lists now,
// and returns their combined pyramid:
//   - the shares under 5, 65 and over and 85 and over, only where every list
//     has its age bands;
//   - the needs-weighted list: each practice with bands weighted by w
//     against the reference population ref (WeightedList);
//   - growth like for like: the practices that had a list a year earlier
//     (then, by code), now against then, rounded the same way up and down.
func Summarise(now map[string]*List, then map[string]*List, w Weights, ref Pyramid) (Summary, Pyramid) {
	var s Summary
	var whole Pyramid
	allBands := len(now) > 0
	var thenTotal, nowWithThen int
	for code, p := range now {
		s.Patients += p.Total
		whole.Add(p.Bands)
		allBands = allBands && p.HasBands
		if p.HasBands {
			wl, _ := WeightedList(p.Bands, w, ref)
			s.Weighted += wl
		}
		if old, ok := then[code]; ok {
			thenTotal += old.Total
			nowWithThen += p.Total
		}
	}
	s.HasBands = allBands && whole.Total() > 0
	if s.HasBands {
		t := whole.Total()
		s.Under5PM, s.Over65PM, s.Over85PM = PerMille(whole.Under5(), t), PerMille(whole.Over65(), t), PerMille(whole.Over85(), t)
		s.HasWeighted = true
	} else {
		s.Weighted = 0
	}
	if thenTotal > 0 {
		s.YearAgo, s.HasGrowth = thenTotal, true
		s.GrowthPM = PerMille(nowWithThen-thenTotal, thenTotal)
		if nowWithThen < thenTotal { // PerMille rounds half up for positives; keep the sign symmetric
			s.GrowthPM = -PerMille(thenTotal-nowWithThen, thenTotal)
		}
	}
	return s, whole
}
