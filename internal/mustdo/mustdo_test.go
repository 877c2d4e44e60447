package mustdo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestShippedCatalogue(t *testing.T) {
	cs := Shipped()
	var codes []string
	for _, o := range cs {
		codes = append(codes, o.Code)
		if !strings.Contains(o.Source, "https://") && !strings.HasPrefix(o.Source, "OnePC") {
			t.Errorf("%s has no link to its source", o.Code)
		}
	}
	for _, want := range []string{"QOF-YEAR-END", "QOF-SIGNOFF", "DSPT", "EDEC", "PENSION-CERTS", "FLU-OFFER", "FLU-CLAIMS", "DES-PARTICIPATION",
		"COMPLAINTS-RETURN", "FFT", "FIRE-RISK", "BUSINESS-PLAN", "JFP-REVIEW"} {
		if !slices.Contains(codes, want) {
			t.Errorf("the catalogue lacks %s", want)
		}
	}
	var b strings.Builder
	if err := WriteCatalogue(&b, cs); err != nil {
		t.Fatal(err)
	}
	again, err := ParseCatalogue(strings.NewReader(b.String()))
	if err != nil || !slices.Equal(again, cs) {
		t.Errorf("round trip: %v", err)
	}
}

func TestParseCatalogueRefusesWhole(t *testing.T) {
	head := strings.Join(Header, ",") + "\n"
	good := "X1,Thing,,practice,yearly,6,30,,,,,no,src,2026-01-01\n"
	for _, tc := range []struct {
		name, body string
		line       int
		field      string
	}{
		{"broken line", head + good + "X2,\"unterminated,practice\n", 3, ""},
		{"impossible recurrence", head + "X1,Thing,,practice,fortnightly,,,,,,,no,src,2026-01-01\n", 2, "recurrence"},
		{"a date that does not exist", head + "X1,Thing,,practice,yearly,2,30,,,,,no,src,2026-01-01\n", 2, "day"},
		{"29 February every year", head + "X1,Thing,,practice,yearly,2,29,,,,,no,src,2026-01-01\n", 2, "day"},
		{"one-off on no date", head + "X1,Thing,,practice,one_off,,,,,,2026-13-01,no,src,2026-01-01\n", 2, "date"},
		{"working day 0", head + "X1,Thing,,practice,monthly,,,,,0,,no,src,2026-01-01\n", 2, "nth_working_day"},
		{"unknown owner", head + "X1,Thing,,surgery,yearly,6,30,,,,,no,src,2026-01-01\n", 2, "owner"},
		{"duplicate", head + good + good, 3, "code"},
		// A misspelt column once emptied every obligation's guidance.
		{"a misspelt column", strings.Replace(head, "guidance", "guidence", 1) + good, 1, "guidence"},
		{"a column left out", strings.Replace(head, ",guidance", "", 1) + strings.Replace(good, "Thing,,", "Thing,", 1), 1, "guidance"},
		{"a column twice", strings.TrimSuffix(head, "\n") + ",title\n" + good, 1, "title"},
		{"a NUL in a title", head + good + "X2,Thi\x00ng,,practice,yearly,6,30,,,,,no,src,2026-01-01\n", 3, ""},
		{"an escape character", head + "X1,Thing,\x1b[31m,practice,yearly,6,30,,,,,no,src,2026-01-01\n", 2, "guidance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalogue(strings.NewReader(tc.body))
			le, ok := err.(*LineError)
			if !ok || le.Line != tc.line || le.Field != tc.field {
				t.Errorf("error %v, want line %d field %q", err, tc.line, tc.field)
			}
		})
	}
}

func TestRecurrence(t *testing.T) {
	cal := England()
	byCode := map[string]Obligation{}
	for _, o := range Shipped() {
		byCode[o.Code] = o
	}
	due := func(code string, year int, override *Dates) []string {
		t.Helper()
		is, err := byCode[code].Instances(year, cal, override)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range is {
			out = append(out, i.Due.Format(time.DateOnly))
		}
		return out
	}
	for _, tc := range []struct {
		code string
		year int
		ov   *Dates
		want []string
	}{
		{"DSPT", 2027, nil, []string{"2027-06-30"}},
		{"PENSION-CERTS", 2028, nil, []string{"2028-02-28"}},
		{"QOF-SIGNOFF", 2027, nil, []string{"2027-04-30"}},
		{"QOF-SIGNOFF", 2027, &Dates{Opens: d("2027-04-05"), Due: d("2027-05-14")}, []string{"2027-05-14"}},
		// 12th working day: January 2027 starts on a Friday after the 1st's bank holiday.
		{"FFT", 2027, nil, []string{"2027-01-19", "2027-02-16", "2027-03-16", "2027-04-16", "2027-05-19", "2027-06-16", "2027-07-16", "2027-08-17", "2027-09-16", "2027-10-18", "2027-11-16", "2027-12-16"}},
		// Flu claims run September to March: the 5th working day of each season month.
		{"FLU-CLAIMS", 2026, nil, []string{"2026-01-08", "2026-02-06", "2026-03-06", "2026-09-07", "2026-10-07", "2026-11-06", "2026-12-07"}},
	} {
		if got := due(tc.code, tc.year, tc.ov); !slices.Equal(got, tc.want) {
			t.Errorf("%s %d: %v, want %v", tc.code, tc.year, got, tc.want)
		}
	}
	if _, err := byCode["FFT"].Instances(2031, cal, nil); err == nil {
		t.Error("working days counted without the year's bank holidays")
	}
	if !cal.WorkingDay(d("2026-12-29")) || cal.WorkingDay(d("2026-12-28")) || cal.WorkingDay(d("2026-12-27")) {
		t.Error("Christmas 2026: the 28th is Boxing Day's substitute")
	}
	if got := cal.OnOrBefore(d("2026-12-28")); got != d("2026-12-24") {
		t.Errorf("the working day before the Christmas break: %v", got)
	}
}

// TestWorkingDaysNeverFallOnHolidays is a property: an obligation due on a
// working day is never due on a weekend or bank holiday, whatever the day.
func TestWorkingDaysNeverFallOnHolidays(t *testing.T) {
	cal := England()
	r := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		year, month, n := 2024+r.IntN(5), time.Month(1+r.IntN(12)), 1+r.IntN(18)
		got := cal.NthWorkingDay(year, month, n)
		if !cal.WorkingDay(got) {
			t.Fatalf("working day %d of %s %d is %s, not a working day", n, month, year, got.Format("Mon 2 Jan"))
		}
		count := 0
		for day := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC); !day.After(got); day = day.AddDate(0, 0, 1) {
			if cal.WorkingDay(day) {
				count++
			}
		}
		if count != n {
			t.Fatalf("%s is working day %d, not %d", got.Format(time.DateOnly), count, n)
		}
	}
}

func TestOwes(t *testing.T) {
	for _, tc := range []struct {
		owner Owner
		kind  orgs.Kind
		want  bool
	}{{Practice, orgs.Practice, true}, {Practice, orgs.PCN, false}, {GP, orgs.Practice, true}, {ICB, orgs.ICB, true}, {ICB, orgs.Place, false}, {PCN, orgs.PCN, true}} {
		if got := (Obligation{Owner: tc.owner}).Owes(tc.kind); got != tc.want {
			t.Errorf("%s owed by a %s: %v", tc.owner, tc.kind, got)
		}
	}
	if !(Obligation{Owner: GP}).Personal() || (Obligation{Owner: Practice}).Personal() {
		t.Error("Personal")
	}
}

func FuzzParseCatalogue(f *testing.F) {
	f.Add(shippedCatalogue)
	f.Fuzz(func(t *testing.T, s string) {
		os, err := ParseCatalogue(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, o := range os {
			if field, _ := o.Check(); field != "" {
				t.Fatalf("accepted %+v", o)
			}
			if o.Recurrence != Monthly {
				o.Instances(2026, England(), nil)
			}
		}
	})
}

// TestCatalogueAsExcelSavesIt: a catalogue saved by Excel for Mac as "CSV
// (Macintosh)" (lines ended by a carriage return alone) or by Excel for
// Windows in Windows-1252 reads as it was written (a probe's file was
// refused as having no column "checked": it had read as one long line).
func TestCatalogueAsExcelSavesIt(t *testing.T) {
	file := strings.Join(Header, ",") + "\rX1,Thing,Costs \xa35,practice,yearly,6,30,,,,,no,src,2026-01-01\rX2,Other,,practice,yearly,7,31,,,,,no,src,2026-01-01\r"
	os, err := ParseCatalogue(strings.NewReader(file))
	if err != nil || len(os) != 2 || os[0].Guidance != "Costs £5" || os[1].Code != "X2" {
		t.Errorf("got %+v %v", os, err)
	}
}
