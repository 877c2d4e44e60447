package tally

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func name(o int64) string { return fmt.Sprintf("option %d", o) }

func ranks(c string, w int, order ...int64) Ballot {
	b := Ballot{Constituency: c, Weight: w, Marks: map[int64]int{}}
	for i, o := range order {
		b.Marks[o] = i + 1
	}
	return b
}

func TestRankedChoiceHandWorked(t *testing.T) {
	const A, B, C, D = 1, 2, 3, 4
	tests := []struct {
		name    string
		options []int64
		ballots []Ballot
		want    []int64
	}{
		{
			// First preferences A 4, B 3, C 2 of 9: nobody has a majority. C is
			// dropped; its 2 pass to B, who then has 5 of 9 and wins, though A
			// led on first preferences. Without B: A 4, C 3+2 = 5: C second.
			name: "run-off overturns plurality", options: []int64{A, B, C},
			ballots: []Ballot{ranks("x", 4, A, B, C), ranks("x", 3, B, C, A), ranks("x", 2, C, B, A)},
			want:    []int64{B, C, A},
		},
		{
			name: "majority on first preferences", options: []int64{A, B, C},
			ballots: []Ballot{ranks("x", 5, C, A, B), ranks("x", 2, A, B, C), ranks("x", 2, B, A, C)},
			// C 5 of 9 wins; without C: A 5+2, B 2 → A; then B.
			want: []int64{C, A, B},
		},
		{
			// A 3, B 3, C 2, D 1 of 9. D is dropped: its ballot ranks C next
			// (C 3). Then A, B and C tie on 3: points break it (A 3·4+…).
			name: "ties for last broken by points", options: []int64{A, B, C, D},
			ballots: []Ballot{ranks("x", 3, A, B, C, D), ranks("x", 3, B, A, C, D), ranks("x", 2, C, A, B, D), ranks("x", 1, D, C, B, A)},
			// Points over 4 places: A 3·4+3·3+2·3+1·1 = 28, B 3·3+3·4+2·2+1·2 = 27, C 3·2+3·2+2·4+1·3 = 23.
			// Drop C (23): its 3 go to A (2) and B (1): A 5 of 9 wins.
			// Then B, C, D: B 3+3(A's ballots) = 6 of 9 wins; then C, D: C 8 of 9.
			want: []int64{A, B, C, D},
		},
		{
			name: "unranked options come last, in listed order", options: []int64{A, B, C},
			ballots: []Ballot{ranks("x", 1, C)},
			want:    []int64{C, A, B},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RankedOrder(tt.options, tt.ballots); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	dots := Decision{Method: Dots, Options: []int64{1, 2}, Dots: 8}
	score := Decision{Method: Score, Options: []int64{1}, Criteria: []string{"Impact", "Equity"}}
	ranked := Decision{Method: Ranked, Options: []int64{1, 2, 3}}
	sense := Decision{Method: Sense, Options: []int64{1, 2}}
	tests := []struct {
		name string
		d    Decision
		b    Ballot
		ok   bool
	}{
		{"dots within", dots, Ballot{Marks: map[int64]int{1: 5, 2: 3}}, true},
		{"dots over", dots, Ballot{Marks: map[int64]int{1: 5, 2: 4}}, false},
		{"dots negative", dots, Ballot{Marks: map[int64]int{1: 9, 2: -1}}, false},
		{"dots none", dots, Ballot{Marks: map[int64]int{}}, false},
		{"dots unknown option", dots, Ballot{Marks: map[int64]int{7: 1}}, false},
		{"dots that would overflow", dots, Ballot{Marks: map[int64]int{1: math.MaxInt, 2: math.MaxInt}}, false},
		{"scores", score, Ballot{Scores: map[int64][]int{1: {5, 0}}}, true},
		{"score over 5", score, Ballot{Scores: map[int64][]int{1: {6, 0}}}, false},
		{"score missing criterion", score, Ballot{Scores: map[int64][]int{1: {3}}}, false},
		{"ranked partial", ranked, Ballot{Marks: map[int64]int{2: 1, 3: 2}}, true},
		{"ranked gap", ranked, Ballot{Marks: map[int64]int{2: 1, 3: 3}}, false},
		{"ranked duplicate", ranked, Ballot{Marks: map[int64]int{2: 1, 3: 1}}, false},
		{"ranked none", ranked, Ballot{Marks: map[int64]int{}}, false},
		{"sense all answered", sense, Ballot{Marks: map[int64]int{1: 0, 2: 2}}, true},
		{"sense one missing", sense, Ballot{Marks: map[int64]int{1: 0}}, false},
		{"sense out of range", sense, Ballot{Marks: map[int64]int{1: 0, 2: 3}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Check(tt.b, name)
			if (err == nil) != tt.ok {
				t.Errorf("Check = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestConsensusPrefersWhatEveryGroupSupports(t *testing.T) {
	const X, Y = 1, 2
	d := Decision{Method: Sense, Options: []int64{X, Y}}
	var ballots []Ballot
	// Ten PCN voters love X and six of them like Y; both patient
	// representatives like Y and are concerned about X.
	for i := range 10 {
		y := 1
		if i < 6 {
			y = 0
		}
		ballots = append(ballots, Ballot{Constituency: "pcns", Marks: map[int64]int{X: 0, Y: y}})
	}
	ballots = append(ballots, Ballot{Constituency: "patients", Weight: 2, Marks: map[int64]int{X: 2, Y: 0}})
	r := Count(d, []string{"pcns", "patients"}, ballots)
	if r.Options[0].ID != Y {
		t.Fatalf("first %d, want Y: %+v", r.Options[0].ID, r.Options)
	}
	want := map[int64]float64{X: 11.0 / 12 * 1.0 / 4, Y: 7.0 / 12 * 3.0 / 4}
	for _, o := range r.Options {
		if math.Abs(o.Consensus-want[o.ID]) > 1e-12 {
			t.Errorf("option %d consensus %v, want %v", o.ID, o.Consensus, want[o.ID])
		}
	}
	if r.Voters != 12 || r.Turnout["patients"] != 2 {
		t.Errorf("voters %d, turnout %v", r.Voters, r.Turnout)
	}
}

func TestCountByMethod(t *testing.T) {
	dots := Count(Decision{Method: Dots, Options: []int64{1, 2}, Dots: 8},
		[]string{"a"}, []Ballot{{Constituency: "a", Marks: map[int64]int{1: 2, 2: 6}}, {Constituency: "a", Weight: 3, Marks: map[int64]int{1: 8}}})
	if dots.Options[0].ID != 1 || dots.Options[0].Dots != 26 || dots.Options[1].Dots != 6 {
		t.Errorf("dots: %+v", dots.Options)
	}
	score := Count(Decision{Method: Score, Options: []int64{1, 2}, Criteria: []string{"Impact", "Equity"}},
		[]string{"a"}, []Ballot{{Constituency: "a", Scores: map[int64][]int{1: {1, 1}, 2: {5, 3}}}, {Constituency: "a", Scores: map[int64][]int{1: {3, 3}, 2: {4, 2}}}})
	if score.Options[0].ID != 2 || score.Options[0].Mean != 3.5 || score.Options[0].CriterionMeans[0] != 4.5 || score.Options[1].Mean != 2 {
		t.Errorf("score: %+v", score.Options)
	}
	if s := score.Options[0].ByConstituency["a"]; s.Agree != 2 || s.Votes != 2 {
		t.Errorf("score support: %+v", s)
	}
	prop := Count(Decision{Method: Proposal, Options: []int64{1}}, []string{"a", "b"},
		[]Ballot{{Constituency: "a", Marks: map[int64]int{1: 0}}, {Constituency: "b", Marks: map[int64]int{1: 3}}})
	if o := prop.Options[0]; o.Blocks != 1 || o.Counts[0] != 1 || o.Counts[3] != 1 {
		t.Errorf("proposal: %+v", o)
	}
	grad := Count(Decision{Method: Gradients, Options: []int64{1}}, []string{"a"},
		[]Ballot{{Constituency: "a", Marks: map[int64]int{1: 2}}, {Constituency: "a", Marks: map[int64]int{1: 5}}, {Constituency: "a", Marks: map[int64]int{1: 7}}})
	if o := grad.Options[0]; o.ByConstituency["a"] != (Support{Agree: 1, Votes: 3}) || o.Blocks != 1 {
		t.Errorf("gradients: %+v", o)
	}
}

// A dot vote never counts more dots than the voters had, whatever ballots
// are offered: those Check refuses are not counted.
func TestDotsNeverOverspent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		d := Decision{Method: Dots, Options: []int64{1, 2, 3, 4}, Dots: 1 + rng.IntN(10)}
		var ok []Ballot
		for range rng.IntN(30) {
			b := Ballot{Constituency: []string{"a", "b", "c"}[rng.IntN(3)], Weight: 1 + rng.IntN(3), Marks: map[int64]int{}}
			for _, o := range d.Options {
				b.Marks[o] = rng.IntN(6) - 1
			}
			if d.Check(b, name) == nil {
				ok = append(ok, b)
			}
		}
		r := Count(d, []string{"a", "b", "c"}, ok)
		spent := 0
		for _, o := range r.Options {
			spent += o.Dots
		}
		if spent > d.Dots*r.Voters {
			t.Fatalf("trial %d: %d dots counted from %d voters with %d each", trial, spent, r.Voters, d.Dots)
		}
	}
}

// Consensus is symmetric in constituencies: renaming them or listing them in
// another order changes no option's score.
func TestConsensusSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"practices", "pcns", "place", "icb", "patients"}
	for trial := range 300 {
		d := Decision{Method: Gradients, Options: []int64{1, 2, 3}}
		var ballots []Ballot
		for range 1 + rng.IntN(40) {
			b := Ballot{Constituency: names[rng.IntN(len(names))], Weight: 1 + rng.IntN(2), Marks: map[int64]int{}}
			for _, o := range d.Options {
				b.Marks[o] = rng.IntN(8)
			}
			ballots = append(ballots, b)
		}
		base := Count(d, names, ballots)
		perm := rng.Perm(len(names))
		rename := map[string]string{}
		for i, n := range names {
			rename[n] = names[perm[i]] + "'"
		}
		var renamed []Ballot
		for _, b := range ballots {
			b.Constituency = rename[b.Constituency]
			renamed = append(renamed, b)
		}
		listed := make([]string, 0, len(names))
		for _, i := range rng.Perm(len(names)) {
			listed = append(listed, rename[names[i]])
		}
		other := Count(d, listed, renamed)
		for i := range base.Options {
			if base.Options[i].ID != other.Options[i].ID || math.Abs(base.Options[i].Consensus-other.Options[i].Consensus) > 1e-12 {
				t.Fatalf("trial %d: option %d consensus %v became %v", trial, base.Options[i].ID, base.Options[i].Consensus, other.Options[i].Consensus)
			}
		}
	}
}
