package capability

import (
	"math"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// ItemChange is one item's level in this review and the last.
type ItemChange struct {
	Item   string `json:"item"`
	Domain string `json:"domain"`
	Before int    `json:"before,omitempty"` // 0: not scored last time
	After  int    `json:"after,omitempty"`  // 0: not agreed yet
	Delta  int    `json:"delta"`
}

// DomainChange is a domain's mean level in this review and the last.
type DomainChange struct {
	Domain string  `json:"domain"`
	Title  string  `json:"title"`
	Before float64 `json:"before"` // NaN-free: 0 when nothing was scored
	After  float64 `json:"after"`
	Delta  float64 `json:"delta"`
}

// Improvement is how a review compares with the organisation's last one
// against the same framework: each item's change, each domain's mean, and
// how many items moved up at least one level. Only items scored both times
// count towards the change.
type Improvement struct {
	Items     []ItemChange   `json:"items"`
	Domains   []DomainChange `json:"domains"`
	MovedUp   int            `json:"moved_up"`
	MovedDown int            `json:"moved_down"`
	Compared  int            `json:"compared"` // items scored both times
}

// Compare works out the improvement from before to after (agreed levels by item).
func Compare(f Framework, before, after map[string]Agreed) Improvement {
	var imp Improvement
	for _, d := range f.Domains {
		dc := DomainChange{Domain: d.Code, Title: d.Title}
		// Domain means are over the items scored both times, so that an
		// item agreed only now (mid-review, say) moves nothing.
		var n float64
		for _, it := range d.Items {
			c := ItemChange{Item: it.Code, Domain: d.Code, Before: before[it.Code].Level, After: after[it.Code].Level}
			if c.Before > 0 && c.After > 0 {
				c.Delta = c.After - c.Before
				imp.Compared++
				switch {
				case c.Delta >= 1:
					imp.MovedUp++
				case c.Delta <= -1:
					imp.MovedDown++
				}
				dc.Before += float64(c.Before)
				dc.After += float64(c.After)
				n++
			}
			imp.Items = append(imp.Items, c)
		}
		if n > 0 {
			dc.Before, dc.After = round2(dc.Before/n), round2(dc.After/n)
			dc.Delta = round2(dc.After - dc.Before)
		}
		imp.Domains = append(imp.Domains, dc)
	}
	return imp
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// LowItems are the items agreed at or below the framework's low level: each
// should get an improvement action.
func LowItems(f Framework, agreed map[string]Agreed) []string {
	var out []string
	for _, it := range f.Items() {
		low := f.LowAt
		if it.Scale != nil { // an item on its own scale is low at its bottom level
			low = it.Scale.Min()
		}
		if a, ok := agreed[it.Code]; ok && a.Level <= low {
			out = append(out, it.Code)
		}
	}
	return out
}

// ActionsForLow are the actions a closing review creates: one for each low
// item that has none yet, owned by owner and due by due, for the team to
// refine.
func ActionsForLow(f Framework, agreed map[string]Agreed, existing []Action, owner string, due time.Time) []Action {
	var out []Action
	for _, code := range LowItems(f, agreed) {
		if slices.ContainsFunc(existing, func(a Action) bool { return a.Item == code }) {
			continue
		}
		it, _ := f.Item(code)
		out = append(out, Action{Item: code, Title: "Plan how to improve: " + it.Question, Owner: owner, Due: due})
	}
	return out
}

// Action is an improvement action made from a low score.
type Action struct {
	ID    int64     `json:"id"`
	Item  string    `json:"item"`
	Title string    `json:"title"`
	Owner string    `json:"owner"`
	Due   time.Time `json:"due"`
	Done  bool      `json:"done"`
}

// CheckAction checks an action for an item of a review, on day today.
func CheckAction(f Framework, a Action, today time.Time) error {
	var errs problem.Fields
	if _, ok := f.Item(a.Item); !ok {
		errs.Add("item", "Choose the item the action is for")
	}
	if a.Title == "" || len([]rune(a.Title)) > 300 {
		errs.Add("title", "Say what will be done, in 300 characters or fewer")
	}
	if a.Owner == "" || len([]rune(a.Owner)) > 200 {
		errs.Add("owner", "Name who owns the action")
	}
	if a.Due.IsZero() || a.Due.Before(today) || a.Due.After(today.AddDate(10, 0, 0)) {
		errs.Add("due", "Enter a due date from today to ten years ahead, as YYYY-MM-DD")
	}
	return errs.Err()
}

// Tier is the support a Place offers an organisation, from its levels.
type Tier string

const (
	Universal    Tier = "universal"
	Intermediate Tier = "intermediate"
	Intensive    Tier = "intensive"
)

// TierOf places a review's mean level, as a share of the way up the scale
// (0 at the bottom level, 1 at the top), into a support tier: two thirds
// of the way or more, universal; a third or more, intermediate; less,
// intensive. Items on their own scales count by their own ends.
func TierOf(f Framework, agreed map[string]Agreed) (Tier, float64) {
	var sum, n float64
	for _, it := range f.Items() {
		a, ok := agreed[it.Code]
		if !ok {
			continue
		}
		s := f.ScaleOf(it)
		sum += float64(a.Level-s.Min()) / float64(s.Max()-s.Min())
		n++
	}
	if n == 0 {
		return "", 0
	}
	share := sum / n // compared unrounded: a third of the way up is intermediate
	switch {
	case share >= 2.0/3:
		return Universal, round2(share)
	case share >= 1.0/3:
		return Intermediate, round2(share)
	}
	return Intensive, round2(share)
}

// Distribution is how the organisations that shared their reviews are
// spread across the levels of each item: counts, never a ranking.
type Distribution struct {
	Item   string      `json:"item"`
	Counts map[int]int `json:"counts"`
	N      int         `json:"n"`
}

// Distribute counts the agreed levels of each item across reviews.
func Distribute(f Framework, reviews []map[string]Agreed) []Distribution {
	var out []Distribution
	for _, it := range f.Items() {
		d := Distribution{Item: it.Code, Counts: map[int]int{}}
		for _, r := range reviews {
			if a, ok := r[it.Code]; ok {
				d.Counts[a.Level]++
				d.N++
			}
		}
		out = append(out, d)
	}
	return out
}

// Levels lists a scale's values, for drawing.
func (s Scale) Values() []int {
	var out []int
	for _, l := range s.Levels {
		out = append(out, l.Value)
	}
	return slices.Clip(out)
}
