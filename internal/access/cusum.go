package access

import "math"

// Alert is a sustained change in an organisation's percentile.
type Alert struct {
	Rising bool    // the percentile rose (for a higher-is-better measure, an improvement)
	Start  int     // index of the month the run began
	Found  int     // index of the month the signal crossed the threshold
	From   float64 // mean percentile over the reference window
	To     float64 // mean percentile since the run began
}

// CUSUM settings: the reference window, the allowance k and the decision
// interval h, both in standard deviations of the reference window. With
// each month capped at CUSUMCap deviations, crossing h takes at least three
// months out of the ordinary.
const (
	CUSUMWindow = 12
	CUSUMK      = 0.5
	CUSUMH      = 4.0
	CUSUMCap    = 2.5
	CUSUMFloor  = 2.0 // the least spread, in percentile points, the reference window is taken to have
)

// DetectChange runs a two-sided CUSUM over monthly percentiles (NaN where
// unknown) against the mean and spread of the first CUSUMWindow months, and
// reports the latest sustained rise or fall, if any.
func DetectChange(percentiles []float64) (Alert, bool) {
	// The reference is the first CUSUMWindow months known; monitoring
	// starts after the last of them, so that with months missing no month
	// is both baseline and monitored.
	var ref []float64
	monitorFrom := len(percentiles)
	for i, p := range percentiles {
		if !math.IsNaN(p) {
			ref = append(ref, p)
		}
		if len(ref) == CUSUMWindow {
			monitorFrom = i + 1
			break
		}
	}
	if len(ref) < CUSUMWindow || monitorFrom >= len(percentiles) {
		return Alert{}, false
	}
	mean, sd := meanSD(ref)
	sd = math.Max(sd, CUSUMFloor) // percentiles that barely move still need a real shift
	var up, down float64
	upStart, downStart := -1, -1
	var found Alert
	ok := false
	for i := monitorFrom; i < len(percentiles); i++ {
		x := percentiles[i]
		if math.IsNaN(x) {
			continue
		}
		// Each month counts for at most CUSUMCap deviations, so no single
		// month, however wild, can cross h alone: it takes a run of them.
		z := math.Max(-CUSUMCap, math.Min(CUSUMCap, (x-mean)/sd))
		up = math.Max(0, up+z-CUSUMK)
		down = math.Max(0, down-z-CUSUMK)
		if up == 0 {
			upStart = -1
		} else if upStart < 0 {
			upStart = i
		}
		if down == 0 {
			downStart = -1
		} else if downStart < 0 {
			downStart = i
		}
		if up > CUSUMH {
			found, ok = Alert{Rising: true, Start: upStart, Found: i, From: mean}, true
		}
		if down > CUSUMH {
			found, ok = Alert{Rising: false, Start: downStart, Found: i, From: mean}, true
		}
	}
	if ok {
		var since []float64
		for _, p := range percentiles[found.Start:] {
			if !math.IsNaN(p) {
				since = append(since, p)
			}
		}
		found.To, _ = meanSD(since)
	}
	return found, ok
}

func meanSD(xs []float64) (float64, float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	if len(xs) < 2 {
		return mean, 0
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}
