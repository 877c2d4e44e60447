package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
	"github.com/onepc/onepc/internal/tally"
)

// planRound opens a round on Place P1 at the proposing phase.
func planRound(t *testing.T, s *store.Store) plans.Round {
	t.Helper()
	hierarchy(t, s)
	in := plans.RoundInput{Title: "Plan", FromYear: 2027, ToYear: 2029,
		Phases: plans.ChainFrom(day("2027-01-04"), nil, nil),
		Constituencies: []plans.Constituency{
			{Kind: plans.PlaceGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1},
			{Kind: plans.PCNs, SignRole: people.PCNClinicalDirector, NeedNum: 1, NeedDen: 2},
			{Kind: plans.Patients, NeedDen: 1},
		}}
	r, err := plans.NewRound(in, "P1", orgs.Place)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID, err = s.CreateRound(context.Background(), "comm@p1", r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Round(context.Background(), r.ID)
	if err != nil || got.FootprintName != "Place one" || len(got.Phases) != 7 || len(got.Constituencies) != 3 || got.Phase != plans.Proposing {
		t.Fatalf("round read back: %+v %v", got, err)
	}
	return got
}

func mustKind(t *testing.T, err error, k problem.Kind, contains string) {
	t.Helper()
	if problem.KindOf(err) != k || !strings.Contains(problem.Message(err), contains) {
		t.Fatalf("error %v (kind %v), want kind %v containing %q", err, problem.KindOf(err), k, contains)
	}
}

func TestPlanPrioritiesAndModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := planRound(t, s)
		var ps []plans.Priority
		for _, title := range []string{"Urgent access", "Same-day access", "Frailty and continuity", "Workforce"} {
			p, err := plans.NewPriority(title, "Because.")
			if err != nil {
				t.Fatal(err)
			}
			p.Constituency, p.ProposedBy, p.ProposerName = plans.PCNs, "cd@u1", "Dr CD"
			p.Evidence = []plans.Evidence{{Kind: plans.MeasureFigure, Measure: "same-day", Org: "A1"}}
			ps = append(ps, p)
		}
		ids, err := s.AddPriorities(ctx, "cd@u1", r, ps)
		if err != nil || len(ids) != 4 {
			t.Fatal(ids, err)
		}
		if err := s.Endorse(ctx, "pm@a1", r, ids[0], "user:7"); err != nil {
			t.Fatal(err)
		}
		mustKind(t, s.Endorse(ctx, "pm@a1", r, ids[0], "user:7"), problem.Conflict, "endorsed this priority already")
		if err := s.Endorse(ctx, "pm@a2", r, ids[1], "user:8"); err != nil {
			t.Fatal(err)
		}
		if err := s.Merge(ctx, "comm@p1", r, ids[0], []int64{ids[1]}, "The same thing"); err != nil {
			t.Fatal(err)
		}
		mustKind(t, s.Merge(ctx, "comm@p1", r, ids[0], []int64{ids[1]}, "again"), problem.Conflict, "is merged")
		parts := []plans.Priority{{Title: "Frailty"}, {Title: "Continuity"}}
		made, err := s.Split(ctx, "comm@p1", r, ids[2], parts, "Two things")
		if err != nil || len(made) != 2 {
			t.Fatal(made, err)
		}
		if err := s.Decline(ctx, "comm@p1", r, ids[3], "National, not ours"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Priorities(ctx, r.ID)
		byID := map[int64]plans.Priority{}
		for _, p := range got {
			byID[p.ID] = p
		}
		if k := byID[ids[0]]; k.Endorsements != 2 || k.Status != plans.Open || len(k.Evidence) != 1 {
			t.Errorf("kept priority: %+v", k)
		}
		if m := byID[ids[1]]; m.Status != plans.Merged || m.MergedInto != ids[0] {
			t.Errorf("merged: %+v", m)
		}
		if sp := byID[made[1]]; sp.SplitFrom != ids[2] || sp.Constituency != plans.PCNs || byID[ids[2]].Status != plans.Split {
			t.Errorf("split: %+v", sp)
		}
		if d := byID[ids[3]]; d.Status != plans.Declined || d.Reason != "National, not ours" {
			t.Errorf("declined: %+v", d)
		}
		if err := s.AddComment(ctx, "pm@a1", r, plans.Comment{Priority: ids[0], AuthorName: "Sam", Constituency: plans.Practices, Body: "Yes."}); err != nil {
			t.Fatal(err)
		}
		mustKind(t, s.AddComment(ctx, "pm@a1", r, plans.Comment{Priority: ids[1], AuthorName: "Sam", Body: "On a merged one."}), problem.Conflict, "comments are closed")
		if cs, err := s.Comments(ctx, r.ID); err != nil || len(cs[ids[0]]) != 1 || cs[ids[0]][0].Body != "Yes." {
			t.Errorf("comments %v %v", cs, err)
		}
		log, _ := s.ModerationLog(ctx, r.ID)
		if len(log) != 3 || log[1].Action != "split" || len(log[1].Result) != 2 {
			t.Errorf("moderation log: %+v", log)
		}
		// The cap: two adopted of a cap of two; a third refused.
		if err := s.SetCap(ctx, "comm@p1", r, 2, "A small plan"); err != nil {
			t.Fatal(err)
		}
		r.Phase = plans.Deciding
		for _, id := range []int64{ids[0], made[0]} {
			if err := s.Adopt(ctx, "comm@p1", r, id); err != nil {
				t.Fatal(err)
			}
		}
		mustKind(t, s.Adopt(ctx, "comm@p1", r, made[1]), problem.Conflict, "at most 2")
		mustKind(t, s.SetCap(ctx, "comm@p1", r, 1, "smaller"), problem.Invalid, "adopted already")
		if err := s.Drop(ctx, "comm@p1", r, made[0], "Not now"); err != nil {
			t.Fatal(err)
		}
		if err := s.Adopt(ctx, "comm@p1", r, made[1]); err != nil {
			t.Fatalf("adopt after a drop: %v", err)
		}
		objs, _ := s.Objectives(ctx, r.ID)
		if len(objs) != 2 || objs[0].Owner != "P1" {
			t.Errorf("objectives of adopted priorities: %+v", objs)
		}
	})
}

func TestPlanJoinCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := planRound(t, s)
		now := time.Now()
		codes, err := s.CreateJoinCodes(ctx, "comm@p1", r, plans.Patients, "Patient group", 2, false, now.Add(time.Hour))
		if err != nil || len(codes) != 2 {
			t.Fatal(codes, err)
		}
		g, secret, err := s.RedeemJoinCode(ctx, codes[0], "Pat Jones")
		if err != nil || g.Constituency != plans.Patients || g.Name != "Pat Jones" || secret == "" {
			t.Fatal(g, err)
		}
		_, _, err = s.RedeemJoinCode(ctx, codes[0], "Someone else")
		mustKind(t, err, problem.Conflict, "used already")
		_, _, err = s.RedeemJoinCode(ctx, "ZZZZ-ZZZZ", "X")
		mustKind(t, err, problem.Invalid, "not one we know")
		back, err := s.GuestBySession(ctx, secret)
		if err != nil || back.ID != g.ID {
			t.Fatal(back, err)
		}
		if _, err := s.GuestBySession(ctx, "forged"); problem.KindOf(err) != problem.NotFound {
			t.Errorf("a forged session: %v", err)
		}
		old, err := s.CreateJoinCodes(ctx, "comm@p1", r, plans.Patients, "Old", 1, false, now.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.RedeemJoinCode(ctx, old[0], "Late")
		mustKind(t, err, problem.Conflict, "expired")
	})
}

func TestPlanVotingAndSigning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := planRound(t, s)
		ids, err := s.AddPriorities(ctx, "x", r, []plans.Priority{{Title: "A", Problem: "a", Constituency: plans.PCNs}, {Title: "B", Problem: "b", Constituency: plans.PCNs}})
		if err != nil {
			t.Fatal(err)
		}
		open := map[int64]bool{ids[0]: true, ids[1]: true}
		d, err := plans.NewDecision(plans.DecisionInput{Title: "Which?", Method: "dots", Options: ids, Anonymous: true}, open)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID, err = s.OpenDecision(ctx, "comm@p1", r, d); err != nil {
			t.Fatal(err)
		}
		d.Round = r.ID
		v := plans.Voter{Key: "user:1", Name: "Dr One", Constituency: plans.PCNs}
		ballot := tally.Ballot{Constituency: "pcns", Marks: map[int64]int{ids[0]: 5, ids[1]: 3}}
		if err := s.CastBallot(ctx, r, d, v, ballot); err != nil {
			t.Fatal(err)
		}
		mustKind(t, s.CastBallot(ctx, r, d, v, ballot), problem.Conflict, "voted in this decision already")
		if err := s.EnterPaper(ctx, "comm@p1", r, d, plans.PaperTally{Constituency: plans.Patients, Count: 3, Reason: "No phones"},
			tally.Ballot{Constituency: "patients", Marks: map[int64]int{ids[1]: 8}}); err != nil {
			t.Fatal(err)
		}
		turnout, _ := s.Turnout(ctx, d.ID)
		if turnout["pcns"] != 1 || turnout["patients"] != 3 {
			t.Errorf("turnout %v", turnout)
		}
		before, named, err := store.BallotIDsForTest(ctx, s, d.ID)
		if err != nil || len(before) != 2 || named != 0 {
			t.Fatalf("anonymous ballots: %v, %d name a voter or a time, %v", before, named, err)
		}
		ballots, _ := s.Ballots(ctx, d.ID)
		res := tally.Count(d.Tally(), r.ConstituencyNames(), ballots)
		if res.Options[0].ID != ids[1] || res.Options[0].Dots != 27 {
			t.Errorf("count %+v", res.Options)
		}
		roll, _ := s.Voters(ctx, d.ID)
		if len(roll) != 1 || roll[0].Name != "Dr One" {
			t.Errorf("roll %+v", roll)
		}
		if err := s.CloseDecision(ctx, "comm@p1", r, d); err != nil {
			t.Fatal(err)
		}
		// Closing writes anonymous ballots again under new ids, in a new
		// order; the count is unchanged.
		after, _, _ := store.BallotIDsForTest(ctx, s, d.ID)
		if len(after) != 2 || slices.Contains(after, before[0]) || slices.Contains(after, before[1]) {
			t.Errorf("ballot ids before the close %v, after %v", before, after)
		}
		if again, _ := s.Ballots(ctx, d.ID); !reflect.DeepEqual(tally.Count(d.Tally(), r.ConstituencyNames(), again), res) {
			t.Error("the count changed when the ballots were shuffled")
		}
		late := plans.Voter{Key: "user:2", Name: "Late", Constituency: plans.PCNs}
		mustKind(t, s.CastBallot(ctx, r, d, late, ballot), problem.Conflict, "has closed")
		if ok, _ := s.HasVoted(ctx, d.ID, "user:2"); ok {
			t.Error("a vote after close left its voter on the roll")
		}

		// Versions, checklist, freezing and signing.
		n, err := s.SaveVersion(ctx, "comm@p1", r, 0, "# Plan\n\nFirst.")
		if err != nil || n != 1 {
			t.Fatal(n, err)
		}
		_, err = s.SaveVersion(ctx, "other", r, 0, "# Plan\n\nMine.")
		mustKind(t, err, problem.Conflict, "Someone saved version 1")
		if err := s.AddChecklistItem(ctx, "comm@p1", r, "Health and Wellbeing Board opinion received"); err != nil {
			t.Fatal(err)
		}
		mustKind(t, s.Freeze(ctx, "comm@p1", r, 1), problem.Conflict, "Health and Wellbeing Board")
		items, _ := s.Checklist(ctx, r.ID)
		if err := s.TickChecklistItem(ctx, "comm@p1", r, items[0].ID, "Letter of 3 March"); err != nil {
			t.Fatal(err)
		}
		if err := s.Freeze(ctx, "comm@p1", r, 1); err != nil {
			t.Fatal(err)
		}
		r.Phase = plans.Signing
		if err := s.SetPhase(ctx, "comm@p1", plans.Round{ID: r.ID, Footprint: "P1", Phase: plans.Proposing}, plans.Signing); err != nil {
			t.Fatal(err)
		}
		below, _ := s.Scope(ctx, []string{r.Footprint}, day("2027-06-01"))
		chain, _ := s.Ancestry(ctx, r.Footprint, day("2027-06-01"))
		members, _, err := s.PlanMembers(ctx, r, below, chain, day("2027-06-01"))
		if err != nil {
			t.Fatal(err)
		}
		if members["P1"] != plans.PlaceGroup || members["U00001"] != plans.PCNs || members["B1"] != "" || members["A1"] != "" {
			t.Errorf("members %v", members)
		}
		counts := map[plans.ConstituencyKind]int{plans.PlaceGroup: 1, plans.PCNs: 2}
		h1 := plans.Hash("# Plan\n\nFirst.")
		adopted, err := s.Sign(ctx, "signer", r, plans.Signature{Version: 1, SHA256: h1, Constituency: plans.PlaceGroup, Member: "P1", MemberName: "Place one", Signer: "comm@p1"}, counts)
		if err != nil || adopted {
			t.Fatal(adopted, err)
		}
		// An edit makes version 2, which needs signing again.
		if _, err := s.SaveVersion(ctx, "comm@p1", r, 1, "# Plan\n\nSecond."); err != nil {
			t.Fatal(err)
		}
		_, err = s.Sign(ctx, "signer", r, plans.Signature{Version: 1, SHA256: h1, Constituency: plans.PCNs, Member: "U00001", MemberName: "North PCN", Signer: "cd@u1"}, counts)
		mustKind(t, err, problem.Conflict, "no version frozen")
		if err := s.Freeze(ctx, "comm@p1", r, 2); err != nil {
			t.Fatal(err)
		}
		_, err = s.Sign(ctx, "signer", r, plans.Signature{Version: 1, SHA256: h1, Constituency: plans.PCNs, Member: "U00001", MemberName: "North PCN", Signer: "cd@u1"}, counts)
		mustKind(t, err, problem.Conflict, "version 2 is now the one to sign")
		h2 := plans.Hash("# Plan\n\nSecond.")
		for _, sg := range []plans.Signature{
			{Version: 2, SHA256: h2, Constituency: plans.PlaceGroup, Member: "P1", MemberName: "Place one", Signer: "comm@p1"},
			{Version: 2, SHA256: h2, Constituency: plans.PCNs, Member: "U00001", MemberName: "North PCN", Signer: "cd@u1"},
		} {
			if adopted, err = s.Sign(ctx, "signer", r, sg, counts); err != nil {
				t.Fatal(err)
			}
		}
		if !adopted {
			t.Fatal("Place and one PCN of two signed version 2: adopted")
		}
		back, _ := s.Round(ctx, r.ID)
		if back.Phase != plans.Adopted {
			t.Errorf("phase %s", back.Phase)
		}
	})
}

// A vote racing the close is either counted before it or refused: never
// counted after, never lost from the voters' count.
func TestPlanVoteRacesClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := planRound(t, s)
		ids, _ := s.AddPriorities(ctx, "x", r, []plans.Priority{{Title: "A", Problem: "a"}, {Title: "B", Problem: "b"}})
		for trial := range 5 {
			d, _ := plans.NewDecision(plans.DecisionInput{Title: "Q", Method: "dots", Options: ids}, map[int64]bool{ids[0]: true, ids[1]: true})
			var err error
			if d.ID, err = s.OpenDecision(ctx, "f", r, d); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			accepted := 0
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v := plans.Voter{Key: fmt.Sprintf("user:%d", i), Name: "V", Constituency: plans.PCNs}
					err := s.CastBallot(ctx, r, d, v, tally.Ballot{Constituency: "pcns", Marks: map[int64]int{ids[0]: 1}})
					if err == nil {
						mu.Lock()
						accepted++
						mu.Unlock()
					} else if problem.KindOf(err) != problem.Conflict {
						t.Error(err)
					}
				}()
				if i == 10 {
					if err := s.CloseDecision(ctx, "f", r, d); err != nil {
						t.Error(err)
					}
				}
			}
			wg.Wait()
			ballots, _ := s.Ballots(ctx, d.ID)
			roll, _ := s.Voters(ctx, d.ID)
			// Votes started after the close returned (i > 10) are all refused.
			if len(ballots) != accepted || len(roll) != accepted || accepted > 11 {
				t.Fatalf("trial %d: %d accepted (at most 11), %d ballots, %d on the roll", trial, accepted, len(ballots), len(roll))
			}
		}
	})
}
