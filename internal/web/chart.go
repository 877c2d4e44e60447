package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/store"
)

// barChart is a horizontal bar chart drawn as server-side SVG, so it needs
// no JavaScript; the table beside it carries the same figures for screen readers.
type barChart struct {
	Title  string
	Bars   []bar
	Width  int
	Height int
}

type bar struct {
	Label string
	Value int
	Y     int
	W     int // bar width in pixels
}

const (
	chartLabelWidth = 260
	chartBarMax     = 380
	chartRow        = 28
)

// listSizeChart draws the registered list of each organisation below, or
// nil when fewer than two have a known list size.
func listSizeChart(children []store.Child) *barChart {
	c := &barChart{Title: "Registered patients", Width: chartLabelWidth + chartBarMax + 90}
	top := 0
	for _, ch := range children {
		top = max(top, ch.ListTotal)
	}
	if top == 0 {
		return nil
	}
	for _, ch := range children {
		if ch.ListTotal == 0 {
			continue
		}
		c.Bars = append(c.Bars, bar{Label: ch.Name, Value: ch.ListTotal, Y: len(c.Bars) * chartRow,
			W: max(1, ch.ListTotal*chartBarMax/top)})
	}
	if len(c.Bars) < 2 {
		return nil
	}
	c.Height = len(c.Bars) * chartRow
	return c
}

func (b bar) X() int      { return chartLabelWidth }
func (b bar) TextX() int  { return chartLabelWidth + b.W + 6 }
func (b bar) TextY() int  { return b.Y + 18 }
func (b bar) LabelX() int { return chartLabelWidth - 8 }

// pyramidChart is an age–sex pyramid: men to the left of the age labels,
// women to the right, each bar a share of the whole list, with the Place's
// and the reference population's shares drawn as outlines over them.
type pyramidChart struct {
	Width, Height int
	Rows          []pyramidBar
	PlaceName     string
	RefLabel      string
	MaleX         int // right edge of the male bars
	FemaleX       int // left edge of the female bars
	LabelX        int
}

type pyramidBar struct {
	Band                  int
	Label                 string
	Y, TextY              int
	MaleW, FemaleW        int
	MalePM, FemalePM      int
	Male, Female          int
	PlaceMaleW, PlaceFemW int
	RefMaleW, RefFemaleW  int
	MaleBarX, PlaceMaleX  int
	RefMaleX              int
}

const (
	pyramidHalf      = 300 // pixels for the largest share on each side
	pyramidMid       = 90  // the age labels between the halves
	pyramidRowHeight = 18
	pyramidTop       = 28
)

func newPyramidChart(rows []pyramidRow, placeName, refLabel string) *pyramidChart {
	top := 1
	for _, r := range rows {
		top = max(top, r.MalePM, r.FemalePM, r.PlaceMalePM, r.PlaceFemalePM, r.RefMalePM, r.RefFemalePM)
	}
	c := &pyramidChart{Width: 2*pyramidHalf + pyramidMid + 20, PlaceName: placeName, RefLabel: refLabel,
		MaleX: pyramidHalf + 10, FemaleX: pyramidHalf + 10 + pyramidMid, LabelX: pyramidHalf + 10 + pyramidMid/2}
	scale := func(pm int) int { return pm * pyramidHalf / top }
	for i, r := range rows {
		b := pyramidBar{Band: r.Band, Label: r.Label, Y: pyramidTop + i*pyramidRowHeight, TextY: pyramidTop + i*pyramidRowHeight + 13,
			MaleW: scale(r.MalePM), FemaleW: scale(r.FemalePM), MalePM: r.MalePM, FemalePM: r.FemalePM,
			Male: r.Male, Female: r.Female, PlaceMaleW: scale(r.PlaceMalePM), PlaceFemW: scale(r.PlaceFemalePM),
			RefMaleW: scale(r.RefMalePM), RefFemaleW: scale(r.RefFemalePM)}
		b.MaleBarX, b.PlaceMaleX, b.RefMaleX = c.MaleX-b.MaleW, c.MaleX-b.PlaceMaleW, c.MaleX-b.RefMaleW
		c.Rows = append(c.Rows, b)
	}
	c.Height = pyramidTop + len(rows)*pyramidRowHeight + 8
	return c
}

// lineChart is a small line chart of a list size over the extracts loaded.
type lineChart struct {
	Title         string
	Width, Height int
	Points        string // the polyline's points
	Dots          []lineDot
	MinLabel      string
	MaxLabel      string
	FirstLabel    string
	LastLabel     string
}

type lineDot struct {
	X, Y  int
	Label string
}

func newLineChart(title string, pts []store.TrendPoint) *lineChart {
	if len(pts) < 2 {
		return nil
	}
	lo, hi := pts[0].Patients, pts[0].Patients
	for _, p := range pts {
		lo, hi = min(lo, p.Patients), max(hi, p.Patients)
	}
	if hi == lo {
		hi = lo + 1
	}
	const w, h, left, pad = 600, 160, 70, 12
	c := &lineChart{Title: title, Width: w, Height: h + 24, MinLabel: formatNumber(lo), MaxLabel: formatNumber(hi),
		FirstLabel: pts[0].Date.Format("Jan 2006"), LastLabel: pts[len(pts)-1].Date.Format("Jan 2006")}
	var b strings.Builder
	for i, p := range pts {
		x := left + i*(w-left-pad)/(len(pts)-1)
		y := pad + (hi-p.Patients)*(h-2*pad)/(hi-lo)
		fmt.Fprintf(&b, "%d,%d ", x, y)
		c.Dots = append(c.Dots, lineDot{X: x, Y: y, Label: p.Date.Format("Jan 2006") + ": " + formatNumber(p.Patients)})
	}
	c.Points = strings.TrimSpace(b.String())
	return c
}

// decileChart draws a measure's deciles across practices month by month
// (the 10th to 90th percentile lines, the median bolder) with one or more
// organisations' lines over them, in the style of OpenPrescribing.
type decileChart struct {
	Width, Height int
	Lines         []chartLine
	Org           *chartLine  // the highlighted organisation
	Others        []chartLine // thinner lines: a PCN's member practices
	YTicks        []chartTick
	XTicks        []chartTick
	Title         string
	Unit          string
	Left, Right   int // the plot's edges, for grid lines
	AxisY         int // where month labels go
}

type chartLine struct {
	Points string
	Label  string
	Median bool
	Dots   []lineDot
}

type chartTick struct {
	Pos   int
	Label string
}

// series is one organisation's values by month (NaN where unknown).
type series struct {
	Label  string
	Values []float64
}

func newDecileChart(d *access.Table, w, h int, highlight *series, others []series) *decileChart {
	if len(d.Months) == 0 {
		return nil
	}
	const left, right, top, bottom = 64, 16, 12, 36
	lo, hi := math.Inf(1), math.Inf(-1)
	widen := func(x float64) {
		if !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	for _, dec := range d.Deciles {
		for _, x := range dec {
			widen(x)
		}
	}
	all := append([]series(nil), others...)
	if highlight != nil {
		all = append(all, *highlight)
	}
	for _, s := range all {
		for _, x := range s.Values {
			widen(x)
		}
	}
	if math.IsInf(lo, 0) {
		return nil
	}
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	pad := (hi - lo) * 0.05
	lo, hi = math.Max(0, lo-pad), hi+pad
	xOf := func(i int) int {
		if len(d.Months) == 1 {
			return left + (w-left-right)/2
		}
		return left + i*(w-left-right)/(len(d.Months)-1)
	}
	yOf := func(v float64) int { return top + int((hi-v)*float64(h-top-bottom)/(hi-lo)) }
	c := &decileChart{Width: w, Height: h, Title: d.Measure.Title, Unit: d.Measure.Unit.Suffix(), Left: left, Right: w - right, AxisY: h - 10}
	for k := 0; k < 9; k++ {
		var b strings.Builder
		for i, dec := range d.Deciles {
			if !math.IsNaN(dec[k]) {
				fmt.Fprintf(&b, "%d,%d ", xOf(i), yOf(dec[k]))
			}
		}
		c.Lines = append(c.Lines, chartLine{Points: strings.TrimSpace(b.String()), Label: fmt.Sprintf("%dth percentile", (k+1)*10), Median: k == 4})
	}
	draw := func(s series) chartLine {
		line := chartLine{Label: s.Label}
		var b strings.Builder
		for i, x := range s.Values {
			if !math.IsNaN(x) {
				fmt.Fprintf(&b, "%d,%d ", xOf(i), yOf(x))
				line.Dots = append(line.Dots, lineDot{X: xOf(i), Y: yOf(x), Label: d.Months[i].Format("Jan 2006") + ": " + num1(x) + c.Unit})
			}
		}
		line.Points = strings.TrimSpace(b.String())
		return line
	}
	if highlight != nil {
		l := draw(*highlight)
		c.Org = &l
	}
	for _, s := range others {
		c.Others = append(c.Others, draw(s))
	}
	for t := 0; t <= 4; t++ {
		v := lo + (hi-lo)*float64(t)/4
		c.YTicks = append(c.YTicks, chartTick{Pos: yOf(v), Label: num1(v)})
	}
	step := max(1, len(d.Months)/max(2, w/120))
	for i := 0; i < len(d.Months); i += step {
		c.XTicks = append(c.XTicks, chartTick{Pos: xOf(i), Label: d.Months[i].Format("Jan 06")})
	}
	return c
}

// num1 writes a value with one decimal place.
func num1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
