package records

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// Decision is what the owner proposes for a collection that is due.
type Decision string

const (
	Destroy    Decision = "destroy"
	KeepLonger Decision = "keep"
	TransferIt Decision = "transfer"
)

// Label is a decision in words.
func (d Decision) Label() string {
	return map[Decision]string{Destroy: "Destroy", KeepLonger: "Keep longer", TransferIt: "Transfer to a place of deposit"}[d]
}

// MaxExtension is the longest the Code lets a collection be kept past its
// minimum period on a justification alone; longer needs an exception reason
// (a public inquiry, say) as well.
const MaxExtension = 20

// Proposal is one person's decision, waiting for a second person.
type Proposal struct {
	ID            int64     `json:"id"`
	CollectionID  int64     `json:"collection_id"`
	Decision      Decision  `json:"decision"`
	Years         int       `json:"years,omitempty"` // keep longer by
	Justification string    `json:"justification"`
	Exception     string    `json:"exception,omitempty"` // why longer than MaxExtension
	ProposedBy    string    `json:"proposed_by"`
	ProposedAt    time.Time `json:"proposed_at"`
	Status        string    `json:"status"` // pending, approved, rejected
	DecidedBy     string    `json:"decided_by,omitempty"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	Note          string    `json:"note,omitempty"`
}

// ProposalInput is what the owner types.
type ProposalInput struct {
	Decision      string `form:"decision" json:"decision"`
	Years         string `form:"years" json:"years"`
	Justification string `form:"justification" json:"justification"`
	Exception     string `form:"exception" json:"exception"`
}

// Propose checks a proposal for a collection in state st, of a class whose
// final action is action. Disposal needs the collection to be due (or, for
// records that go to a place of deposit, to have no date) and under no
// hold; keeping longer needs a date to keep past, a justification, and
// beyond MaxExtension years an exception reason too.
func Propose(in ProposalInput, st State, action Action) (Proposal, error) {
	p := Proposal{Decision: Decision(strings.TrimSpace(in.Decision)), Justification: strings.TrimSpace(in.Justification),
		Exception: strings.TrimSpace(in.Exception), Status: "pending"}
	switch st {
	case Disposed:
		return p, problem.New(problem.Conflict, "This collection has been disposed of already")
	case Proposed:
		return p, problem.New(problem.Conflict, "A decision on this collection is already waiting for approval")
	}
	var errs problem.Fields
	switch p.Decision {
	case Destroy, TransferIt:
		if err := CheckDisposal(p.Decision, st, action); err != nil {
			return p, err
		}
		if p.Justification == "" {
			errs.Add("justification", "Say why the records are no longer needed")
		}
	case KeepLonger:
		if st == Never {
			errs.Add("decision", "These records have no date to keep them past: they are kept for as long as their kind of record says")
		}
		n, err := strconv.Atoi(strings.TrimSpace(in.Years))
		switch {
		case err != nil || n < 1:
			errs.Add("years", "Enter how many more years to keep the records, a whole number from 1")
		case n > 100:
			errs.Add("years", "Keep for at most 100 more years")
		case n > MaxExtension && p.Exception == "":
			errs.Add("exception", "Keeping longer than "+strconv.Itoa(MaxExtension)+" years past the minimum needs an exception reason, such as a public inquiry")
		}
		p.Years = n
		if p.Justification == "" {
			errs.Add("justification", "Say why the records must be kept longer")
		}
	default:
		errs.Add("decision", "Choose destroy, keep longer or transfer")
	}
	for _, f := range []struct{ name, v string }{{"justification", p.Justification}, {"exception", p.Exception}} {
		if len(f.v) > 2000 {
			errs.Add(f.name, "Write 2,000 characters or fewer")
		}
	}
	return p, errs.Err()
}

// CheckDisposal says whether a collection in state st (leaving aside a
// decision waiting on it) of a class whose final action is action may be
// destroyed or transferred: never under a hold; destroyed only when due and
// its class is not kept permanently or transferred; transferred when due,
// or at any time for records that go to a place of deposit.
func CheckDisposal(d Decision, st State, action Action) error {
	switch {
	case st == Held:
		return problem.OnField(problem.Conflict, "decision", "A legal hold covers this collection: nothing in it may be destroyed or transferred until the hold is lifted")
	case st == Disposed:
		return problem.New(problem.Conflict, "This collection has been disposed of already")
	case d == Destroy && action == KeepForever:
		return problem.OnField(problem.Invalid, "decision", "Records of this class are kept permanently: transfer them, do not destroy them")
	case d == Destroy && action == Transfer:
		return problem.OnField(problem.Invalid, "decision", "Records of this class go to a place of deposit: transfer them, do not destroy them")
	case d == TransferIt && action == Transfer && (st == DueNow || st == Never):
		return nil
	case st != DueNow:
		return problem.OnField(problem.Invalid, "decision", "Only a collection whose minimum retention has ended can be destroyed or transferred")
	}
	return nil
}

// Approve checks that approver may approve p: a second person, not the one
// who proposed it, and no hold on a disposal.
func Approve(p Proposal, approver string, held bool) error {
	switch {
	case p.Status != "pending":
		return problem.New(problem.Conflict, "This decision has been %s already", p.Status)
	case strings.EqualFold(p.ProposedBy, approver):
		return problem.New(problem.Forbidden, "A second person must approve: you proposed this decision")
	case held && p.Decision != KeepLonger:
		return problem.New(problem.Conflict, "A legal hold covers this collection: the disposal cannot be approved until the hold is lifted")
	}
	return nil
}

// KeepTo is the date an approved decision to keep longer keeps a collection
// to: the years counted from its current due date (or from today, for one
// with none).
func KeepTo(p Proposal, due Due, today time.Time) time.Time {
	from := due.Date
	if due.Never || from.Before(today) {
		from = today
	}
	return addYears(from, p.Years)
}

// Hold stops disposal of the collections it covers until it is lifted.
type Hold struct {
	ID          int64     `json:"id"`
	Org         string    `json:"org_code"`
	Reason      string    `json:"reason"`
	All         bool      `json:"all"`         // every collection of the organisation
	Collections []int64   `json:"collections"` // otherwise these
	PlacedBy    string    `json:"placed_by"`
	PlacedAt    time.Time `json:"placed_at"`
	LiftedBy    string    `json:"lifted_by,omitempty"`
	LiftedAt    time.Time `json:"lifted_at,omitzero"`
	LiftReason  string    `json:"lift_reason,omitempty"`
}

// InForce reports whether the hold has not been lifted.
func (h Hold) InForce() bool { return h.LiftedAt.IsZero() }

// Covers reports whether the hold, in force, covers a collection.
func (h Hold) Covers(id int64) bool {
	return h.InForce() && (h.All || slices.Contains(h.Collections, id))
}

// AnyCovers reports whether any hold in force covers a collection.
func AnyCovers(holds []Hold, id int64) bool {
	return slices.ContainsFunc(holds, func(h Hold) bool { return h.Covers(id) })
}

// NewHold checks a hold before it is placed.
func NewHold(reason string, all bool, collections []int64) (Hold, error) {
	h := Hold{Reason: strings.TrimSpace(reason), All: all, Collections: collections}
	var errs problem.Fields
	switch {
	case h.Reason == "":
		errs.Add("reason", "Say why disposal must stop: the inquiry, complaint or claim")
	case len(h.Reason) > 2000:
		errs.Add("reason", "Write 2,000 characters or fewer")
	}
	if !all && len(collections) == 0 {
		errs.Add("collections", "Choose the collections the hold covers, or every collection")
	}
	return h, errs.Err()
}

// Certificate records a disposal: what, when, on whose decision and
// approval, and by which rule. Certificates are never changed or removed.
type Certificate struct {
	ID            int64     `json:"id"`
	Org           string    `json:"org_code"`
	CollectionID  int64     `json:"collection_id"`
	Collection    string    `json:"collection"`
	Class         string    `json:"class"`
	RecordType    string    `json:"record_type"`
	Location      string    `json:"location"`
	Volume        string    `json:"volume"`
	Decision      Decision  `json:"decision"`
	Basis         string    `json:"basis"`
	Justification string    `json:"justification"`
	ProposedBy    string    `json:"proposed_by"`
	ApprovedBy    string    `json:"approved_by"`
	Note          string    `json:"note,omitempty"` // the approver's
	IssuedAt      time.Time `json:"issued_at"`
}
