package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/tally"
)

// GuestCodes are the demo's printed join codes, one use each: patient
// representatives and a local authority officer for the round in
// deciding, so that a guest's view can be tried.
var GuestCodes = []struct {
	Code         string
	Constituency plans.ConstituencyKind
}{
	{"DEMA-PPG2", plans.Patients}, {"DEMA-PPG3", plans.Patients}, {"DEMA-PPG4", plans.Patients},
	{"DEMA-CNC2", plans.LocalAuthority}, {"DEMA-CNC3", plans.LocalAuthority},
}

// LoadPlans gives the demo Place its shared plans: one adopted plan for the
// current financial year with five objectives whose indicators read the
// demo's appointments, population and claims (some on track, some not, one
// awaiting data); one round deciding, with a closed dot vote, an open score
// vote and an away-day question ready to put up; and a round in each other
// phase (a PCN's proposing, a practice's shortlisting, PCNs' drafting,
// consulting and signing). It does nothing where the Place has a round
// already.
func LoadPlans(ctx context.Context, s *store.Store, now time.Time) error {
	if have, err := s.RoundsIn(ctx, []string{PlaceCode, "U00001", "U00002"}); err != nil || len(have) > 0 {
		return err
	}
	defer s.SetClock(s.Clock())
	today := orgs.Today(now)
	at := func(d time.Time) { s.SetClock(func() time.Time { return d.Add(11 * time.Hour) }) }
	fy := claims.FinancialYear(today)
	comm, err := s.UserByEmail(ctx, "commissioner@onepc.example")
	if err != nil {
		return err
	}
	cd, err := s.UserByEmail(ctx, "clinical.director@onepc.example")
	if err != nil {
		return err
	}
	placeRule := []plans.Constituency{
		{Kind: plans.ICBGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1},
		{Kind: plans.PlaceGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1},
		{Kind: plans.PCNs, SignRole: people.PCNClinicalDirector, NeedNum: 2, NeedDen: 3},
		{Kind: plans.Practices, SignRole: people.PracticeManager, NeedDen: 1},
		{Kind: plans.LocalAuthority, NeedDen: 1},
		{Kind: plans.Patients, NeedDen: 1},
	}
	days := map[plans.Phase]int{plans.Proposing: 28, plans.Shortlisting: 14, plans.Deciding: 21, plans.Drafting: 28, plans.Consulting: 28, plans.Signing: 21}
	open := func(footprint string, kind orgs.Kind, title string, from, to int, start time.Time, rule []plans.Constituency) (plans.Round, error) {
		at(start.AddDate(0, 0, -7))
		r, err := plans.NewRound(plans.RoundInput{Title: title, FromYear: from, ToYear: to, Phases: plans.ChainFrom(start, days, nil), Constituencies: rule}, footprint, kind)
		if err != nil {
			return r, err
		}
		if r.ID, err = s.CreateRound(ctx, comm.Email, r); err != nil {
			return r, err
		}
		return s.Round(ctx, r.ID)
	}
	moveTo := func(r *plans.Round, p plans.Phase, day time.Time) error {
		at(day)
		if err := s.SetPhase(ctx, comm.Email, *r, p); err != nil {
			return err
		}
		r.Phase = p
		return nil
	}

	// 1. The adopted plan for this financial year.
	start := time.Date(fy-1, time.September, 1, 0, 0, 0, 0, time.UTC)
	adopted, err := open(PlaceCode, orgs.Place, fmt.Sprintf("Riverside and Vale primary care plan %s", claims.YearLabel(fy)), fy, fy, start, placeRule)
	if err != nil {
		return fmt.Errorf("demo adopted plan: %w", err)
	}
	at(start.AddDate(0, 0, 3))
	seed := []struct{ title, problem string }{
		{"Faster access for urgent need", "Patients with an urgent need ring at 8am and are told to ring back; same-day demand is handled differently in each practice."},
		{"Fewer missed appointments", "One appointment in twenty is missed without notice; reminders are sent in some practices and not others."},
		{"More GP capacity in Hilltop", "Hilltop PCN offers fewer GP appointments per patient than the rest of the Place, and its list is growing."},
		{"Use the local enhanced services offered", "Practices claim for fewer local services than they deliver: the claim forms put them off."},
		{"Care for the Porthaven coast without a practice", "Since Quayside Surgery closed its patients travel to Sandbay; nobody tracks how they are seen."},
		{"A Place-wide telephone system", "Every practice runs its own; a shared one would cost more than it saves this year."},
	}
	var ps []plans.Priority
	for _, p := range seed {
		ps = append(ps, plans.Priority{Title: p.title, Problem: p.problem, Constituency: plans.PlaceGroup, ProposedBy: comm.Email, ProposerName: comm.Name})
	}
	ids, err := s.AddPriorities(ctx, comm.Email, adopted, ps)
	if err != nil {
		return err
	}
	if err := moveTo(&adopted, plans.Deciding, start.AddDate(0, 1, 14)); err != nil {
		return err
	}
	final, err := plans.NewDecision(plans.DecisionInput{Title: "Adopt these as the plan's priorities?", Method: "gradients", Options: ids[:5]}, openSet(ids))
	if err != nil {
		return err
	}
	if final.ID, err = s.OpenDecision(ctx, comm.Email, adopted, final); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2026, 17))
	for i := range 14 {
		k := []plans.ConstituencyKind{plans.PCNs, plans.Practices, plans.Practices, plans.PlaceGroup, plans.Patients}[i%5]
		b := tally.Ballot{Constituency: string(k), Marks: map[int64]int{}}
		for _, o := range final.Options {
			b.Marks[o] = rng.IntN(4) // mostly the first three gradients: support
		}
		if err := s.CastBallot(ctx, adopted, final, plans.Voter{Key: "demo:" + strconv.Itoa(i), Name: voterName(i), Constituency: k}, b); err != nil {
			return err
		}
	}
	if err := s.CloseDecision(ctx, comm.Email, adopted, final); err != nil {
		return err
	}
	if err := s.Decline(ctx, comm.Email, adopted, ids[5], "Costs more than it saves this year: revisit in next year's plan"); err != nil {
		return err
	}
	for _, id := range ids[:5] {
		if err := s.Adopt(ctx, comm.Email, adopted, id); err != nil {
			return err
		}
	}
	if err := moveTo(&adopted, plans.Drafting, start.AddDate(0, 2, 5)); err != nil {
		return err
	}
	if err := demoObjectives(ctx, s, adopted, today, fy); err != nil {
		return err
	}
	body1 := planText(fy, "Draft for consultation.")
	body2 := planText(fy, "Agreed at the Place board and signed by its partners.")
	if _, err := s.SaveVersion(ctx, comm.Email, adopted, 0, body1); err != nil {
		return err
	}
	for _, step := range []string{"Health and Wellbeing Board opinion received", "Equality and health inequalities impact assessment attached"} {
		if err := s.AddChecklistItem(ctx, comm.Email, adopted, step); err != nil {
			return err
		}
	}
	if err := moveTo(&adopted, plans.Consulting, start.AddDate(0, 3, 5)); err != nil {
		return err
	}
	if _, err := s.SaveVersion(ctx, comm.Email, adopted, 1, body2); err != nil {
		return err
	}
	items, err := s.Checklist(ctx, adopted.ID)
	if err != nil {
		return err
	}
	for i, it := range items {
		if err := s.TickChecklistItem(ctx, comm.Email, adopted, it.ID, []string{"Board minutes, item 7", "EHIA v2 on the Place's website"}[i]); err != nil {
			return err
		}
	}
	if err := s.Freeze(ctx, comm.Email, adopted, 2); err != nil {
		return err
	}
	if err := moveTo(&adopted, plans.Signing, start.AddDate(0, 4, 2)); err != nil {
		return err
	}
	members := map[plans.ConstituencyKind]int{plans.ICBGroup: 1, plans.PlaceGroup: 1, plans.PCNs: len(pcns)}
	sha := plans.Hash(body2)
	for i, sg := range []plans.Signature{
		{Constituency: plans.PlaceGroup, Member: PlaceCode, MemberName: "NHS RIVERSIDE AND VALE ICB - 99X", Signer: comm.Name},
		{Constituency: plans.PCNs, Member: "U00001", MemberName: "RIVERSIDE PCN", Signer: cd.Name},
		{Constituency: plans.PCNs, Member: "U00002", MemberName: "HILLTOP PCN", Signer: "Dr Ade Bello (clinical director)"},
		{Constituency: plans.PCNs, Member: "U00003", MemberName: "VALE MARKET TOWNS PCN", Signer: "Dr Kim Walsh (clinical director)"},
		{Constituency: plans.ICBGroup, Member: ICBCode, MemberName: "NHS RIVERSIDE AND VALE INTEGRATED CARE BOARD", Signer: "Dr Morgan Lee (ICB director of primary care)"},
	} {
		at(start.AddDate(0, 4, 4+i))
		sg.Version, sg.SHA256 = 2, sha
		if _, err := s.Sign(ctx, "demo", adopted, sg, members); err != nil {
			return fmt.Errorf("demo signature: %w", err)
		}
	}
	adopted.Phase = plans.Adopted
	at(start.AddDate(0, 4, 10))
	if err := s.PublishRound(ctx, comm.Email, adopted); err != nil {
		return err
	}

	// 2. Next year's three-year plan, deciding now.
	start = today.AddDate(0, 0, -70)
	deciding, err := open(PlaceCode, orgs.Place, fmt.Sprintf("Riverside and Vale primary care plan %s to %s", claims.YearLabel(fy+1), claims.YearLabel(fy+3)), fy+1, fy+3, start, placeRule)
	if err != nil {
		return fmt.Errorf("demo deciding round: %w", err)
	}
	at(start.AddDate(0, 0, 2))
	proposals := []struct {
		title, problem string
		k              plans.ConstituencyKind
		by             string
	}{
		{"Same-day access hubs in each PCN", "Urgent same-day demand swamps practices on Mondays; a hub per PCN would take the overflow.", plans.PCNs, cd.Name},
		{"Continuity for housebound and frail patients", "Housebound patients see a different clinician each visit; care plans go out of date.", plans.Practices, "Sam Patel"},
		{"Talk to patients before changing access", "Changes to booking are made without asking patients; older patients are left behind by online-only booking.", plans.Patients, "Pat Jones (guest)"},
		{"Reduce missed appointments with text reminders", "Missed appointments waste a day of GP time a week in larger practices.", plans.Practices, "Jamie Reed"},
		{"Social prescribing for loneliness", "Many frequent attenders are lonely rather than ill; the voluntary sector has capacity.", plans.LocalAuthority, "Jo Evans, Riverside Council (guest)"},
		{"Shared GP workforce bank", "Locum costs vary threefold across the Place; a shared bank would steady them.", plans.PCNs, cd.Name},
		{"Reduce DNAs", "Missed appointments are high at several practices.", plans.Practices, "Alex Morgan"},
		{"Evening and weekend physiotherapy", "First-contact physiotherapy is offered only in office hours.", plans.PCNs, "Jordan Hughes"},
	}
	ps = nil
	for _, p := range proposals {
		ps = append(ps, plans.Priority{Title: p.title, Problem: p.problem, Constituency: p.k, ProposedBy: "demo", ProposerName: p.by})
	}
	ps[0].Evidence = []plans.Evidence{{Kind: plans.MeasureFigure, Measure: "same-day", Org: "U00001"}}
	ps[3].Evidence = []plans.Evidence{{Kind: plans.MeasureFigure, Measure: "dna-rate", Org: PlaceCode}}
	ps[1].Evidence = []plans.Evidence{{Kind: plans.PopulationFigure, Org: PlaceCode}}
	ids, err = s.AddPriorities(ctx, "demo", deciding, ps)
	if err != nil {
		return err
	}
	for i := range 9 {
		if err := s.Endorse(ctx, "demo:"+strconv.Itoa(i), deciding, ids[i%4], "demo:"+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	at(start.AddDate(0, 0, 30))
	if err := s.Merge(ctx, comm.Email, deciding, ids[3], []int64{ids[6]}, "The same priority: reminders are how DNAs come down"); err != nil {
		return err
	}
	if err := moveTo(&deciding, plans.Shortlisting, start.AddDate(0, 0, 28)); err != nil {
		return err
	}
	candidates := []int64{ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[7]}
	dots, err := plans.NewDecision(plans.DecisionInput{Title: "Shortlist: which of these matter most to you?", Method: "dots", Options: candidates}, openSet(ids))
	if err != nil {
		return err
	}
	if dots.ID, err = s.OpenDecision(ctx, comm.Email, deciding, dots); err != nil {
		return err
	}
	for i := range 23 {
		k := []plans.ConstituencyKind{plans.Practices, plans.PCNs, plans.Practices, plans.Patients, plans.LocalAuthority, plans.PlaceGroup}[i%6]
		b := tally.Ballot{Constituency: string(k), Marks: map[int64]int{}}
		left := plans.DefaultDots
		for left > 0 {
			n := 1 + rng.IntN(min(left, 4))
			b.Marks[candidates[rng.IntN(len(candidates))]] += n
			left -= n
		}
		if err := s.CastBallot(ctx, deciding, dots, plans.Voter{Key: "demo:" + strconv.Itoa(100+i), Name: voterName(100 + i), Constituency: k}, b); err != nil {
			return err
		}
	}
	if err := s.EnterPaper(ctx, comm.Email, deciding, dots, plans.PaperTally{Constituency: plans.Patients, Count: 4, Reason: "Patient participation group meeting: no phones"},
		tally.Ballot{Constituency: string(plans.Patients), Marks: map[int64]int{ids[2]: 5, ids[1]: 3}}); err != nil {
		return err
	}
	at(start.AddDate(0, 0, 40))
	if err := s.CloseDecision(ctx, comm.Email, deciding, dots); err != nil {
		return err
	}
	if err := s.Decline(ctx, comm.Email, deciding, ids[7], "Few dots at the shortlist: the community service plan covers it"); err != nil {
		return err
	}
	if err := moveTo(&deciding, plans.Deciding, start.AddDate(0, 0, 42)); err != nil {
		return err
	}
	short := []int64{ids[0], ids[1], ids[2], ids[3], ids[5]}
	score, err := plans.NewDecision(plans.DecisionInput{Title: "Score the shortlist", Method: "score", Options: short, Anonymous: true}, openSet(ids))
	if err != nil {
		return err
	}
	if score.ID, err = s.OpenDecision(ctx, comm.Email, deciding, score); err != nil {
		return err
	}
	for i := range 9 {
		k := []plans.ConstituencyKind{plans.Practices, plans.PCNs, plans.Patients}[i%3]
		b := tally.Ballot{Constituency: string(k), Scores: map[int64][]int{}}
		for _, o := range short {
			b.Scores[o] = []int{1 + rng.IntN(5), rng.IntN(6), 1 + rng.IntN(5)}
		}
		if err := s.CastBallot(ctx, deciding, score, plans.Voter{Key: "demo:" + strconv.Itoa(200+i), Name: voterName(200 + i), Constituency: k}, b); err != nil {
			return err
		}
	}
	sense, err := plans.NewDecision(plans.DecisionInput{Title: "Away day: is the shortlist right?", Method: "sense", Options: short}, openSet(ids))
	if err != nil {
		return err
	}
	if _, err = s.OpenDecision(ctx, comm.Email, deciding, sense); err != nil {
		return err
	}
	for _, g := range GuestCodes {
		if err := s.AddJoinCodes(ctx, comm.Email, deciding, g.Constituency, "Demo guest", []string{g.Code}, false, today.AddDate(0, 6, 0)); err != nil {
			return err
		}
	}

	// 3. A PCN's own round, proposing.
	pcnRule := []plans.Constituency{
		{Kind: plans.PCNs, SignRole: people.PCNClinicalDirector, NeedNum: 1, NeedDen: 1},
		{Kind: plans.Practices, SignRole: people.PracticeManager, NeedNum: 1, NeedDen: 2},
		{Kind: plans.Patients, NeedDen: 1},
	}
	pcnRound, err := open("U00001", orgs.PCN, "Riverside PCN access plan "+claims.YearLabel(fy+1), fy+1, fy+1, today.AddDate(0, 0, -5), pcnRule)
	if err != nil {
		return fmt.Errorf("demo PCN round: %w", err)
	}
	if _, err := s.AddPriorities(ctx, cd.Email, pcnRound, []plans.Priority{{Title: "One triage model across the PCN", Problem: "Each practice triages differently; patients moving between them are confused.",
		Constituency: plans.PCNs, ProposedBy: cd.Email, ProposerName: cd.Name}}); err != nil {
		return err
	}

	// 4. Hilltop PCN's workforce plan, consulting on its draft.
	hill, err := open("U00002", orgs.PCN, "Hilltop PCN workforce plan "+claims.YearLabel(fy+1), fy+1, fy+1, today.AddDate(0, -4, 0), pcnRule)
	if err != nil {
		return fmt.Errorf("demo consulting round: %w", err)
	}
	hids, err := s.AddPriorities(ctx, comm.Email, hill, []plans.Priority{{Title: "Recruit two salaried GPs", Problem: "Hilltop's GP appointments per patient are the lowest in the Place.", Constituency: plans.PCNs, ProposedBy: comm.Email, ProposerName: comm.Name}})
	if err != nil {
		return err
	}
	if err := moveTo(&hill, plans.Deciding, today.AddDate(0, -2, 0)); err != nil {
		return err
	}
	if err := s.Adopt(ctx, comm.Email, hill, hids[0]); err != nil {
		return err
	}
	if err := moveTo(&hill, plans.Consulting, today.AddDate(0, -1, 0)); err != nil {
		return err
	}
	if _, err = s.SaveVersion(ctx, comm.Email, hill, 0, "# Hilltop PCN workforce plan\n\nA draft for the practices to comment on.\n\n## Recruit two salaried GPs\n\nBy March, shared across the PCN's six practices.\n"); err != nil {
		return err
	}
	// 5–7. The remaining phases, one round each: a practice's own round
	// shortlisting, a PCN's drafting and another's signing.
	practiceRule := []plans.Constituency{{Kind: plans.Practices, SignRole: people.PracticeManager, NeedNum: 1, NeedDen: 1}, {Kind: plans.Patients, NeedDen: 1}}
	later := []struct {
		footprint string
		kind      orgs.Kind
		title     string
		rule      []plans.Constituency
		to        plans.Phase
	}{
		{"Y00001", orgs.Practice, "Riverside Medical Centre's own priorities " + claims.YearLabel(fy+1), practiceRule, plans.Shortlisting},
		{"U00003", orgs.PCN, "Vale Market Towns PCN care homes plan " + claims.YearLabel(fy+1), pcnRule, plans.Drafting},
		{"U00004", orgs.PCN, "Harbour and Coast PCN coastal access plan " + claims.YearLabel(fy+1), pcnRule, plans.Signing},
	}
	for _, l := range later {
		r, err := open(l.footprint, l.kind, l.title, fy+1, fy+1, today.AddDate(0, -3, 0), l.rule)
		if err != nil {
			return fmt.Errorf("demo round %s: %w", l.title, err)
		}
		ids, err := s.AddPriorities(ctx, comm.Email, r, []plans.Priority{
			{Title: "Same-day access", Problem: "Patients ring at 8am for same-day appointments.", Constituency: plans.ConstituencyFor(l.kind), ProposedBy: comm.Email, ProposerName: comm.Name},
			{Title: "Continuity for housebound patients", Problem: "Housebound patients see someone new each visit.", Constituency: plans.ConstituencyFor(l.kind), ProposedBy: comm.Email, ProposerName: comm.Name},
		})
		if err != nil {
			return err
		}
		if err := moveTo(&r, l.to, today.AddDate(0, -1, 0)); err != nil {
			return err
		}
		if l.to == plans.Shortlisting {
			continue
		}
		if err := s.Adopt(ctx, comm.Email, r, ids[0]); err != nil {
			return err
		}
		body := "# " + l.title + "\n\nOne priority: same-day access, with a same-day hub shared by the PCN's practices.\n"
		if _, err := s.SaveVersion(ctx, comm.Email, r, 0, body); err != nil {
			return err
		}
		if l.to == plans.Signing {
			if err := s.Freeze(ctx, comm.Email, r, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func openSet(ids []int64) map[int64]bool {
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func voterName(i int) string {
	first := []string{"Alex", "Sam", "Jo", "Chris", "Robin", "Jamie", "Priya", "Ade", "Kim", "Lee", "Morgan", "Pat"}
	last := []string{"Khan", "Evans", "Smith", "Jones", "Brown", "Taylor", "Wilson", "Hughes", "Patel", "Walsh"}
	return first[i%len(first)] + " " + last[(i/len(first)+i)%len(last)]
}

func planText(fy int, status string) string {
	return fmt.Sprintf(`# Riverside and Vale primary care plan %s

%s

## Why this plan

Our practices, PCNs, the Place and our partners agreed five priorities for the year. Each has an owner, actions and indicators read from
the data OnePC holds, so that progress is shown, not reported.

## Our five priorities

1. **Faster access for urgent need**: one same-day model in every PCN.
2. **Fewer missed appointments**: reminders in every practice.
3. **More GP capacity in Hilltop**.
4. **Use the local enhanced services offered**: claims made the easy way.
5. **Care for the Porthaven coast**: follow up Quayside Surgery's patients.
`, claims.YearLabel(fy), status)
}

// demoObjectives gives the adopted plan's objectives owners, actions and
// indicators. Baselines and targets are set from the demo's own figures so
// that the indicators land where the demo needs them: two on track, one
// behind, one off track and one awaiting data.
func demoObjectives(ctx context.Context, s *store.Store, r plans.Round, today time.Time, fy int) error {
	objs, err := s.Objectives(ctx, r.ID)
	if err != nil {
		return err
	}
	if len(objs) != 5 {
		return fmt.Errorf("demo plan: %d objectives, want 5", len(objs))
	}
	owners := []string{"U00001", PlaceCode, "U00002", PlaceCode, "U00004"}
	for i, ob := range objs {
		if err := s.SetObjectiveOwner(ctx, "demo", r, ob.ID, owners[i]); err != nil {
			return err
		}
	}
	actions := []struct {
		obj          int
		title, owner string
		person       string
		due          time.Time
		done         bool
	}{
		{0, "Agree one same-day triage model", "U00001", "Dr Priya Shah", time.Date(fy, 6, 30, 0, 0, 0, 0, time.UTC), true},
		{0, "Triage all same-day requests at Riverside Medical Centre", "Y00001", "Sam Patel", time.Date(fy, 9, 30, 0, 0, 0, 0, time.UTC), true},
		{1, "Text reminders in every practice", PlaceCode, "Chris Taylor", time.Date(fy, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{2, "Recruit two salaried GPs", "U00002", "Hilltop PCN manager", time.Date(fy+1, 3, 31, 0, 0, 0, 0, time.UTC), false},
		{3, "Move every local service claim to OnePC's monthly return", PlaceCode, "Morgan Ellis", time.Date(fy, 10, 31, 0, 0, 0, 0, time.UTC), true},
		{4, "Follow up Quayside Surgery's former patients", "U00004", "Harbour and Coast PCN", time.Date(fy, 11, 30, 0, 0, 0, 0, time.UTC), false},
	}
	for _, a := range actions {
		pa := plans.PlanAction{Objective: objs[a.obj].ID, Title: a.title, Owner: a.owner, Person: a.person, Due: a.due}
		if err := s.AddPlanAction(ctx, "demo", r, pa); err != nil {
			return err
		}
	}
	done, err := s.Objectives(ctx, r.ID)
	if err != nil {
		return err
	}
	for oi, a := range actions {
		if !a.done {
			continue
		}
		for _, ob := range done {
			for _, act := range ob.Actions {
				if act.Title == actions[oi].title {
					if err := s.SetActionDone(ctx, "demo", r, act.ID, true); err != nil {
						return err
					}
				}
			}
		}
	}
	// Figures: the latest month and the plan's baseline month (March, just
	// before the year began) from the demo's appointments.
	baseMonth := time.Date(fy, time.March, 1, 0, 0, 0, 0, time.UTC)
	within, err := measureFor(ctx, s, "within-1-day", "U00001", today, baseMonth)
	if err != nil {
		return err
	}
	dna, err := measureFor(ctx, s, "dna-rate", PlaceCode, today, baseMonth)
	if err != nil {
		return err
	}
	gp, err := measureFor(ctx, s, "gp-per-1000", "U00002", today, baseMonth)
	if err != nil {
		return err
	}
	inds := []plans.Indicator{
		// On track: the target for the year is where Riverside PCN already is.
		{Objective: objs[0].ID, Kind: plans.MeasureFigure, Measure: "within-1-day", Org: "U00001", Baseline: within.low(), BaselineAt: within.at(baseMonth),
			Targets: map[int]int64{fy: within.low()}, HigherBetter: true},
		// Behind: better than the baseline, short of a steep target.
		{Objective: objs[1].ID, Kind: plans.MeasureFigure, Measure: "dna-rate", Org: PlaceCode, Baseline: dna.latest + 400, BaselineAt: baseMonth,
			Targets: map[int]int64{fy: dna.latest - 2500}, HigherBetter: false},
		// On track: Hilltop's GP appointments held where they were.
		{Objective: objs[2].ID, Kind: plans.MeasureFigure, Measure: "gp-per-1000", Org: "U00002", Baseline: gp.low(), BaselineAt: gp.at(baseMonth),
			Targets: map[int]int64{fy: gp.low()}, HigherBetter: true},
		// Off track: fewer claims approved so far this year than all of last year.
		{Objective: objs[3].ID, Kind: plans.ClaimsFigure, Org: PlaceCode, Baseline: 0, Targets: map[int]int64{fy: 0}, HigherBetter: true},
		// Awaiting data: the coast's new list has no appointments published yet.
		{Objective: objs[4].ID, Kind: plans.MeasureFigure, Measure: "within-14-days", Org: ClosedPractice, Baseline: 85000,
			Targets: map[int]int64{fy: 88000}, HigherBetter: true},
	}
	scope, err := s.Scope(ctx, []string{PlaceCode}, today)
	if err != nil {
		return err
	}
	var codes []string
	for c := range scope {
		codes = append(codes, c)
	}
	lastYear, err := s.ClaimsTotal(ctx, codes, time.Date(fy-1, time.April, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	thisYear, err := s.ClaimsTotal(ctx, codes, time.Date(fy, time.April, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	// Behind last year's pace: the year so far is below the same share of
	// last year's total (the baseline), as plans.Assess compares claims.
	elapsed, _ := plans.YearShare(today)
	inds[3].Baseline = max(lastYear, (thisYear+100_00)*12/elapsed+1)
	inds[3].Targets[fy] = inds[3].Baseline * 11 / 10
	for _, ind := range inds {
		if err := s.AddIndicator(ctx, "demo", r, ind); err != nil {
			return err
		}
	}
	return nil
}

type figure struct{ base, latest int64 }

// low is the lower of the two: a baseline the latest month is at or above.
func (f figure) low() int64 { return min(f.base, f.latest) }

// at is the baseline's month when the baseline is that month's figure, or
// no month when it is the latest's (the demo's months move with today).
func (f figure) at(month time.Time) time.Time {
	if f.base <= f.latest {
		return month
	}
	return time.Time{}
}

// measureFor reads a measure for an organisation (it and the practices
// below it) in baseMonth and in the latest month, in thousandths.
func measureFor(ctx context.Context, s *store.Store, id, org string, today, baseMonth time.Time) (figure, error) {
	m, err := s.Measure(ctx, id)
	if err != nil {
		return figure{}, err
	}
	months, err := s.AppointmentMonths(ctx)
	if err != nil || len(months) == 0 {
		return figure{}, err
	}
	vals, err := s.MeasureValues(ctx, id, months[0], months[len(months)-1])
	if err != nil {
		return figure{}, err
	}
	scope, err := s.Scope(ctx, []string{org}, today)
	if err != nil {
		return figure{}, err
	}
	sum := func(month time.Time) int64 {
		var num, den int64
		for _, v := range vals {
			if scope[v.Practice] && v.Month.Equal(month) && v.HasDen {
				num, den = num+v.Num, den+v.Den
			}
		}
		x, _ := m.Value(num, den, den > 0)
		return int64(math.Round(x * 1000))
	}
	return figure{base: sum(baseMonth), latest: sum(months[len(months)-1])}, nil
}
