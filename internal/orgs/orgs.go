// Package orgs holds the NHS organisation hierarchy OnePC works in:
// region → ICB → sub-ICB location (Place) → PCN → practice, keyed by ODS codes,
// and reads the ODS files that describe it.
package orgs

import (
	"strings"
	"sync"
	"time"
)

// Kind is an organisation's level in the hierarchy.
type Kind string

const (
	Region   Kind = "region"
	ICB      Kind = "icb"
	Place    Kind = "subicb" // a sub-ICB location, which commissioners call a Place
	PCN      Kind = "pcn"
	Practice Kind = "practice"
)

// Commissions reports whether an organisation of this kind commissions
// services, sets targets and needs weights: a Place (sub-ICB location) or
// an ICB.
func (k Kind) Commissions() bool { return k == Place || k == ICB }

// Level ranks kinds from the bottom of the hierarchy: practice 0, PCN 1,
// Place 2, ICB 3, region 4. Of settings made at several levels, the nearest
// (lowest) applies.
func (k Kind) Level() int {
	switch k {
	case Practice:
		return 0
	case PCN:
		return 1
	case Place:
		return 2
	case ICB:
		return 3
	}
	return 4
}

// ALabel is Label with its article: "an Integrated Care Board", "a GP practice".
func (k Kind) ALabel() string {
	l := k.Label()
	if l != "" && strings.ContainsRune("AEIOU", rune(l[0])) {
		return "an " + l
	}
	return "a " + l
}

// Label is the name people use for a kind.
func (k Kind) Label() string {
	switch k {
	case Region:
		return "Region"
	case ICB:
		return "Integrated Care Board"
	case Place:
		return "Place (sub-ICB location)"
	case PCN:
		return "Primary Care Network"
	case Practice:
		return "GP practice"
	}
	return string(k)
}

// Kinds lists the levels from the top down.
var Kinds = []Kind{Region, ICB, Place, PCN, Practice}

// ODS status codes of a practice.
const (
	StatusActive   = "A"
	StatusClosed   = "C"
	StatusDormant  = "D"
	StatusProposed = "P"
)

// StatusLabel says what an ODS status code means.
func StatusLabel(s string) string {
	switch s {
	case StatusActive, "":
		return "Open"
	case StatusClosed:
		return "Closed"
	case StatusDormant:
		return "Dormant"
	case StatusProposed:
		return "Proposed"
	}
	return s
}

// Org is one organisation. Dates are midnight UTC; a zero date means none.
type Org struct {
	Code       string    `json:"code"`
	Kind       Kind      `json:"kind"`
	Name       string    `json:"name"`
	ParentCode string    `json:"parent_code,omitempty"` // practice/PCN: Place; Place: ICB; ICB: region
	Address    []string  `json:"address,omitempty"`
	Postcode   string    `json:"postcode,omitempty"`
	Status     string    `json:"status"`
	OpenDate   time.Time `json:"open_date,omitzero"`
	CloseDate  time.Time `json:"close_date,omitzero"`
	Phone      string    `json:"phone,omitempty"`
	// Setting is the ODS prescribing setting; 4 is a GP practice.
	Setting int `json:"prescribing_setting,omitempty"`
	// ListSize is the registered list where known, as at ListSizeDate.
	ListSize     int       `json:"list_size,omitempty"`
	ListSizeDate time.Time `json:"list_size_date,omitzero"`
}

// Open reports whether the organisation is open on day d.
func (o Org) Open(d time.Time) bool {
	if o.Status == StatusClosed && o.CloseDate.IsZero() {
		return false
	}
	if !o.OpenDate.IsZero() && d.Before(o.OpenDate) {
		return false
	}
	return o.CloseDate.IsZero() || !d.After(o.CloseDate)
}

// Membership is one spell of a practice in a PCN. End is zero while current;
// Start and End are both inclusive, as ODS publishes them.
type Membership struct {
	PracticeCode string    `json:"practice_code"`
	PracticeName string    `json:"practice_name,omitempty"`
	PCNCode      string    `json:"pcn_code"`
	PCNName      string    `json:"pcn_name,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end,omitzero"`
}

// ActiveOn reports whether the spell covers day d.
func (m Membership) ActiveOn(d time.Time) bool {
	return !d.Before(m.Start) && (m.End.IsZero() || !d.After(m.End))
}

// London is England's time zone, read once (every request asks for today).
var London = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		return loc
	}
	return time.UTC
})

// Today is the calendar date of t in England, as midnight UTC.
func Today(t time.Time) time.Time {
	t = t.In(London())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ParentKind is the kind of organisation one of kind k sits under: a
// practice or PCN in a Place, a Place in an ICB, an ICB in a region ("" for
// a region).
func (k Kind) ParentKind() Kind {
	switch k {
	case Practice, PCN:
		return Place
	case Place:
		return ICB
	case ICB:
		return Region
	}
	return ""
}
