package payrules

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var labels = map[string]string{"ecgs": "ECGs", "samples": "Samples taken", "sessions": "GP sessions backfilled", "num": "patients with HbA1c ≤ 58", "den": "patients on the diabetes register"}

func TestCalculate(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		in    Input
		pence int64
		words string
	}{
		{"fee per item with a money cap", Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, CapPence: 100000},
			Input{Activity: map[string]int64{"ecgs": 42}}, 100000, "42 ECGs × £25.00 = £1,050.00, cap £1,000.00 applied"},
		{"fee per item under the cap", Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, CapPence: 100000},
			Input{Activity: map[string]int64{"ecgs": 12}}, 30000, "12 ECGs × £25.00 = £300.00"},
		{"fee per item with an item cap", Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 1250, CapItems: 30},
			Input{Activity: map[string]int64{"ecgs": 45}}, 37500, "45 ECGs reported, 30 ECGs × £12.50 = £375.00, cap of 30 items applied"},
		{"a field's label after a number", Rule{Kind: FeePerItem, Field: "samples", RatePence: 420},
			Input{Activity: map[string]int64{"samples": 1204}}, 505680, "1,204 samples taken × £4.20 = £5,056.80"},
		{"sessional", Rule{Kind: Sessional, Field: "sessions", RatePence: 28000},
			Input{Activity: map[string]int64{"sessions": 6}}, 168000, "6 GP sessions backfilled × £280.00 = £1,680.00"},
		{"capitation on the loaded list, rounded half up", Rule{Kind: Capitation, RateCentipence: 1250},
			Input{Patients: 11234, PatientsKnown: true, PatientsNote: "registered on 1 April 2026"}, 140425, "11,234 registered patients × £0.1250 = £1,404.25 (registered on 1 April 2026)"},
		{"capitation half a penny rounds up", Rule{Kind: Capitation, RateCentipence: 50},
			Input{Patients: 1, PatientsKnown: true}, 1, "1 registered patient × £0.0050 = £0.01"},
		{"fee per item, one, with unit names", Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, Unit: "ECG", Units: "ECGs"},
			Input{Activity: map[string]int64{"ecgs": 1}}, 2500, "1 ECG × £25.00 = £25.00"},
		{"fee per item, capped, with unit names", Rule{Kind: FeePerItem, Field: "tests", RatePence: 1000, CapItems: 30, Unit: "INR test", Units: "INR tests"},
			Input{Activity: map[string]int64{"tests": 31}}, 30000, "31 INR tests reported, 30 INR tests × £10.00 = £300.00, cap of 30 INR tests applied"},
		{"sessional, one, with unit names", Rule{Kind: Sessional, Field: "sessions", RatePence: 28000, Unit: "session", Units: "sessions"},
			Input{Activity: map[string]int64{"sessions": 1}}, 28000, "1 session × £280.00 = £280.00"},
		{"capitation weighted", Rule{Kind: Capitation, RateCentipence: 10000, Weighted: true},
			Input{Patients: 1000, WeightedPatients: 1200, HasWeighted: true, PatientsKnown: true}, 120000, "1,200 needs-weighted patients × £1.0000 = £1,200.00"},
		{"capitation weighted without bands falls back", Rule{Kind: Capitation, RateCentipence: 10000, Weighted: true},
			Input{Patients: 1000, PatientsKnown: true}, 100000, "no age breakdown is loaded, so the registered list was used"},
		{"capitation declared", Rule{Kind: Capitation, RateCentipence: 10000},
			Input{Activity: map[string]int64{"patients": 250}}, 25000, "250 registered patients × £1.0000 = £250.00 (declared on the claim)"},
		{"achievement between thresholds", Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 600, UpperPM: 900, MaxPence: 500000},
			Input{Activity: map[string]int64{"num": 312, "den": 400}}, 300000, "Achievement 312 / 400 = 78.0%, between 60.0% and 90.0%: £5,000.00 × (78.0% − 60.0%) ÷ (90.0% − 60.0%) = £3,000.00"},
		{"achievement at the upper threshold", Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 600, UpperPM: 900, MaxPence: 500000},
			Input{Activity: map[string]int64{"num": 360, "den": 400}}, 500000, "at or above the upper threshold of 90.0%: maximum £5,000.00"},
		{"achievement at the lower threshold", Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 600, UpperPM: 900, MaxPence: 500000},
			Input{Activity: map[string]int64{"num": 240, "den": 400}}, 0, "not above the lower threshold of 60.0%: nothing is due"},
		{"achievement with an empty register", Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 600, UpperPM: 900, MaxPence: 500000},
			Input{Activity: map[string]int64{"num": 0, "den": 0}}, 0, "nothing is due"},
		{"achievement rounds exactly", Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 0, UpperPM: 1000, MaxPence: 100},
			Input{Activity: map[string]int64{"num": 1, "den": 3}}, 33, "£0.33"},
		{"block, whole period", Rule{Kind: Block, BlockPence: 250000}, Input{PeriodDays: 30, ActiveDays: 30}, 250000, "Block payment for the whole period: £2,500.00"},
		{"block pro rata", Rule{Kind: Block, BlockPence: 250000}, Input{PeriodDays: 30, ActiveDays: 20, ActiveNote: "signed up 11 November"}, 166667, "Block £2,500.00 × 20/30 days = £1,666.67 (signed up 11 November)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Labels = labels
			got, err := tc.rule.Calculate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Pence != tc.pence || !strings.Contains(got.Explanation, tc.words) {
				t.Errorf("got %d %q\nwant %d containing %q", got.Pence, got.Explanation, tc.pence, tc.words)
			}
		})
	}
}

func TestCalculateRejects(t *testing.T) {
	ach := Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 600, UpperPM: 900, MaxPence: 1}
	tests := []struct {
		rule Rule
		in   Input
		want string
	}{
		{ach, Input{Activity: map[string]int64{"num": 5, "den": 4}}, "cannot be more than"},
		{ach, Input{Activity: map[string]int64{"num": 5}}, "is missing"},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 1}, Input{Activity: map[string]int64{"ecgs": -1}}, "cannot be negative"},
		{Rule{Kind: Capitation, RateCentipence: 1}, Input{}, "must declare its registered patients"},
		{Rule{Kind: Block, BlockPence: 1}, Input{PeriodDays: 30, ActiveDays: 31}, "active days"},
	}
	for _, tc := range tests {
		tc.in.Labels = labels
		if _, err := tc.rule.Calculate(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.rule.Kind, err, tc.want)
		}
	}
}

func TestDescribeWithUnits(t *testing.T) {
	labels := map[string]string{"ecgs": "ECGs performed"}
	for _, tc := range []struct {
		rule Rule
		want string
	}{
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500}, "ECGs performed: £25.00 each"},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, CapItems: 40}, "ECGs performed: £25.00 each, at most 40 items a period"},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, CapItems: 40, Unit: "ECG", Units: "ECGs"}, "ECGs performed: £25.00 per ECG, at most 40 ECGs a period"},
	} {
		if got := tc.rule.Describe(labels); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.rule, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	fields := []string{"ecgs", "num", "den"}
	tests := []struct {
		rule Rule
		want string // "" for valid
	}{
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500}, ""},
		{Rule{Kind: FeePerItem, Field: "xrays", RatePence: 2500}, "not one of this service's activity fields"},
		{Rule{Kind: FeePerItem, Field: "ecgs"}, "greater than zero"},
		{Rule{Kind: Achievement, Numerator: "num", Denominator: "num", LowerPM: 1, UpperPM: 2, MaxPence: 1}, "different field"},
		{Rule{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: 900, UpperPM: 600, MaxPence: 1}, "lower threshold below the upper"},
		{Rule{Kind: Block, BlockPence: 1}, ""},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, Unit: "ECG", Units: "ECGs"}, ""},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, Unit: "ECG"}, "or neither"},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, CapPence: 99999999999999}, "Enter a cap from £0 to £10,000,000.00"},
		{Rule{Kind: FeePerItem, Field: "ecgs", RatePence: 2500, Unit: "ECG", Units: "ECGs\nand more"}, "on one line"},
		{Rule{}, "Choose a payment rule"},
	}
	for _, tc := range tests {
		err := tc.rule.Validate(fields)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: got %v, want %q", tc.rule, err, tc.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for p, want := range map[int64]string{0: "£0.00", 5: "£0.05", 105000: "£1,050.00", 123456789: "£1,234,567.89"} {
		if got := Pounds(p); got != want {
			t.Errorf("Pounds(%d) = %q", p, got)
		}
	}
	for in, want := range map[string]int64{"25": 2500, "£1,050.00": 105000, "0.5": 50, ".05": 5, "3.1": 310} {
		if got, ok := ParsePounds(in); !ok || got != want {
			t.Errorf("ParsePounds(%q) = %d %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "-1", "1.234", "ten", "1.-5", "£", "-0.50", "1,0.5", "2 50", "+5", "10,000,000,000.01"} {
		if _, ok := ParsePounds(bad); ok {
			t.Errorf("ParsePounds(%q) accepted", bad)
		}
	}
	if RoundHalfUp(5, 10) != 1 || RoundHalfUp(4, 10) != 0 || RoundHalfUp(15, 10) != 2 || RoundHalfUp(-5, 10) != 0 {
		t.Error("RoundHalfUp")
	}
}

// randomCase makes a random rule and an input that fits it.
func randomCase(rng *rand.Rand) (Rule, Input) {
	act := map[string]int64{"ecgs": rng.Int64N(5000), "sessions": rng.Int64N(40), "den": rng.Int64N(3000)}
	act["num"] = rng.Int64N(act["den"] + 1)
	in := Input{Activity: act, Labels: labels, PeriodDays: 28 + rng.Int64N(65), Patients: rng.Int64N(40000),
		PatientsKnown: rng.IntN(2) == 0, WeightedPatients: rng.Int64N(45000), HasWeighted: rng.IntN(2) == 0}
	in.ActiveDays = rng.Int64N(in.PeriodDays + 1)
	act["patients"] = rng.Int64N(40000)
	lower := rng.Int64N(999)
	rules := []Rule{
		{Kind: FeePerItem, Field: "ecgs", RatePence: 1 + rng.Int64N(10000), CapItems: rng.Int64N(3000), CapPence: rng.Int64N(5000000)},
		{Kind: Sessional, Field: "sessions", RatePence: 1 + rng.Int64N(50000)},
		{Kind: Capitation, RateCentipence: 1 + rng.Int64N(100000), Weighted: rng.IntN(2) == 0},
		{Kind: Achievement, Numerator: "num", Denominator: "den", LowerPM: lower, UpperPM: lower + 1 + rng.Int64N(1000-lower), MaxPence: 1 + rng.Int64N(10000000)},
		{Kind: Block, BlockPence: 1 + rng.Int64N(10000000)},
	}
	return rules[rng.IntN(len(rules))], in
}

// TestProperties: the same input always gives the same pence, nothing is
// ever negative, caps and maxima are never exceeded, and more achievement
// never pays less.
func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		r, in := randomCase(rng)
		a, err := r.Calculate(in)
		if err != nil {
			t.Fatalf("%+v %+v: %v", r, in, err)
		}
		b, _ := r.Calculate(in)
		if a != b {
			t.Fatalf("not deterministic: %+v then %+v", a, b)
		}
		if a.Pence < 0 {
			t.Fatalf("negative pay %d for %+v", a.Pence, r)
		}
		switch r.Kind {
		case FeePerItem:
			if r.CapPence > 0 && a.Pence > r.CapPence {
				t.Fatalf("fee %d above cap %d", a.Pence, r.CapPence)
			}
		case Achievement:
			if a.Pence > r.MaxPence {
				t.Fatalf("achievement %d above maximum %d", a.Pence, r.MaxPence)
			}
			if in.Activity["num"] < in.Activity["den"] {
				more := map[string]int64{"num": in.Activity["num"] + 1, "den": in.Activity["den"]}
				c, _ := r.Calculate(Input{Activity: more, Labels: labels})
				if c.Pence < a.Pence {
					t.Fatalf("one more achieved paid less: %d < %d", c.Pence, a.Pence)
				}
			}
		case Block:
			if a.Pence > r.BlockPence {
				t.Fatalf("block %d above the full block %d", a.Pence, r.BlockPence)
			}
		}
	}
}

// TestExplanationsAddUp works each achievement explanation through by hand,
// from the numbers it shows, to the pence it says (once "49.0% … =
// £1,193.47" did not add up: the pay used the unrounded achievement).
func TestExplanationsAddUp(t *testing.T) {
	re := regexp.MustCompile(`: (£[\d,]+\.\d\d) × \(([\d.]+)% − ([\d.]+)%\) ÷ \(([\d.]+)% − ([\d.]+)%\) = (£[\d,]+\.\d\d)$`)
	tenths := func(s string) int64 { // "49.0" → 490
		w, f, _ := strings.Cut(s, ".")
		n, _ := strconv.ParseInt(w+f, 10, 64)
		return n
	}
	rng := rand.New(rand.NewPCG(7, 11))
	checked := 0
	for range 5000 {
		den := 1 + rng.Int64N(30000)
		r := Rule{Kind: Achievement, Numerator: "n", Denominator: "d", LowerPM: 100 + rng.Int64N(400), MaxPence: 1 + rng.Int64N(1_000_000)}
		r.UpperPM = r.LowerPM + 1 + rng.Int64N(1000-r.LowerPM)
		res, err := r.Calculate(Input{Activity: map[string]int64{"n": rng.Int64N(den + 1), "d": den}})
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindStringSubmatch(res.Explanation)
		if m == nil {
			continue // at or beyond a threshold: no working to check
		}
		maxP, _ := ParsePounds(m[1])
		got, _ := ParsePounds(m[6])
		ach, lower, upper := tenths(m[2]), tenths(m[3]), tenths(m[4])
		if byHand := RoundHalfUp(maxP*(ach-lower), upper-lower); byHand != got || got != res.Pence {
			t.Fatalf("%q: by hand %d, shown %d, paid %d", res.Explanation, byHand, got, res.Pence)
		}
		checked++
	}
	if checked < 1000 {
		t.Errorf("only %d explanations between the thresholds", checked)
	}
}
