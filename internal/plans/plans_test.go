package plans

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/tally"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func validInput() RoundInput {
	return RoundInput{
		Title: "Primary care plan", FromYear: 2027, ToYear: 2029,
		Phases: ChainFrom(day("2027-01-04"), map[Phase]int{Proposing: 28, Shortlisting: 14, Deciding: 14, Drafting: 28, Consulting: 28, Signing: 14}, nil),
		Constituencies: []Constituency{
			{Kind: ICBGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1},
			{Kind: PlaceGroup, SignRole: people.Commissioner, NeedNum: 1, NeedDen: 1},
			{Kind: PCNs, SignRole: people.PCNClinicalDirector, NeedNum: 2, NeedDen: 3},
			{Kind: Patients, NeedNum: 0, NeedDen: 1},
		},
	}
}

func TestNewRound(t *testing.T) {
	r, err := NewRound(validInput(), "P1", orgs.Place)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cap != DefaultCap || r.Phase != Proposing || r.Period() != "2027/28–2029/30" || len(r.Phases) != 7 {
		t.Errorf("round %+v", r)
	}
	gap := validInput()
	gap.Phases[2].Start = gap.Phases[2].Start.AddDate(0, 0, 2)
	gap.Phases[2].End = gap.Phases[2].End.AddDate(0, 0, 2)
	off := validInput()
	off.Phases[1].On = false // shortlisting off: deciding must then start after proposing ends
	offChained := validInput()
	offChained.Phases = ChainFrom(day("2027-01-04"), map[Phase]int{Proposing: 28}, map[Phase]bool{Shortlisting: true})
	tests := []struct {
		name  string
		in    func(*RoundInput)
		field string
	}{
		{"no title", func(in *RoundInput) { in.Title = " " }, "title"},
		{"years backwards", func(in *RoundInput) { in.ToYear = 2026 }, "to_year"},
		{"phases that do not chain", func(in *RoundInput) { *in = gap }, "start_deciding"},
		{"a phase switched off leaves a gap", func(in *RoundInput) { *in = off }, "start_deciding"},
		{"guest constituency given a role", func(in *RoundInput) { in.Constituencies[3].SignRole = people.GP }, "sign_patients"},
		{"PCNs signed for by a practice role", func(in *RoundInput) { in.Constituencies[2].SignRole = people.PracticeManager }, "sign_pcns"},
		{"nobody need sign", func(in *RoundInput) {
			for i := range in.Constituencies {
				in.Constituencies[i].NeedNum = 0
			}
		}, "constituencies"},
		{"cap too high", func(in *RoundInput) { in.Cap = 50 }, "cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.in(&in)
			_, err := NewRound(in, "P1", orgs.Place)
			fs := problem.FieldsOf(err)
			if !slices.ContainsFunc(fs, func(f problem.Field) bool { return f.Name == tt.field }) {
				t.Errorf("errors %v, want one on %s", fs, tt.field)
			}
		})
	}
	if _, err := NewRound(offChained, "P1", orgs.Place); err != nil {
		t.Errorf("a round with shortlisting off, chained: %v", err)
	}
}

func TestPhasesAllowAndNext(t *testing.T) {
	in := validInput()
	in.Phases = ChainFrom(day("2027-01-04"), nil, map[Phase]bool{Shortlisting: true})
	r, err := NewRound(in, "P1", orgs.Place)
	if err != nil {
		t.Fatal(err)
	}
	if r.Phases[1].On {
		t.Fatal("shortlisting is on")
	}
	if next, _ := r.Next(); next != Deciding {
		t.Errorf("next after proposing with shortlisting off: %s", next)
	}
	if r.Allows(Propose) != nil || r.Allows(Sign) == nil {
		t.Error("proposing allows proposals and not signatures")
	}
	r.Phase = Signing
	if _, ok := r.Next(); ok {
		t.Error("signing has no next phase: adoption comes from signatures")
	}
	err = r.Allows(Propose)
	if problem.KindOf(err) != problem.Conflict || !strings.Contains(problem.Message(err), "proposing priorities") {
		t.Errorf("proposing while signing: %v", err)
	}
}

func TestAdoptionRule(t *testing.T) {
	r, _ := NewRound(validInput(), "P1", orgs.Place)
	members := map[ConstituencyKind]int{ICBGroup: 1, PlaceGroup: 1, PCNs: 3, Patients: 1}
	sig := func(k ConstituencyKind, m string, hash string) Signature {
		return Signature{Constituency: k, Member: m, SHA256: hash}
	}
	h := Hash("plan v2")
	tests := []struct {
		name string
		sigs []Signature
		want bool
	}{
		{"nobody", nil, false},
		{"ICB, Place and one PCN of three", []Signature{sig(ICBGroup, "Q1", h), sig(PlaceGroup, "P1", h), sig(PCNs, "U1", h)}, false},
		{"ICB, Place and two PCNs of three", []Signature{sig(ICBGroup, "Q1", h), sig(PlaceGroup, "P1", h), sig(PCNs, "U1", h), sig(PCNs, "U2", h)}, true},
		{"one PCN signing twice counts once", []Signature{sig(ICBGroup, "Q1", h), sig(PlaceGroup, "P1", h), sig(PCNs, "U1", h), sig(PCNs, "U1", h)}, false},
		{"a signature on an earlier version", []Signature{sig(ICBGroup, "Q1", Hash("plan v1")), sig(PlaceGroup, "P1", h), sig(PCNs, "U1", h), sig(PCNs, "U2", h)}, false},
		{"the ICB missing", []Signature{sig(PlaceGroup, "P1", h), sig(PCNs, "U1", h), sig(PCNs, "U2", h), sig(PCNs, "U3", h)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := Adoption(r, members, tt.sigs, h); got != tt.want {
				t.Errorf("adopted %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCap(t *testing.T) {
	if CanAdopt(4, 5) != nil {
		t.Error("a fifth priority within a cap of five")
	}
	if err := CanAdopt(5, 5); problem.KindOf(err) != problem.Conflict || !strings.Contains(problem.Message(err), "at most 5") {
		t.Errorf("a sixth: %v", err)
	}
}

func TestPlainTextRefusesMarkup(t *testing.T) {
	for _, s := range []string{"<script>alert(1)</script>", "see < img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "</b>"} {
		if _, err := NewPriority("Fine title", s); problem.KindOf(err) != problem.Invalid {
			t.Errorf("%q accepted", s)
		}
	}
	if _, err := NewPriority("Waits < 2 weeks & more", "A 3 < 4 comparison is fine"); err != nil {
		t.Errorf("plain comparison refused: %v", err)
	}
}

func TestTrajectoryAndAssess(t *testing.T) {
	ind := Indicator{Kind: MeasureFigure, Baseline: 40000, Targets: map[int]int64{2027: 46000, 2029: 52000}, HigherBetter: true}
	tests := []struct {
		month string
		want  int64
	}{
		{"2027-03-01", 40000}, // before the plan
		{"2027-04-01", 40500}, // one month of twelve: 40 + 6/12
		{"2027-09-01", 43000},
		{"2028-03-01", 46000},
		{"2028-09-01", 46000}, // 2028 has no target: hold 2027's
		{"2029-09-01", 49000},
		{"2031-01-01", 52000}, // after the plan
	}
	for _, tt := range tests {
		if got := ind.Trajectory(2027, 2029, day(tt.month)); got != tt.want {
			t.Errorf("%s: trajectory %d, want %d", tt.month, got, tt.want)
		}
	}
	at := day("2027-09-01") // expected 43.0
	cases := []struct {
		name string
		r    Reading
		rag  string
	}{
		{"no data", Reading{}, "awaiting"},
		{"ahead", Reading{Have: true, Value: 44000, Month: at}, "green"},
		{"behind, above baseline", Reading{Have: true, Value: 41000, Month: at}, "amber"},
		{"worse, not significantly", Reading{Have: true, Value: 39000, Month: at, Num: 39, Den: 100, BaseNum: 40, BaseDen: 100}, "amber"},
		{"worse, significantly", Reading{Have: true, Value: 30000, Month: at, Num: 3000, Den: 10000, BaseNum: 4000, BaseDen: 10000}, "red"},
	}
	for _, c := range cases {
		if got := Assess(ind, 2027, 2029, c.r); got.RAG != c.rag {
			t.Errorf("%s: %s (%s), want %s", c.name, got.RAG, got.Note, c.rag)
		}
	}
	pop := Indicator{Kind: PopulationFigure, Baseline: 5000, Targets: map[int]int64{2027: 4800}}
	if got := Assess(pop, 2027, 2027, Reading{Have: true, Value: 5100, Month: at}); got.RAG != "red" {
		t.Errorf("population worse than baseline (lower better): %s", got.RAG)
	}
}

func TestParseFigure(t *testing.T) {
	tests := []struct {
		k    IndicatorKind
		in   string
		want int64
		ok   bool
	}{
		{MeasureFigure, "43.2", 43200, true},
		{MeasureFigure, "43.2%", 43200, true},
		{MeasureFigure, "43.2155", 0, false},
		{ClaimsFigure, "£1,234.56", 123456, true},
		{PopulationFigure, "5,000", 5000, true},
		{PopulationFigure, "5000.5", 0, false},
		{MeasureFigure, "", 0, false},
		{MeasureFigure, "1e3", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseFigure(tt.k, tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseFigure(%s, %q) = %d, %v", tt.k, tt.in, got, err)
		}
	}
	if s := FormatFigure(ClaimsFigure, "", 123456); s != "£1,234.56" {
		t.Errorf("format pence: %s", s)
	}
}

func TestDiff(t *testing.T) {
	d := Diff("a\nb\nc", "a\nc\nd")
	var got []string
	for _, l := range d {
		got = append(got, l.Op+l.Text)
	}
	want := []string{" a", "-b", " c", "+d"}
	if !slices.Equal(got, want) {
		t.Errorf("diff %q, want %q", got, want)
	}
}

func TestSeats(t *testing.T) {
	r, _ := NewRound(validInput(), "P1", orgs.Place)
	members := map[string]ConstituencyKind{"U1": PCNs, "P1": PlaceGroup, "Q1": ICBGroup, "A1": Practices}
	grants := []people.Grant{{Role: people.PCNManager, OrgCode: "U1"}, {Role: people.PCNClinicalDirector, OrgCode: "U1"}, {Role: people.PracticeManager, OrgCode: "A1"}}
	seats := Seats(r, grants, members)
	if len(seats) != 2 || seats[0].Role != people.PCNClinicalDirector || !seats[0].CanSign(r) || seats[1].CanSign(r) {
		t.Errorf("seats %+v (practices do not take part; the clinical director signs)", seats)
	}
}

func TestJoinCode(t *testing.T) {
	c := NewJoinCode()
	if len(c) != 9 || c[4] != '-' || NormalCode(strings.ToLower(strings.ReplaceAll(c, "-", " "))) != c {
		t.Errorf("code %q", c)
	}
	if NormalCode("ABC") != "" || NormalCode("0OIL-0OIL") != "" {
		t.Error("short or ambiguous codes read")
	}
}

func TestParseSeeds(t *testing.T) {
	f, err := os.Open("testdata/seeds.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ParseSeeds(f, "seeds.csv")
	if err != nil || len(rows) != 2 || rows[1].Line != 3 || !strings.HasPrefix(rows[0].Problem, "Patients who") {
		t.Fatalf("rows %+v %v", rows, err)
	}
	bad := []struct{ in, want string }{
		{"", "is empty"},
		{"Name,Why\nx,y\n", "line 1"},
		{"Title,Problem\nGood,Fine\n,Missing title\n", "line 3, column 1 (Title)"},
		{"Title,Problem\nGood,\"<script>x</script>\"\n", "line 2, column 2 (Problem)"},
		{"Title,Problem\n\"broken,x\n", "line"},
		{"Title,Problem\n", "no priorities"},
	}
	for _, b := range bad {
		_, err := ParseSeeds(strings.NewReader(b.in), "seeds.csv")
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: %v, want %q", b.in, err, b.want)
		}
	}
}

func FuzzParseSeeds(f *testing.F) {
	if b, err := os.ReadFile("testdata/seeds.csv"); err == nil {
		f.Add(string(b))
	}
	f.Add("Title,Problem\na,b\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseSeeds(strings.NewReader(in), "f.csv")
		if err == nil {
			for _, r := range rows {
				if r.Title == "" || r.Problem == "" || htmlTag.MatchString(r.Title+r.Problem) {
					t.Fatalf("accepted %+v", r)
				}
			}
		}
	})
}

func TestNewDecision(t *testing.T) {
	open := map[int64]bool{1: true, 2: true, 3: true}
	d, err := NewDecision(DecisionInput{Title: "Which matter most?", Method: "dots", Options: []int64{1, 2, 2}}, open)
	if err != nil || d.Dots != DefaultDots || !d.HideResults || len(d.Options) != 2 {
		t.Fatalf("%+v %v", d, err)
	}
	if d.ShowResults() {
		t.Error("results shown while open by default")
	}
	d.Closed = true
	if !d.ShowResults() {
		t.Error("results hidden once closed")
	}
	for _, in := range []DecisionInput{
		{Title: "", Method: "dots", Options: []int64{1, 2}},
		{Title: "Q", Method: "dice", Options: []int64{1, 2}},
		{Title: "Q", Method: "dots", Options: []int64{1, 9}},
		{Title: "Q", Method: "ranked", Options: []int64{1}},
		{Title: "Q", Method: "dots", Options: []int64{1, 2}, Dots: 99},
	} {
		if _, err := NewDecision(in, open); problem.KindOf(err) != problem.Invalid {
			t.Errorf("%+v accepted", in)
		}
	}
}

func TestConstituencyFor(t *testing.T) {
	for _, k := range ConstituencyKinds {
		if ok := k.OrgKind(); ok != "" && ConstituencyFor(ok) != k {
			t.Errorf("%s: ConstituencyFor(%s) = %s", k, ok, ConstituencyFor(ok))
		}
	}
	if ConstituencyFor(orgs.Region) != "" {
		t.Error("a region is no constituency")
	}
}

func TestCheckCapAndMerge(t *testing.T) {
	if CheckCap(4, 5) == nil || CheckCap(0, 0) == nil || CheckCap(MaxCap+1, 0) == nil || CheckCap(5, 5) != nil {
		t.Error("CheckCap")
	}
	if CheckMerge(1, nil) == nil || CheckMerge(1, []int64{2, 1}) == nil || CheckMerge(1, []int64{2}) != nil {
		t.Error("CheckMerge")
	}
}

func TestAccessFor(t *testing.T) {
	r, _ := NewRound(validInput(), "P1", orgs.Place)
	members := map[string]ConstituencyKind{"U1": PCNs, "P1": PlaceGroup, "Q1": ICBGroup}
	chains := map[string][]string{"P1": {"P1", "Q1"}, "A1": {"A1", "U1", "P1", "Q1"}, "U1": {"U1", "P1", "Q1"}, "B1": {"B1", "P2", "Q1"}, "Q1": {"Q1"}}
	chainOf := func(org string) ([]string, error) { return chains[org], nil }
	tests := []struct {
		name   string
		grants []people.Grant
		want   Access
	}{
		{"the Place's commissioner runs it and takes part", []people.Grant{{Role: people.Commissioner, OrgCode: "P1"}},
			Access{Facilitator: true, Seats: []Seat{{Kind: PlaceGroup, Org: "P1", Role: people.Commissioner}}, ReadOnly: true}},
		{"a PCN's clinical director takes part", []people.Grant{{Role: people.PCNClinicalDirector, OrgCode: "U1"}},
			Access{Seats: []Seat{{Kind: PCNs, Org: "U1", Role: people.PCNClinicalDirector}}}},
		{"a practice whose constituency does not take part reads it", []people.Grant{{Role: people.PracticeManager, OrgCode: "A1"}}, Access{ReadOnly: true}},
		{"a practice in another Place does not see it", []people.Grant{{Role: people.PracticeManager, OrgCode: "B1"}}, Access{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AccessFor(r, tt.grants, chains["P1"], members, chainOf)
			if err != nil {
				t.Fatal(err)
			}
			if got.Facilitator != tt.want.Facilitator || got.ReadOnly != tt.want.ReadOnly || !slices.Equal(got.Seats, tt.want.Seats) {
				t.Errorf("access %+v, want %+v", got, tt.want)
			}
			if got.Sees() != (tt.want.Facilitator || tt.want.ReadOnly || len(tt.want.Seats) > 0) {
				t.Error("Sees")
			}
		})
	}
}

func TestClaimsCompareTheYearSoFar(t *testing.T) {
	// Last year's claims were £12,000; this year's target £13,200. In
	// October (7 months in) the expected pace is £7,700 and last year's
	// £7,000.
	ind := Indicator{Kind: ClaimsFigure, Baseline: 12_000_00, Targets: map[int]int64{2027: 13_200_00}, HigherBetter: true}
	oct := day("2027-10-01")
	for _, tt := range []struct {
		value int64
		rag   string
	}{{8_000_00, "green"}, {7_200_00, "amber"}, {6_000_00, "red"}} {
		if got := Assess(ind, 2027, 2027, Reading{Have: true, Value: tt.value, Month: oct}); got.RAG != tt.rag || got.Expected != 7_700_00 {
			t.Errorf("£%d so far: %s, expected %d; want %s", tt.value/100, got.RAG, got.Expected, tt.rag)
		}
	}
	if s := FormatFigure(ClaimsFigure, "", -50); s != "-£0.50" {
		t.Errorf("negative pence: %s", s)
	}
}

func TestHideSmallGroups(t *testing.T) {
	d := Decision{Method: "sense", Options: []int64{1}}
	var ballots []tally.Ballot
	for i := range 4 {
		ballots = append(ballots, tally.Ballot{Constituency: "pcns", Marks: map[int64]int{1: i % 2}})
	}
	ballots = append(ballots, tally.Ballot{Constituency: "patients", Marks: map[int64]int{1: 2}})
	res := tally.Count(d.Tally(), []string{"pcns", "patients"}, ballots)
	HideSmallGroups(&res)
	if by := res.Options[0].ByConstituency; !by["patients"].Withheld || by["patients"].Votes != 0 || by["pcns"].Withheld || by["pcns"].Votes != 4 {
		t.Errorf("by constituency: %+v", by)
	}
}

func TestParseShare(t *testing.T) {
	for in, ok := range map[string]bool{"all": true, "none": true, "2/3": true, " 1 / 4 ": true, "2/3x": false, "3/2": false, "0/0": false, "half": false} {
		if _, _, err := ParseShare(in); (err == nil) != ok {
			t.Errorf("ParseShare(%q): %v", in, err)
		}
	}
	if _, err := NewDecision(DecisionInput{Title: "Q", Method: "dots", Options: []int64{1, 2}, Anonymous: true, ShowWhileOn: true}, map[int64]bool{1: true, 2: true}); err == nil {
		t.Error("an anonymous vote with its count shown while open")
	}
}
