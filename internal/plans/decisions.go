package plans

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/tally"
)

// DefaultDots is how many dots each person has in a dot vote unless the
// facilitator says otherwise.
const DefaultDots = 8

// DefaultCriteria are offered for a score vote.
var DefaultCriteria = []string{"Impact", "Equity", "Feasibility"}

// Decision is a question put to the constituencies about some priorities.
type Decision struct {
	ID          int64        `json:"id"`
	Round       int64        `json:"round"`
	Title       string       `json:"title"`
	Method      tally.Method `json:"method"`
	Options     []int64      `json:"options"` // priority ids
	Dots        int          `json:"dots,omitempty"`
	Criteria    []string     `json:"criteria,omitempty"`
	Anonymous   bool         `json:"anonymous"`    // who voted is shown, never how
	HideResults bool         `json:"hide_results"` // until closed, in every view, email, export and stream
	Closed      bool         `json:"closed"`
	OpenedBy    string       `json:"opened_by"`
	OpenedAt    time.Time    `json:"opened_at"`
	ClosedAt    time.Time    `json:"closed_at"`
}

// ShowResults says whether anyone may see the count now: once closed, or
// all along when the facilitator chose to show it while open.
func (d Decision) ShowResults() bool { return d.Closed || !d.HideResults }

// Tally is the decision as tally checks and counts it.
func (d Decision) Tally() tally.Decision {
	return tally.Decision{Method: d.Method, Options: d.Options, Dots: d.Dots, Criteria: d.Criteria}
}

// DecisionInput is what a facilitator fills in.
type DecisionInput struct {
	Title       string
	Method      string
	Options     []int64
	Dots        int
	Criteria    string // comma-separated
	Anonymous   bool
	ShowWhileOn bool // show the running count while open (results are hidden by default)
}

// NewDecision checks a decision about to be opened on priorities open
// (those that may be decided on, by id).
func NewDecision(in DecisionInput, open map[int64]bool) (Decision, error) {
	var errs problem.Fields
	title, f := PlainText("title", "the question", in.Title, 200, true)
	if f != nil {
		errs = append(errs, *f)
	}
	m, err := tally.ParseMethod(in.Method)
	if err != nil {
		errs.Add("method", "Choose how the decision is made")
	}
	d := Decision{Title: title, Method: m, Anonymous: in.Anonymous, HideResults: !in.ShowWhileOn}
	seen := map[int64]bool{}
	for _, o := range in.Options {
		if !open[o] {
			errs.Add("options", fmt.Sprintf("Priority %d cannot be decided on: choose among this round's open or adopted priorities", o))
			break
		}
		if !seen[o] {
			d.Options = append(d.Options, o)
			seen[o] = true
		}
	}
	least := 2
	if m == tally.Proposal || m == tally.Gradients || m == tally.Sense {
		least = 1 // a single proposal can be put for agreement
	}
	if len(d.Options) < least && !slices.ContainsFunc(errs, func(f problem.Field) bool { return f.Name == "options" }) {
		errs.Add("options", fmt.Sprintf("Choose at least %d priorities to decide on", least))
	}
	if in.Anonymous && in.ShowWhileOn {
		// A running count beside a voter roll tells whose ballot each change was.
		errs.Add("anonymous", "An anonymous vote keeps its count hidden until it closes: untick one of the two")
	}
	if len(d.Options) > 40 {
		errs.Add("options", "A decision is on at most 40 priorities")
	}
	switch m {
	case tally.Dots:
		d.Dots = in.Dots
		if d.Dots == 0 {
			d.Dots = DefaultDots
		}
		if d.Dots < 1 || d.Dots > 50 {
			errs.Add("dots", "Each person's dots must be from 1 to 50")
		}
	case tally.Score:
		for c := range strings.SplitSeq(in.Criteria, ",") {
			if c = strings.TrimSpace(c); c != "" {
				if _, f := PlainText("criteria", "a criterion", c, 40, true); f != nil {
					errs = append(errs, *f)
					break
				}
				d.Criteria = append(d.Criteria, c)
			}
		}
		if len(d.Criteria) == 0 {
			d.Criteria = slices.Clone(DefaultCriteria)
		}
		if len(d.Criteria) > 6 {
			errs.Add("criteria", "Score on at most 6 criteria")
		}
	}
	if err := errs.Err(); err != nil {
		return Decision{}, err
	}
	return d, nil
}

// MinGroup is the fewest voters a constituency's part of an anonymous
// vote's result is shown for: with fewer, its support would show how one
// person voted.
const MinGroup = 3

// HideSmallGroups withholds, in an anonymous vote's result, the support of
// each constituency with fewer than MinGroup voters (the overall count and
// the consensus score stay).
func HideSmallGroups(res *tally.Result) {
	for i := range res.Options {
		for k, sp := range res.Options[i].ByConstituency {
			if sp.Votes > 0 && res.Turnout[k] < MinGroup {
				res.Options[i].ByConstituency[k] = tally.Support{Withheld: true}
			}
		}
	}
}

// Voter is someone who may vote in a round: a person signed in, or a guest.
type Voter struct {
	Key          string           // "user:<id>" or "guest:<id>": one ballot each a decision
	Name         string           // shown on the voter roll
	Constituency ConstituencyKind // the constituency they vote for
}

// PaperTally is a number of identical paper ballots entered for a
// constituency by the facilitator, with the reason.
type PaperTally struct {
	Constituency ConstituencyKind
	Count        int
	Reason       string
}

// CheckPaper checks a paper tally's count and reason.
func CheckPaper(p PaperTally, r Round) error {
	var errs problem.Fields
	if _, ok := r.Constituency(p.Constituency); !ok {
		errs.Add("constituency", "Choose a constituency taking part in this round")
	}
	if p.Count < 1 || p.Count > 1000 {
		errs.Add("count", "Enter how many identical paper ballots, from 1 to 1,000")
	}
	if _, f := PlainText("reason", "the reason they are entered by hand", p.Reason, 500, true); f != nil {
		errs = append(errs, *f)
	}
	return errs.Err()
}
