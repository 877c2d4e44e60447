package mustdo

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/onepc/onepc/internal/orgs"
)

func TestOwed(t *testing.T) {
	cat := append(Shipped(), Obligation{Code: "OLD", Title: "Withdrawn", Owner: Practice, Recurrence: Yearly, Month: 6, Day: 1, Withdrawn: true})
	os := []Org{ // deliberately out of order
		{Code: "Y00002", Kind: orgs.Practice, GPs: []string{"z@example.org", "a@example.org"}},
		{Code: "U00001", Kind: orgs.PCN},
		{Code: "Y00001", Kind: orgs.Practice},
		{Code: "QNN", Kind: orgs.ICB},
	}
	dsptPeriod := d("2026-06-30")
	states := map[Key]State{{"DSPT", "Y00001", "", dsptPeriod}: {Done: true, DoneBy: "pm@example.org"}}
	// EDEC's window moved for 2026: its period stays the default's due date.
	dates := map[string]map[int]Dates{"EDEC": {2026: {Opens: d("2026-10-15"), Due: d("2026-12-15"), Sequence: 2}}}
	items, err := Owed(cat, os, d("2026-01-01"), d("2026-12-31"), England(), dates, states)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(items, func(a, b Item) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Org, b.Org), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Person, b.Person))
	}) {
		t.Error("items are not in order of due date, organisation, obligation and person")
	}
	// Every item once, and every one the brute force finds.
	want := 0
	for _, o := range cat {
		for year := 2026; year <= 2026; year++ {
			ins, _ := o.Instances(year, England(), nil)
			for _, org := range os {
				if !o.Owes(org.Kind) {
					continue
				}
				n := 1
				if o.Personal() {
					n = len(org.GPs)
				}
				want += n * len(ins)
			}
		}
	}
	if len(items) != want {
		t.Errorf("%d items, want %d", len(items), want)
	}
	seen := map[Key]bool{}
	var dspt, edec, withdrawn, pension int
	for _, it := range items {
		if seen[it.Key()] {
			t.Errorf("%v twice", it.Key())
		}
		seen[it.Key()] = true
		switch {
		case it.Code == "DSPT" && it.Org == "Y00001":
			dspt++
			if !it.Done || it.DoneBy != "pm@example.org" {
				t.Errorf("DSPT at Y00001 lost its state: %+v", it.State)
			}
		case it.Code == "DSPT":
			if it.Done {
				t.Errorf("DSPT at %s done: %+v", it.Org, it)
			}
		case it.Code == "EDEC" && it.Org == "Y00001":
			edec++
			if !it.Due.Equal(d("2026-12-15")) || it.Sequence != 2 || !it.Key().Period.Equal(d("2026-11-30")) {
				t.Errorf("EDEC moved: due %s, sequence %d, period %s", it.Due.Format(time.DateOnly), it.Sequence, it.Key().Period.Format(time.DateOnly))
			}
		case it.Code == "OLD":
			withdrawn++
			if !it.Withdrawn || it.Sequence != 1 {
				t.Errorf("withdrawn item %+v", it)
			}
		case it.Person != "":
			pension++
			if it.Org != "Y00002" {
				t.Errorf("a personal item at %s, which has no GPs", it.Org)
			}
		}
		if it.Org == "U00001" || it.Org == "QNN" {
			if o := cat[slices.IndexFunc(cat, func(o Obligation) bool { return o.Code == it.Code })]; !o.Owes(orgs.PCN) && !o.Owes(orgs.ICB) {
				t.Errorf("%s owed by %s", it.Code, it.Org)
			}
		}
	}
	if dspt != 1 || edec != 1 || withdrawn != 2 || pension == 0 || pension%2 != 0 {
		t.Errorf("DSPT %d, EDEC %d, withdrawn %d, pension %d", dspt, edec, withdrawn, pension)
	}
	if len(Current(items)) != len(items)-withdrawn {
		t.Error("Current kept a withdrawn item")
	}
}
