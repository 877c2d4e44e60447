package web

import (
	"github.com/onepc/onepc/internal/capability"
)

// spineChart draws each item's agreed level as a bar along its scale, with
// the last review's level marked, so that a team sees at a glance where it
// stands and what moved. A spine reads better than a radar for a dozen
// items on different scales.
type spineChart struct {
	Width, Height int
	Rows          []spineRow
}

type spineRow struct {
	Y, BarWidth, Before, Panel int
	Label, Text                string
}

const (
	spineLeft  = 90
	spineRight = 420
	spineRowH  = 22
)

func newSpine(f capability.Framework, agreed, before map[string]capability.Agreed) spineChart {
	c := spineChart{Width: spineRight + 40}
	for i, it := range f.Items() {
		s := f.ScaleOf(it)
		pos := func(level int) int {
			if level == 0 {
				return 0
			}
			return spineLeft + (spineRight-spineLeft)*(level-s.Min()+1)/(s.Max()-s.Min()+1)
		}
		a := agreed[it.Code]
		row := spineRow{Y: 10 + i*spineRowH, Label: it.Code, Text: s.Label(a.Level)}
		if a.Level > 0 {
			row.BarWidth = pos(a.Level) - spineLeft
		}
		row.Before = pos(before[it.Code].Level)
		row.Panel = pos(a.PanelLevel)
		c.Rows = append(c.Rows, row)
	}
	c.Height = 20 + len(c.Rows)*spineRowH
	return c
}
