package plans

import (
	"slices"

	"github.com/onepc/onepc/internal/people"
)

// Access is where a signed-in person stands towards a round: the one
// decision of who may see it, take part in it and run it.
type Access struct {
	Facilitator bool   // holds plans.manage at the footprint or above: runs the round
	Seats       []Seat // the constituencies they take part in
	// ReadOnly: they see the round but take no part: from an organisation
	// above the footprint, or from one below it whose constituency does not
	// take part (a plan for their area is theirs to read).
	ReadOnly bool
}

// Sees says whether they may see the round at all.
func (a Access) Sees() bool { return a.Facilitator || a.ReadOnly || len(a.Seats) > 0 }

// AccessFor decides a person's access to r from their grants: chain is the
// footprint and every organisation above it, members the organisations
// taking part (by constituency), and chainOf gives an organisation's chain
// (it and those above it).
func AccessFor(r Round, grants []people.Grant, chain []string, members map[string]ConstituencyKind, chainOf func(org string) ([]string, error)) (Access, error) {
	a := Access{
		Facilitator: people.Authorize(grants, people.ManagePlans, chain),
		Seats:       Seats(r, grants, members),
		ReadOnly:    people.Authorize(grants, people.ViewOrg, chain),
	}
	if a.Sees() {
		return a, nil
	}
	for _, g := range grants {
		gchain, err := chainOf(g.OrgCode)
		if err != nil {
			return a, err
		}
		if slices.Contains(gchain, r.Footprint) {
			a.ReadOnly = true
			break
		}
	}
	return a, nil
}
