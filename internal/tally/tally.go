// Package tally counts the ballots of a shared plan's decisions: dot votes,
// scores on criteria, ranked choice, sense checks, proposals and the
// gradients of agreement, per constituency, with a cross-constituency
// consensus score. It is pure: no SQL, no HTTP, no clock.
package tally

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Method is how a decision is made.
type Method string

const (
	Dots      Method = "dots"      // each voter spreads N dots over the options
	Score     Method = "score"     // each option scored 0–5 on named criteria
	Ranked    Method = "ranked"    // options put in order; instant run-off, repeated for a full order
	Sense     Method = "sense"     // looks good / not sure / concerned, for each option
	Proposal  Method = "proposal"  // agree / abstain / disagree / block, for each option
	Gradients Method = "gradients" // the eight-point gradients of agreement, for final adoption
)

// Methods lists every method in the order forms offer them.
var Methods = []Method{Dots, Score, Ranked, Sense, Proposal, Gradients}

// Label is the method's name for people.
func (m Method) Label() string {
	switch m {
	case Dots:
		return "Dot vote"
	case Score:
		return "Score on criteria"
	case Ranked:
		return "Ranked choice"
	case Sense:
		return "Sense check"
	case Proposal:
		return "Proposal"
	case Gradients:
		return "Gradients of agreement"
	}
	return string(m)
}

// Explain says in a sentence how the method is counted, for the page.
func (m Method) Explain() string {
	switch m {
	case Dots:
		return "Each person spreads their dots over the options, several on one if they like. Options are ordered by dots; a person supports an option they gave at least one dot."
	case Score:
		return "Each person scores every option from 0 to 5 on each criterion. Options are ordered by their mean score; a person supports an option whose mean score from them is 3 or more."
	case Ranked:
		return "Each person puts the options in order. The first place goes to the option that wins an instant run-off (the option with fewest first preferences is dropped and its votes pass on, until one has more than half; a tie for fewest drops the one ranked lower overall); the run-off is repeated without the winner for second place, and so on. A person supports an option they ranked in the top half."
	case Sense:
		return "Each person says of every option: looks good, not sure or concerned. A person supports an option they said looks good."
	case Proposal:
		return "Each person answers every option: agree, abstain, disagree or block. A block is shown beside the option. A person supports an option they agreed to."
	case Gradients:
		return "Each person places every option on the eight-point gradients of agreement (Kaner). A person supports an option with one of the first three points."
	}
	return ""
}

// ParseMethod accepts a method's code.
func ParseMethod(s string) (Method, error) {
	m := Method(strings.TrimSpace(s))
	if slices.Contains(Methods, m) {
		return m, nil
	}
	return "", fmt.Errorf("choose how the decision is made")
}

// Answers are the choices for the methods that ask one question of each
// option, in order; a ballot's mark is an index into them.
func (m Method) Answers() []string {
	switch m {
	case Sense:
		return []string{"Looks good", "Not sure", "Concerned"}
	case Proposal:
		return []string{"Agree", "Abstain", "Disagree", "Block"}
	case Gradients:
		return []string{"Whole-hearted endorsement", "Agreement with a minor point of contention", "Support with reservations",
			"Abstain", "More discussion needed", "Don't like but will support", "Serious disagreement", "Veto"}
	}
	return nil
}

// supports says whether an answer counts as support for the consensus
// score: looks good; agree; the first three gradients.
func (m Method) supports(answer int) bool {
	switch m {
	case Sense, Proposal:
		return answer == 0
	case Gradients:
		return answer <= 2
	}
	return false
}

// MaxScore is the top of the score scale.
const MaxScore = 5

// Decision is what a ballot is checked against.
type Decision struct {
	Method   Method
	Options  []int64  // the priorities decided on
	Dots     int      // for Dots: how many each person has
	Criteria []string // for Score
}

// Ballot is one person's answer, or a paper tally of Weight identical ones.
type Ballot struct {
	Constituency string
	Weight       int           // 1 for a ballot cast online; the number of identical paper ballots entered
	Marks        map[int64]int // option → dots | answer index | rank (1 is first)
	Scores       map[int64][]int
}

func (b Ballot) weight() int { return max(b.Weight, 1) }

// Check says what is wrong with a ballot for d, naming the option or
// criterion, or returns nil.
func (d Decision) Check(b Ballot, name func(int64) string) error {
	known := map[int64]bool{}
	for _, o := range d.Options {
		known[o] = true
	}
	for o := range b.Marks {
		if !known[o] {
			return fmt.Errorf("option %d is not part of this decision", o)
		}
	}
	for o := range b.Scores {
		if !known[o] {
			return fmt.Errorf("option %d is not part of this decision", o)
		}
	}
	switch d.Method {
	case Dots:
		spent := 0
		for _, o := range d.Options {
			n := b.Marks[o]
			switch {
			case n < 0:
				return fmt.Errorf("%s: dots cannot be fewer than none", name(o))
			case n > d.Dots: // checked one by one, so the sum below cannot overflow
				return fmt.Errorf("%s: %d dots, but you have %d", name(o), n, d.Dots)
			}
			spent += n
		}
		if spent > d.Dots {
			return fmt.Errorf("you placed %d dots but have %d: take %d off", spent, d.Dots, spent-d.Dots)
		}
		if spent == 0 {
			return fmt.Errorf("place at least one dot")
		}
	case Score:
		for _, o := range d.Options {
			s := b.Scores[o]
			if len(s) != len(d.Criteria) {
				return fmt.Errorf("%s: give a score for each of %s", name(o), strings.Join(d.Criteria, ", "))
			}
			for i, v := range s {
				if v < 0 || v > MaxScore {
					return fmt.Errorf("%s, %s: a score is from 0 to %d", name(o), d.Criteria[i], MaxScore)
				}
			}
		}
	case Ranked:
		seen := map[int]int64{}
		for _, o := range d.Options {
			r, ok := b.Marks[o]
			if !ok {
				continue // an option left unranked comes after every ranked one
			}
			if r < 1 || r > len(d.Options) {
				return fmt.Errorf("%s: a place is from 1 to %d", name(o), len(d.Options))
			}
			if other, dup := seen[r]; dup {
				return fmt.Errorf("%s and %s are both in place %d: give each its own place", name(other), name(o), r)
			}
			seen[r] = o
		}
		if len(seen) == 0 {
			return fmt.Errorf("rank at least one option")
		}
		for r := 1; r <= len(seen); r++ {
			if _, ok := seen[r]; !ok {
				return fmt.Errorf("places must run 1, 2, 3 … with none missed: there is no place %d", r)
			}
		}
	case Sense, Proposal, Gradients:
		n := len(d.Method.Answers())
		for _, o := range d.Options {
			a, ok := b.Marks[o]
			if !ok {
				return fmt.Errorf("%s: choose an answer", name(o))
			}
			if a < 0 || a >= n {
				return fmt.Errorf("%s: choose one of the answers given", name(o))
			}
		}
	default:
		return fmt.Errorf("unknown method %q", d.Method)
	}
	return nil
}

// Support is how one constituency stood on an option.
type Support struct {
	Agree    int  `json:"agree"`              // voters supporting it
	Votes    int  `json:"votes"`              // voters who answered
	Withheld bool `json:"withheld,omitempty"` // too few voters to show without showing how one voted
}

// Option is the count for one option.
type Option struct {
	ID             int64              `json:"id"`
	Place          int                `json:"place"`                     // 1 is first, by the method's own order
	Dots           int                `json:"dots,omitempty"`            // Dots
	Mean           float64            `json:"mean,omitempty"`            // Score: mean over criteria and voters
	CriterionMeans []float64          `json:"criterion_means,omitempty"` // Score
	FirstChoices   int                `json:"first_choices,omitempty"`   // Ranked: first preferences
	Counts         []int              `json:"counts,omitempty"`          // Sense, Proposal, Gradients: voters per answer
	Blocks         int                `json:"blocks,omitempty"`          // Proposal: blocks; Gradients: vetoes
	ByConstituency map[string]Support `json:"by_constituency"`
	Consensus      float64            `json:"consensus"` // product over constituencies of (agree+1)/(votes+2)
}

// Result is a decision's count.
type Result struct {
	Method  Method         `json:"method"`
	Voters  int            `json:"voters"`
	Turnout map[string]int `json:"turnout"` // voters per constituency
	Options []Option       `json:"options"` // in Place order
}

// Count tallies ballots (already checked) for d across the constituencies
// taking part. The consensus product runs over the constituencies that
// voted: one without voters would add (0+1)/(0+2) to every option alike,
// changing no order but making the score harder to read.
func Count(d Decision, constituencies []string, ballots []Ballot) Result {
	res := Result{Method: d.Method, Turnout: map[string]int{}}
	opts := make([]Option, len(d.Options))
	idx := map[int64]int{}
	for i, id := range d.Options {
		opts[i] = Option{ID: id, ByConstituency: map[string]Support{}}
		if answers := d.Method.Answers(); answers != nil {
			opts[i].Counts = make([]int, len(answers))
		}
		if d.Method == Score {
			opts[i].CriterionMeans = make([]float64, len(d.Criteria))
		}
		for _, c := range constituencies {
			opts[i].ByConstituency[c] = Support{}
		}
		idx[id] = i
	}
	for _, b := range ballots {
		w := b.weight()
		res.Voters += w
		res.Turnout[b.Constituency] += w
		for i := range opts {
			o := &opts[i]
			sup := o.ByConstituency[b.Constituency]
			agree, answered := false, true
			switch d.Method {
			case Dots:
				n := b.Marks[o.ID]
				o.Dots += n * w
				agree = n > 0
			case Score:
				sum := 0
				for c, v := range b.Scores[o.ID] {
					o.CriterionMeans[c] += float64(v * w)
					sum += v
				}
				if len(d.Criteria) > 0 {
					agree = sum >= 3*len(d.Criteria) // a mean of 3 or more
				}
			case Ranked:
				r, ok := b.Marks[o.ID]
				if ok && r == 1 {
					o.FirstChoices += w
				}
				agree = ok && r <= (len(d.Options)+1)/2
			default:
				a, ok := b.Marks[o.ID]
				answered = ok
				if ok {
					o.Counts[a] += w
					agree = d.Method.supports(a)
					if (d.Method == Proposal && a == 3) || (d.Method == Gradients && a == 7) {
						o.Blocks += w
					}
				}
			}
			if answered {
				sup.Votes += w
				if agree {
					sup.Agree += w
				}
			}
			o.ByConstituency[b.Constituency] = sup
		}
	}
	for i := range opts {
		o := &opts[i]
		o.Consensus = consensus(o.ByConstituency, res.Turnout)
		if d.Method == Score && res.Voters > 0 && len(d.Criteria) > 0 {
			total := 0.0
			for c := range o.CriterionMeans {
				total += o.CriterionMeans[c]
				o.CriterionMeans[c] /= float64(res.Voters)
			}
			o.Mean = total / float64(res.Voters*len(d.Criteria))
		}
	}
	order := methodOrder(d, opts, ballots)
	for place, id := range order {
		opts[idx[id]].Place = place + 1
	}
	slices.SortFunc(opts, func(a, b Option) int { return a.Place - b.Place })
	res.Options = opts
	return res
}

// consensus is the product over constituencies of (agree+1)/(votes+2): an
// option every group leans towards beats one a single large group loves.
// Multiplication commutes, so the score is the same whatever order the
// constituencies are listed in or named.
func consensus(by map[string]Support, turnout map[string]int) float64 {
	keys := slices.Sorted(maps.Keys(by))
	score := 1.0
	for _, k := range keys { // a fixed order, so that rounding is too
		if turnout[k] == 0 {
			continue
		}
		s := by[k]
		score *= float64(s.Agree+1) / float64(s.Votes+2)
	}
	return score
}

// methodOrder is the options' ids in the method's own order; ties are
// broken by consensus, then by the order the options were listed in.
func methodOrder(d Decision, opts []Option, ballots []Ballot) []int64 {
	if d.Method == Ranked {
		return RankedOrder(d.Options, ballots)
	}
	pos := map[int64]int{}
	for i, id := range d.Options {
		pos[id] = i
	}
	sorted := slices.Clone(opts)
	key := func(o Option) float64 {
		switch d.Method {
		case Dots:
			return float64(o.Dots)
		case Score:
			return o.Mean
		}
		return o.Consensus
	}
	slices.SortStableFunc(sorted, func(a, b Option) int {
		if c := descending(key(a), key(b)); c != 0 {
			return c
		}
		if c := descending(a.Consensus, b.Consensus); c != 0 {
			return c
		}
		return pos[a.ID] - pos[b.ID]
	})
	out := make([]int64, len(sorted))
	for i, o := range sorted {
		out[i] = o.ID
	}
	return out
}

// descending orders larger first, taking values within rounding of each
// other as equal: a product of the same factors in another order can differ
// in its last bit, and must not reorder a tie.
func descending(a, b float64) int {
	switch {
	case math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b)):
		return 0
	case a > b:
		return -1
	}
	return 1
}

// RankedOrder puts the options in order by repeated instant run-off: the
// winner of a run-off among all options is first; a run-off among the rest
// gives second place; and so on. In a run-off, while no option holds more
// than half the ballots that still rank a continuing option, the option with
// fewest is dropped (a tie for fewest drops the one with fewer points when
// every ballot's places are counted as points, n for first down to 1, then
// the one listed later).
func RankedOrder(options []int64, ballots []Ballot) []int64 {
	remaining := slices.Clone(options)
	var order []int64
	for len(remaining) > 0 {
		w := runOff(remaining, options, ballots)
		order = append(order, w)
		remaining = slices.DeleteFunc(remaining, func(o int64) bool { return o == w })
	}
	return order
}

func runOff(candidates, listed []int64, ballots []Ballot) int64 {
	continuing := slices.Clone(candidates)
	points := bordaPoints(candidates, ballots)
	pos := map[int64]int{}
	for i, id := range listed {
		pos[id] = i
	}
	for {
		if len(continuing) == 1 {
			return continuing[0]
		}
		counts := map[int64]int{}
		active := 0
		for _, b := range ballots {
			if top, ok := topChoice(b, continuing); ok {
				counts[top] += b.weight()
				active += b.weight()
			}
		}
		for _, c := range continuing {
			if counts[c]*2 > active {
				return c
			}
		}
		if active == 0 { // nobody ranked any of them: the listed order decides
			slices.SortFunc(continuing, func(a, b int64) int { return pos[a] - pos[b] })
			return continuing[0]
		}
		// Drop the weakest.
		weakest := continuing[0]
		for _, c := range continuing[1:] {
			switch {
			case counts[c] < counts[weakest]:
				weakest = c
			case counts[c] == counts[weakest] && (points[c] < points[weakest] || (points[c] == points[weakest] && pos[c] > pos[weakest])):
				weakest = c
			}
		}
		continuing = slices.DeleteFunc(continuing, func(o int64) bool { return o == weakest })
	}
}

// topChoice is the ballot's highest-ranked option among the continuing.
func topChoice(b Ballot, continuing []int64) (int64, bool) {
	best, bestRank := int64(0), math.MaxInt
	for _, c := range continuing {
		if r, ok := b.Marks[c]; ok && r < bestRank {
			best, bestRank = c, r
		}
	}
	return best, bestRank != math.MaxInt
}

// bordaPoints gives each candidate n points for a first place, n−1 for a
// second, and so on (none when unranked): only to break ties for last.
func bordaPoints(candidates []int64, ballots []Ballot) map[int64]int {
	n := len(candidates)
	out := map[int64]int{}
	for _, b := range ballots {
		for _, c := range candidates {
			if r, ok := b.Marks[c]; ok && r <= n {
				out[c] += (n - r + 1) * b.weight()
			}
		}
	}
	return out
}
