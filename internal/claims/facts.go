package claims

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/problem"
)

// List is a practice's registered list as a capitation payment reads it:
// from the newest extract on or before the period's first day. A PCN's is
// the sum of the lists of the practices that were its members on that day
// (Members of them, On it), so a practice that moves PCN counts for the
// new one from the change.
type List struct {
	Extract     time.Time
	Patients    int64
	Weighted    int64
	HasWeighted bool // false where the age breakdown is missing
	Members     int
	On          time.Time
}

// NeedsList reports whether pricing s needs the claimant's registered list:
// capitation pays per patient (a practice's own list, or a PCN's members').
// Where no list is loaded the claim declares one instead.
func (s Service) NeedsList() bool {
	return s.Rule.Kind == payrules.Capitation
}

// FactsFor gathers what pricing needs beyond the claim: the list (nil when
// none is needed or loaded), and the days the organisation was signed up
// (from its offer's start) and open (until it closed).
func FactsFor(list *List, offer *Offer, closed time.Time) Facts {
	var f Facts
	if list != nil {
		f.Patients, f.Weighted, f.HasWeighted, f.PatientsKnown = list.Patients, list.Weighted, list.HasWeighted, true
		f.PatientsNote = "registered on " + list.Extract.Format("2 January 2006")
		if list.Members > 0 {
			f.PatientsNote = fmt.Sprintf("registered with the %s that were members on %s", plural(list.Members, "practice", "practices"), list.On.Format("2 January 2006"))
		}
	}
	if offer != nil && !offer.Start.IsZero() {
		f.ActiveFrom = offer.Start
	}
	f.ActiveTo = closed
	return f
}

// plural is n with its noun, singular or plural.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// PrepareAmend checks a corrected version of a claim and prices it: the
// claim must be amendable, every field filled in, and the declaration made
// where the service asks. Problems name their form fields.
//
// Figures far out of the ordinary (Unusual, against u) need the submitter's
// reason, as on a return; the returned flag is for the reviewer.
func PrepareAmend(cl Claim, s Service, raw map[string]string, declared bool, f Facts, u Usual, reason string) (map[string]int64, payrules.Result, string, error) {
	if err := CheckAmend(cl); err != nil {
		return nil, payrules.Result{}, "", err
	}
	if s.IsWithdrawn() {
		return nil, payrules.Result{}, "", problem.New(problem.Conflict, "%s was withdrawn on %s, so its claims can no longer be amended", s.Name, s.Withdrawn.Format("2 January 2006"))
	}
	act, errs := ParseActivity(s, raw, true)
	if s.NeedsDeclaration && !declared {
		errs.Add("declaration", "Confirm the declaration before you submit")
	}
	unusual := Unusual(s, act, u)
	if len(errs) == 0 && len(unusual) > 0 && utf8.RuneCountInString(strings.TrimSpace(reason)) < MinUnusualReason {
		errs.Add(FieldName(s.Code, firstKey(s)), fmt.Sprintf("%s: %s. If the figure is right, say why (at least %d characters): your commissioner will see it",
			s.Name, strings.Join(unusual, "; "), MinUnusualReason))
	}
	if len(errs) > 0 {
		return nil, payrules.Result{}, "", &problem.Error{Kind: problem.Invalid, Message: "The amendment was not saved", Fields: errs}
	}
	res, err := Price(s, cl.Period, act, f)
	return act, res, Flag(unusual, reason), err
}

// Openness is how a service stands to a practice or PCN.
type Openness struct {
	Open   bool // it may see and take part in it: claimable apart from sign-up, or offered it
	Active bool // it may claim it now
}

// OpenTo says how s stands to org (a PCN when isPCN): chain is org and the
// organisations above it, offer its sign-up (nil when none).
func (s Service) OpenTo(org string, isPCN bool, chain []string, offer *Offer) Openness {
	if s.Draft || s.IsWithdrawn() {
		return Openness{}
	}
	signUpAside := s
	signUpAside.SignUp = false
	return Openness{
		Open:   offer != nil || signUpAside.Eligible(org, isPCN, chain, nil),
		Active: s.Eligible(org, isPCN, chain, offer),
	}
}

// OpenYears are the financial years whose services a practice or PCN sees
// on a day: the next one first (so sign-ups for April show), then this one.
func OpenYears(today time.Time) []int {
	fy := FinancialYear(today)
	return []int{fy + 1, fy}
}

// SignUpStart is the day a sign-up made today takes effect: today, or the
// service's first day when it has not begun.
func (s Service) SignUpStart(today time.Time) time.Time {
	if from := s.Runs().From; today.Before(from) {
		return from
	}
	return today
}

// CheckOfferStart checks a start a commissioner sets on an offer: a day the
// service runs.
func (s Service) CheckOfferStart(from time.Time) error {
	if runs := s.Runs(); from.Before(runs.From) || from.After(runs.To) {
		return problem.BadField("from", "The start must be a day %s runs, from %s to %s", s.Name, runs.From.Format("2 January 2006"), runs.To.Format("2 January 2006"))
	}
	return nil
}

// Respond answers a pending offer: accepted from start (or from the start
// the commissioner set on the offer, which wins), or declined. An offer
// already answered cannot be answered again.
func (o Offer) Respond(accept bool, start time.Time) (Offer, error) {
	if o.Status != Pending {
		word := map[OfferStatus]string{Active: "accepted", Declined: "declined"}[o.Status]
		return o, problem.New(problem.Conflict, "This offer has already been %s", word)
	}
	next := o
	next.Status, next.Start = Declined, time.Time{}
	if accept {
		next.Status, next.Start = Active, start
		if !o.From.IsZero() {
			next.Start = o.From
		}
	}
	return next, nil
}

// Offerable says whether s may be offered to o (chain is o and those above
// it, today): o must be open, and able to claim s but for signing up.
func (s Service) Offerable(o orgs.Org, chain []string, today time.Time) error {
	switch {
	case s.Draft:
		return problem.BadField("orgs", "%s is a draft: publish it before offering it", s.Name)
	case s.IsWithdrawn():
		return problem.New(problem.Conflict, "%s was withdrawn on %s, so it cannot be offered", s.Name, s.Withdrawn.Format("2 January 2006"))
	case !o.Open(today):
		return problem.BadField("orgs", "%s (%s) is closed, so it cannot be offered %s", o.Name, o.Code, s.Name)
	case !s.OpenTo(o.Code, o.Kind == orgs.PCN, chain, nil).Open:
		return problem.BadField("orgs", "%s (%s) cannot claim %s, so it cannot be offered it: check who the service is for", o.Name, o.Code, s.Name)
	}
	return nil
}

// CheckEnd checks a new last day for a service, set on today: a day it
// runs, and not before today (claims already made for the days after would
// be stranded).
func (s Service) CheckEnd(ends, today time.Time) error {
	runs := s.Runs()
	switch {
	case s.IsWithdrawn():
		return problem.New(problem.Conflict, "%s was withdrawn on %s: it is claimed for no period", s.Name, s.Withdrawn.Format("2 January 2006"))
	case ends.Before(today):
		return problem.BadField("ends_on", "A service cannot end before today (%s): practices may have claimed for the days since", today.Format("2 January 2006"))
	case ends.Before(runs.From) || ends.After(runs.To):
		return problem.BadField("ends_on", "The end must be a day %s runs, from %s to %s", s.Name, runs.From.Format("2 January 2006"), runs.To.Format("2 January 2006"))
	}
	return nil
}

// MaxNote is the most a practice's words beside a claim may hold: its
// answer to a query, or its reason for an unusual figure.
const MaxNote = 2000

// CheckReply tidies a practice's answer to its commissioner's query, sent
// with the amended claim: only a queried claim takes one.
func CheckReply(cl Claim, reply string) (string, error) {
	reply = strings.TrimSpace(reply)
	switch {
	case reply == "":
		return "", nil
	case cl.Status != Queried:
		return "", problem.OnField(problem.Invalid, "reply", "This claim has no query to answer: say why a figure is unusual in the box for that instead")
	case utf8.RuneCountInString(reply) > MaxNote:
		return "", problem.OnField(problem.Invalid, "reply", fmt.Sprintf("Keep the answer to %d characters or fewer", MaxNote))
	}
	return reply, nil
}
