package mustdo

import (
	"cmp"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
)

// Item is one obligation one organisation (or, for a personal one, one
// person there) owes, due on a day.
type Item struct {
	Code      string    `json:"code"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
	Sequence  int       `json:"sequence"` // for calendars: rises when the date moves or the obligation is withdrawn
	Title     string    `json:"title"`
	Org       string    `json:"org_code"`
	Person    string    `json:"person,omitempty"` // the person a personal item is for
	Opens     time.Time `json:"opens,omitzero"`
	Due       time.Time `json:"due"`
	Evidence  bool      `json:"evidence"`
	State
}

// Key identifies an item across years and changes of date: the obligation,
// the organisation, the person, and the period it is for (its due date in
// the catalogue's default, before any per-year date).
type Key struct {
	Code, Org, Person string
	Period            time.Time
}

// Key is the item's identity.
func (it Item) Key() Key { return Key{it.Code, it.Org, it.Person, it.period} }

// State is what has happened to an item.
type State struct {
	Done     bool      `json:"done"`
	DoneBy   string    `json:"done_by,omitempty"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	Note     string    `json:"note,omitempty"`
	Link     string    `json:"link,omitempty"`
	File     string    `json:"file,omitempty"`
	Assignee string    `json:"assignee,omitempty"`
	Deputy   string    `json:"deputy,omitempty"`
	period   time.Time
}

// Org is an organisation that may owe obligations, with the people at it
// who owe personal ones (GPs).
type Org struct {
	Code, Name string
	Kind       orgs.Kind
	GPs        []string
}

// Owed works out every item the organisations owe (withdrawn obligations'
// items too, marked, for calendars to cancel: Current leaves them out) with a due date from
// from to to (inclusive), from the catalogue, the year's own dates
// (dates, by obligation code and year), and what has happened to each
// (states). Nothing is stored until something happens to an item: working
// out a new year costs no writes.
func Owed(catalogue []Obligation, os []Org, from, to time.Time, cal Calendar, dates map[string]map[int]Dates, states map[Key]State) ([]Item, error) {
	// First the few dated instances (obligations × periods), then every
	// organisation's copy of each. Emitting them in order (due date, then
	// organisation, obligation and person) rather than sorting the whole
	// list is what lets a national year of three million items be worked
	// out in seconds: sorting them took most of the time.
	type dated struct {
		o      *Obligation
		in     Instance
		period time.Time
		seq    int
	}
	var ins []dated
	for year := from.Year(); year <= to.Year(); year++ {
		for i := range catalogue {
			o := &catalogue[i]
			var override *Dates
			seq := 0
			if d, ok := dates[o.Code][year]; ok {
				override, seq = &d, d.Sequence
			}
			if o.Withdrawn {
				seq++
			}
			defaults, err := o.Instances(year, cal, nil)
			if err != nil {
				return nil, err
			}
			instances := defaults
			if override != nil {
				instances, _ = o.Instances(year, cal, override)
			}
			for i, in := range instances {
				if in.Due.Before(from) || in.Due.After(to) {
					continue
				}
				ins = append(ins, dated{o, in, defaults[min(i, len(defaults)-1)].Due, seq})
			}
		}
	}
	slices.SortFunc(ins, func(a, b dated) int { return cmp.Or(a.in.Due.Compare(b.in.Due), cmp.Compare(a.o.Code, b.o.Code)) })
	os = slices.SortedFunc(slices.Values(os), func(a, b Org) int { return cmp.Compare(a.Code, b.Code) })
	gps := make([][]string, len(os))
	for i, org := range os {
		gps[i] = slices.Sorted(slices.Values(org.GPs))
	}
	size := 0
	for _, d := range ins {
		for i, org := range os {
			switch {
			case !d.o.Owes(org.Kind):
			case d.o.Personal():
				size += len(gps[i])
			default:
				size++
			}
		}
	}
	out := make([]Item, 0, size)
	noPerson := []string{""}
	for first := 0; first < len(ins); {
		last := first + 1
		for last < len(ins) && ins[last].in.Due.Equal(ins[first].in.Due) {
			last++
		}
		for i, org := range os {
			for _, d := range ins[first:last] {
				if !d.o.Owes(org.Kind) {
					continue
				}
				people := noPerson
				if d.o.Personal() {
					people = gps[i]
				}
				for _, p := range people {
					it := Item{Code: d.o.Code, Title: d.o.Title, Org: org.Code, Person: p, Opens: d.in.Opens, Due: d.in.Due, Evidence: d.o.Evidence,
						Withdrawn: d.o.Withdrawn, Sequence: d.seq}
					if len(states) > 0 {
						it.State = states[Key{d.o.Code, org.Code, p, d.period}]
					}
					it.period = d.period
					out = append(out, it)
				}
			}
		}
		first = last
	}
	return out, nil
}

// Status is where an item stands on a day.
type Status string

const (
	Done     Status = "done"
	Overdue  Status = "overdue"
	DueSoon  Status = "due_7"  // due within 7 days
	DueMonth Status = "due_30" // due within 30 days
	Later    Status = "later"
)

// StatusOn says where an item stands on day today.
func (it Item) StatusOn(today time.Time) Status {
	switch {
	case it.Done:
		return Done
	case it.Due.Before(today):
		return Overdue
	case !it.Due.After(today.AddDate(0, 0, 7)):
		return DueSoon
	case !it.Due.After(today.AddDate(0, 0, 30)):
		return DueMonth
	}
	return Later
}

// VisibleTo reports whether a person may see an item: a personal item only
// its own person; others by their roles (the caller's check).
func (it Item) VisibleTo(person string) bool {
	return it.Person == "" || it.Person == person
}

// Current leaves out the items of withdrawn obligations.
func Current(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if !it.Withdrawn {
			out = append(out, it)
		}
	}
	return out
}

// ClaimPrefix starts the code of a claim's item (ClaimItems).
const ClaimPrefix = "CLAIM-"

// ClaimItems are the claims an organisation owes for the services it
// signed up to (a local service's claims are due a set number of days after
// each period ends), due from from to to. A practice that accepts a service
// gets its claim deadlines as must-dos without anyone typing them.
func ClaimItems(signedUp map[string][]claims.Service, from, to time.Time, states map[Key]State) []Item {
	var out []Item
	for org, svcs := range signedUp {
		for _, sv := range svcs {
			for _, p := range sv.Periods() {
				due := sv.Deadline(p)
				if due.Before(from) || due.After(to) {
					continue
				}
				it := Item{Code: ClaimPrefix + sv.Code, Title: "Claim for " + sv.Name + ", " + p.Label(sv.Frequency), Org: org, Due: due}
				it.period = p.Start
				it.State = states[it.Key()]
				out = append(out, it)
			}
		}
	}
	slices.SortFunc(out, func(a, b Item) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Org, b.Org), cmp.Compare(a.Code, b.Code))
	})
	return out
}
