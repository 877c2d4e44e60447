package records

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

func d(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func classes(t *testing.T) map[string]Class {
	t.Helper()
	m := map[string]Class{}
	for _, c := range Shipped() {
		m[c.Code] = c
	}
	return m
}

func TestShippedScheduleIsValid(t *testing.T) {
	cs := Shipped()
	if len(cs) < 12 {
		t.Fatalf("%d rows", len(cs))
	}
	for _, c := range cs {
		if f, msg := c.Check(); f != "" {
			t.Errorf("%s: %s: %s", c.Code, f, msg)
		}
		if !strings.Contains(c.Source, "https://") {
			t.Errorf("%s has no link to its source", c.Code)
		}
	}
	var b strings.Builder
	if err := WriteCSV(&b, cs); err != nil {
		t.Fatal(err)
	}
	again, err := ParseCSV(strings.NewReader(b.String()))
	if err != nil || !slices.Equal(again, cs) {
		t.Errorf("round trip: %v", err)
	}
}

// TestDueDate covers every rule, the children's 25/26 rule, leap days and
// the clock restarting when records come back into use.
func TestDueDate(t *testing.T) {
	cs := classes(t)
	today := d("2026-11-29")
	tests := []struct {
		name  string
		class string
		f     Facts
		due   string // "" with never
		never bool
		basis string
		field string // an error on this field
	}{
		{"adult 8 years", "ADULT", Facts{Event: d("2018-03-31")}, "2026-03-31", false, "8 years after the conclusion of treatment on 31 March 2018", ""},
		{"leap day to a leap year", "ADULT", Facts{Event: d("2016-02-29")}, "2024-02-29", false, "", ""},
		{"leap day into a common year", "TELEPHONY", Facts{Event: d("2024-02-29")}, "2025-03-01", false, "1 year after creation", ""},
		{"reuse restarts the clock", "COMPLAINTS", Facts{Event: d("2015-06-01"), Reused: d("2020-01-15")}, "2030-01-15", false, "coming back into use restarts the clock", ""},
		{"reuse before the event", "COMPLAINTS", Facts{Event: d("2015-06-01"), Reused: d("2014-01-15")}, "", false, "", "reused_on"},
		{"deceased 10 years", "GP-DECEASED", Facts{Event: d("2016-11-30")}, "2026-11-30", false, "10 years after death", ""},
		{"deceased, counted from the date of death", "GP-DECEASED", Facts{Death: d("2020-06-01")}, "2030-06-01", false, "10 years after death on 1 June 2020", ""},
		{"deceased, two different dates", "GP-DECEASED", Facts{Event: d("2012-05-01"), Death: d("2020-06-01")}, "", false, "", "death_date"},
		{"deregistered 100 years", "GP-DEREG-UNKNOWN", Facts{Event: d("2001-05-05")}, "2101-05-05", false, "", ""},
		{"health surveillance 40 years", "HEALTH-SURVEILLANCE", Facts{Event: d("2020-07-01")}, "2060-07-01", false, "40 years after the last entry", ""},
		{"maternity 25 years", "MATERNITY", Facts{Event: d("2000-01-10")}, "2025-01-10", false, "", ""},
		{"clinical audit 5 years", "CLINICAL-AUDIT", Facts{Event: d("2021-04-01")}, "2026-04-01", false, "", ""},
		{"child to the 25th birthday", "CHILD", Facts{Event: d("2015-09-01"), Birth: d("2005-02-14")}, "2030-02-14", false, "25th birthday", ""},
		{"child 17 at the end: 26th", "CHILD", Facts{Event: d("2022-09-01"), Birth: d("2005-02-14")}, "2031-02-14", false, "26th birthday", ""},
		{"child 17 on the last day", "CHILD", Facts{Event: d("2023-02-13"), Birth: d("2005-02-14")}, "2031-02-14", false, "", ""},
		{"18 on the day: adult", "CHILD", Facts{Event: d("2023-02-14"), Birth: d("2005-02-14")}, "", false, "", "birth_date"},
		{"child born on a leap day", "CHILD", Facts{Event: d("2010-01-01"), Birth: d("2008-02-29")}, "2033-03-01", false, "", ""},
		{"child reused at 17", "CHILD", Facts{Event: d("2015-09-01"), Reused: d("2022-09-01"), Birth: d("2005-02-14")}, "2031-02-14", false, "", ""},
		{"child without a birth date", "CHILD", Facts{Event: d("2015-09-01")}, "", false, "", "birth_date"},
		{"mental health 20 years", "MENTAL-HEALTH", Facts{Event: d("2010-06-30")}, "2030-06-30", false, "20 years after", ""},
		{"mental health: death later wins", "MENTAL-HEALTH", Facts{Event: d("2010-06-30"), Death: d("2024-01-01")}, "2034-01-01", false, "10 years after death", ""},
		{"mental health: death earlier", "MENTAL-HEALTH", Facts{Event: d("2010-06-30"), Death: d("2012-01-01")}, "2030-06-30", false, "later than 10 years after death", ""},
		{"living patient: never", "GP-LIVING", Facts{}, "", true, "while the patient is alive", ""},
		{"living patient who died", "GP-LIVING", Facts{Death: d("2020-01-01")}, "", false, "", "death_date"},
		{"building: never", "BUILDING", Facts{}, "", true, "life of the building", ""},
		{"no event", "ADULT", Facts{}, "", false, "", "event_date"},
		{"event in the future", "ADULT", Facts{Event: d("2026-11-30")}, "", false, "", "event_date"},
		{"death in the future", "MENTAL-HEALTH", Facts{Event: d("2010-01-01"), Death: d("2030-01-01")}, "", false, "", "death_date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due, err := cs[tc.class].DueDate(tc.f, today)
			if tc.field != "" {
				if !slices.ContainsFunc(problem.FieldsOf(err), func(f problem.Field) bool { return f.Name == tc.field }) {
					t.Fatalf("error %v, want one on %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if due.Never != tc.never || (!tc.never && due.Date.Format(time.DateOnly) != tc.due) || !strings.Contains(due.Basis, tc.basis) {
				t.Errorf("got %+v, want %s never=%v basis ~%q", due, tc.due, tc.never, tc.basis)
			}
		})
	}
	perm := Class{Code: "PERM", RecordType: "Minutes", Trigger: None, Rule: Permanent, Action: Transfer, Source: "test", Checked: "2026-01-01"}
	if due, err := perm.DueDate(Facts{}, today); err != nil || !due.Never {
		t.Errorf("permanent: %+v %v", due, err)
	}
}

func TestParseCSVRefusesWhole(t *testing.T) {
	head := strings.Join(Header, ",") + "\n"
	good := "ADULT,Adult,discharge,years,8,,review_destroy,no,src,2026-01-01,\n"
	tests := []struct {
		name, body string
		line       int
		field      string
	}{
		{"no header column", "code,record_type\nA,B\n", 1, "trigger"},
		{"unknown rule", head + good + "X1,Thing,closure,yearz,8,,review,no,src,2026-01-01,\n", 3, "rule"},
		{"impossible recurrence of years", head + "X1,Thing,closure,years,0,,review,no,src,2026-01-01,\n", 2, "years"},
		{"not a number", head + "X1,Thing,closure,years,eight,,review,no,src,2026-01-01,\n", 2, "years"},
		{"date that does not exist", head + "X1,Thing,closure,years,8,,review,no,src,2026-02-30,\n", 2, "checked"},
		{"duplicate code", head + good + good, 3, "code"},
		{"creation without the mark", head + "X1,Thing,creation,years,8,,review,no,src,2026-01-01,\n", 2, "creation_based"},
		{"permanent destroyed", head + "X1,Thing,none,permanent,,,review_destroy,no,src,2026-01-01,\n", 2, "action"},
		{"empty", head, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tc.body))
			le, ok := err.(*LineError)
			if !ok || le.Line != tc.line || le.Field != tc.field {
				t.Errorf("error %v, want line %d field %q", err, tc.line, tc.field)
			}
		})
	}
}

func TestProposeAndApprove(t *testing.T) {
	tests := []struct {
		name  string
		in    ProposalInput
		st    State
		act   Action
		field string
		kind  problem.Kind
	}{
		{"destroy when due", ProposalInput{Decision: "destroy", Justification: "No longer needed"}, DueNow, ReviewDestroy, "", -1},
		{"destroy before due", ProposalInput{Decision: "destroy", Justification: "x"}, NotDue, ReviewDestroy, "decision", problem.Invalid},
		{"destroy without reason", ProposalInput{Decision: "destroy"}, DueNow, ReviewDestroy, "justification", problem.Invalid},
		{"destroy a transfer class", ProposalInput{Decision: "destroy", Justification: "x"}, DueNow, Transfer, "decision", problem.Invalid},
		{"destroy under hold", ProposalInput{Decision: "destroy", Justification: "x"}, Held, ReviewDestroy, "decision", problem.Conflict},
		{"keep 20 years", ProposalInput{Decision: "keep", Years: "20", Justification: "Litigation likely"}, DueNow, ReviewDestroy, "", -1},
		{"keep 21 years without exception", ProposalInput{Decision: "keep", Years: "21", Justification: "x"}, DueNow, ReviewDestroy, "exception", problem.Invalid},
		{"keep 21 years with exception", ProposalInput{Decision: "keep", Years: "21", Justification: "x", Exception: "Public inquiry"}, DueNow, ReviewDestroy, "", -1},
		{"keep under hold", ProposalInput{Decision: "keep", Years: "5", Justification: "x"}, Held, ReviewDestroy, "", -1},
		{"keep what has no date", ProposalInput{Decision: "keep", Years: "1", Justification: "x"}, Never, Review, "decision", problem.Invalid},
		{"transfer a permanent record", ProposalInput{Decision: "transfer", Justification: "To the county archive"}, Never, Transfer, "", -1},
		{"destroy a permanent record", ProposalInput{Decision: "destroy", Justification: "x"}, Never, KeepForever, "decision", problem.Invalid},
		{"keep no years", ProposalInput{Decision: "keep", Justification: "x"}, DueNow, ReviewDestroy, "years", problem.Invalid},
		{"nonsense", ProposalInput{Decision: "burn"}, DueNow, ReviewDestroy, "decision", problem.Invalid},
		{"twice", ProposalInput{Decision: "destroy", Justification: "x"}, Proposed, ReviewDestroy, "", problem.Conflict},
		{"disposed", ProposalInput{Decision: "destroy", Justification: "x"}, Disposed, ReviewDestroy, "", problem.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Propose(tc.in, tc.st, tc.act)
			if tc.kind == -1 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if problem.KindOf(err) != tc.kind || (tc.field != "" && !slices.ContainsFunc(problem.FieldsOf(err), func(f problem.Field) bool { return f.Name == tc.field })) {
				t.Errorf("error %v, want kind %d on %q", err, tc.kind, tc.field)
			}
		})
	}
	p := Proposal{Decision: Destroy, ProposedBy: "pm@x", Status: "pending"}
	if err := Approve(p, "PM@x", false); problem.KindOf(err) != problem.Forbidden {
		t.Errorf("approved by the proposer: %v", err)
	}
	if err := Approve(p, "deputy@x", false); err != nil {
		t.Error(err)
	}
	p.Status = "approved"
	if err := Approve(p, "deputy@x", false); problem.KindOf(err) != problem.Conflict {
		t.Errorf("approved twice: %v", err)
	}
	if got := KeepTo(Proposal{Years: 5}, Due{Date: d("2025-01-01")}, d("2026-11-29")); got != d("2031-11-29") {
		t.Errorf("keep from an overdue date counts from today: %v", got)
	}
	if got := KeepTo(Proposal{Years: 5}, Due{Date: d("2027-01-01")}, d("2026-11-29")); got != d("2032-01-01") {
		t.Errorf("keep from a future due date: %v", got)
	}
}

// TestHoldAlwaysBlocksDisposal is a property: whatever the collection's
// state and the decision, while a hold covers it, no disposal can be
// proposed or approved.
func TestHoldAlwaysBlocksDisposal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	states := []State{NotDue, DueNow, Proposed, Held, Never}
	for range 5000 {
		id := int64(r.IntN(20) + 1)
		h := Hold{Reason: "inquiry", All: r.IntN(3) == 0}
		for range r.IntN(4) {
			h.Collections = append(h.Collections, int64(r.IntN(20)+1))
		}
		if !h.Covers(id) {
			continue
		}
		c := Collection{ID: id}
		due := Due{Date: d("2020-01-01").AddDate(0, 0, r.IntN(4000))}
		st := StateOf(c, due, r.IntN(2) == 0, AnyCovers([]Hold{h}, id), d("2026-11-29"))
		if st != Held {
			t.Fatalf("covered collection in state %s", st)
		}
		dec := []Decision{Destroy, TransferIt}[r.IntN(2)]
		if _, err := Propose(ProposalInput{Decision: string(dec), Justification: "x"}, st, ReviewDestroy); err == nil {
			t.Fatalf("%s proposed under hold (state %s)", dec, states[0])
		}
		if err := Approve(Proposal{Decision: dec, ProposedBy: "a", Status: "pending"}, "b", true); err == nil {
			t.Fatalf("%s approved under hold", dec)
		}
	}
	lifted := Hold{All: true, LiftedAt: d("2026-01-01")}
	if lifted.Covers(1) {
		t.Error("a lifted hold still covers")
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add(shipped)
	f.Add(strings.Join(Header, ",") + "\nX1,Thing,closure,years,8,,review,no,src,2026-01-01,\n")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, c := range cs {
			if f, _ := c.Check(); f != "" {
				t.Fatalf("accepted a bad row %+v", c)
			}
			c.DueDate(Facts{Event: d("2020-01-01"), Birth: d("2010-01-01")}, d("2026-01-01"))
		}
	})
}

// TestImportCodeHTML reads a saved copy of the Code's schedule table and
// diffs it against the shipped rows.
func TestImportCodeHTML(t *testing.T) {
	f, err := os.Open("testdata/code_schedule.html")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, err := ParseSchedule(f, "Records Management Code of Practice (saved page)", "2026-11-29")
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string]Class{}
	for _, c := range cs {
		byType[c.RecordType] = c
	}
	if len(cs) != 8 {
		t.Fatalf("%d rows: %+v", len(cs), cs)
	}
	for rt, want := range map[string]struct {
		rule      Rule
		trig      Trigger
		years, dy int
		action    Action
	}{
		"Children's record":                           {Child, Discharge, 0, 0, ReviewDestroy},
		"Mental health record (including psychology)": {YearsOrAfterDeath, Discharge, 20, 10, ReviewDestroy},
		"GP patient record (deceased patient)":        {Years, Death, 10, 0, ReviewDestroy},
		"Clinical audit record":                       {Years, Creation, 5, 0, ReviewDestroy},
		"Building and engineering works record":       {LifeOfBuilding, None, 0, 0, Review},
		"Board minutes":                               {Permanent, None, 0, 0, Transfer},
	} {
		c := byType[rt]
		if c.Rule != want.rule || c.Trigger != want.trig || c.Years != want.years || c.DeathYears != want.dy || c.Action != want.action {
			t.Errorf("%s: %+v", rt, c)
		}
	}
	// The codes the import makes are its record types': rows take the codes
	// of the classes in force with the same record type.
	if cs, err = AdoptCodes(cs, Shipped()); err != nil {
		t.Fatal(err)
	}
	changes := Diff(Shipped(), cs)
	kinds := map[string]string{}
	for _, ch := range changes {
		kinds[ch.Code] = ch.Kind
	}
	if kinds["TELEPHONY"] != "changed" || kinds["BOARD-MINUTES"] != "added" || kinds["HEALTH-SURVEILLANCE"] != "removed" {
		t.Errorf("diff: %v", kinds)
	}

	_, err = ParseHTML(strings.NewReader(`<table><tr><th>Record type</th><th>Retention start</th><th>Retention period</th><th>Action following retention</th></tr>
		<tr><td>Alpha files</td><td>Closure</td><td>8 years</td><td>Destroy</td></tr><tr><td>Beta files</td><td>Closure</td><td>As long as it takes</td><td>Review</td></tr></table>`), "s", "2026-01-01")
	if le, ok := err.(*LineError); !ok || le.Line != 3 || le.Field != "retention period" || !strings.HasPrefix(le.Error(), "row 3") {
		t.Errorf("unreadable period: %v", err)
	}
	if _, err := ParseHTML(strings.NewReader(`<p>no table</p>`), "s", "2026-01-01"); err == nil {
		t.Error("a page with no table was read")
	}
	head := `<tr><th>Record type</th><th>Retention start</th><th>Retention period</th><th>Action following retention</th></tr>`
	two, err := ParseHTML(strings.NewReader(`<table>`+head+`<tr><td>Alpha files</td><td>Closure</td><td>8 years</td><td>Destroy</td></tr></table>
		<table>`+head+`<tr><td>Mind records</td><td>Conclusion of treatment</td><td>20 years or 10 years after the patient’s death</td><td>Destroy</td></tr></table>`), "s", "2026-01-01")
	if err != nil || len(two) != 2 || two[1].Rule != YearsOrAfterDeath || two[1].DeathYears != 10 {
		t.Errorf("two tables, curly apostrophe: %+v %v", two, err)
	}
	if _, err := ParseHTML(strings.NewReader(`<table>`+head+`<tr><td>Odd files</td><td>Closure</td><td>20 years unless death intervenes</td><td>Destroy</td></tr></table>`), "s", "2026-01-01"); err == nil {
		t.Error("a period about death OnePC cannot read was shortened to its number")
	}
	if _, err := AdoptCodes([]Class{{Code: "ADULT", RecordType: "Adult"}, {Code: "X", RecordType: "Adult health record not covered elsewhere in the schedule"}}, Shipped()); err == nil {
		t.Error("two rows with one code")
	}
}

func FuzzParseSchedule(f *testing.F) {
	b, _ := os.ReadFile("testdata/code_schedule.html")
	f.Add(string(b))
	f.Add(shipped)
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseSchedule(strings.NewReader(s), "fuzz", "2026-01-01")
		if err == nil {
			for _, c := range cs {
				if f, msg := c.Check(); f != "" {
					t.Fatalf("accepted %+v: %s %s", c, f, msg)
				}
			}
		}
	})
}
