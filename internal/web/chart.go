package web

import (
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
