package records

import (
	"cmp"
	"slices"
	"time"
)

// Register is what OnePC holds for one organisation: its collections, the
// decisions waiting, its holds and its certificates.
type Register struct {
	Org          string
	Collections  []Collection
	Pending      map[int64]Proposal // by collection
	Holds        []Hold
	Certificates []Certificate
}

// Row is a collection with when it is due and where it stands.
type Row struct {
	Collection Collection `json:"collection"`
	Class      Class      `json:"class"`
	Due        Due        `json:"due"`
	State      State      `json:"state"`
	Pending    *Proposal  `json:"pending,omitempty"`
	Problem    string     `json:"problem,omitempty"` // why no date could be worked out
}

// Rows works out every collection's due date and state on day today,
// soonest due first (disposed last).
func (r Register) Rows(schedule map[string]Class, today time.Time) []Row {
	var out []Row
	for _, c := range r.Collections {
		row := Row{Collection: c, Class: schedule[c.Class]}
		if p, ok := r.Pending[c.ID]; ok {
			row.Pending = &p
		}
		due, err := DueOf(c, row.Class, today)
		if err != nil {
			row.Problem = err.Error()
		}
		row.Due = due
		row.State = StateOf(c, due, row.Pending != nil, AnyCovers(r.Holds, c.ID), today)
		if err != nil && row.State == NotDue {
			row.State = DueNow // a collection whose date cannot be worked out needs review
		}
		out = append(out, row)
	}
	rank := func(r Row) int {
		switch {
		case r.State == Disposed:
			return 3
		case r.Due.Never:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.Due.Date.Compare(b.Due.Date), cmp.Compare(a.Collection.Name, b.Collection.Name))
	})
	return out
}

// Summary counts where an organisation's register stands, for the
// commissioner's overview and the DSPT evidence page.
type Summary struct {
	Org          string `json:"org_code"`
	Collections  int    `json:"collections"` // not disposed of
	Due          int    `json:"due"`         // minimum period ended, no decision waiting
	Proposed     int    `json:"proposed"`    // a decision waiting for a second person
	Held         int    `json:"held"`        // covered by a hold in force
	HoldsInForce int    `json:"holds_in_force"`
	Certificates int    `json:"certificates"`
	LastYear     int    `json:"certificates_last_12_months"`
}

// Summarise counts a register on day today.
func (r Register) Summarise(schedule map[string]Class, today time.Time) Summary {
	s := Summary{Org: r.Org, Certificates: len(r.Certificates)}
	for _, row := range r.Rows(schedule, today) {
		if row.State != Disposed {
			s.Collections++
		}
		switch row.State {
		case DueNow:
			s.Due++
		case Proposed:
			s.Proposed++
		case Held:
			s.Held++
		}
	}
	for _, h := range r.Holds {
		if h.InForce() {
			s.HoldsInForce++
		}
	}
	for _, c := range r.Certificates {
		if c.IssuedAt.After(today.AddDate(-1, 0, 0)) {
			s.LastYear++
		}
	}
	return s
}

// HasRegister reports whether the organisation keeps a register at all.
func (s Summary) HasRegister() bool { return s.Collections > 0 || s.Certificates > 0 }
