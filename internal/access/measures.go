package access

import "time"

// Filter picks appointments by the file's dimensions; an empty list means
// every value of that dimension.
type Filter struct {
	Statuses []Status `json:"statuses,omitempty"`
	HCPs     []HCP    `json:"hcp_types,omitempty"`
	Modes    []Mode   `json:"modes,omitempty"`
	Bands    []Band   `json:"bands,omitempty"`
}

// Unit says what a measure's value is.
type Unit string

const (
	Percent Unit = "percent" // numerator ÷ denominator × 100
	Per1000 Unit = "per1000" // numerator per 1,000 registered patients
)

// Direction says whether a higher value is better.
type Direction string

const (
	HigherBetter Direction = "higher"
	LowerBetter  Direction = "lower"
	Neutral      Direction = "neutral"
)

// Base says what a percentage is a share of.
type Base string

const (
	// AllAppointments: every appointment, those with an unknown value in
	// the measured dimension included. NHS England's publication reports
	// each category as a share of all appointments (see Source).
	AllAppointments Base = "all"
	// KnownOnly: only appointments whose value in the measured dimension is
	// known; unknowns are left out of numerator and denominator alike.
	KnownOnly Base = "known"
	// Chosen: a denominator of the measure's own choosing.
	Chosen Base = "chosen"
)

// Source is NHS England's description of the publication the measures are
// computed from, which reports each category as a share of all
// appointments, unknowns ("Unknown / Data Quality") included.
const Source = "https://digital.nhs.uk/data-and-information/publications/statistical/appointments-in-general-practice/appointments-in-general-practice-supporting-information"

// Measure is data: what to count over what, and which way is good.
type Measure struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Why         string    `json:"why"`
	Numerator   Filter    `json:"numerator"`
	Denominator Filter    `json:"denominator"` // unused for Per1000: the registered list is the denominator
	Base        Base      `json:"base,omitempty"`
	Unit        Unit      `json:"unit"`
	Direction   Direction `json:"direction"`
	Quality     bool      `json:"data_quality,omitempty"` // a measure of how well the appointment book is mapped
	// Set from the measures table, not part of the definition.
	Builtin       bool      `json:"builtin,omitempty"`
	CreatedBy     string    `json:"created_by,omitempty"`
	Retired       time.Time `json:"retired_at,omitzero"`
	RetiredReason string    `json:"retired_reason,omitempty"`
}

// Suffix is written after a value of the unit: "%" or " per 1,000".
func (u Unit) Suffix() string {
	if u == Per1000 {
		return " per 1,000"
	}
	return "%"
}

// BaseText says in words what the measure's percentage is a share of.
func (m Measure) BaseText() string {
	switch {
	case m.Unit == Per1000:
		return "per 1,000 patients on the practice's registered list that month"
	case m.Base == AllAppointments || m.Base == "" && m.Denominator.Empty():
		return "a share of all appointments, those recorded as unknown included (NHS England's method)"
	case m.Base == KnownOnly:
		return "a share of the appointments whose " + m.knownOf() + " is known: unknowns are left out"
	}
	return "a share of the appointments its denominator picks"
}

// knownOf names the dimension a known-only measure leaves unknowns out of.
func (m Measure) knownOf() string {
	switch {
	case len(m.Denominator.Bands) > 0:
		return "time from booking"
	case len(m.Denominator.Statuses) > 0:
		return "attendance"
	case len(m.Denominator.Modes) > 0:
		return "mode"
	case len(m.Denominator.HCPs) > 0:
		return "clinician type"
	}
	return "value"
}

// Test names the significance test Verdict uses for the measure.
func (m Measure) Test() string {
	if m.Unit == Per1000 {
		return "a test of two Poisson rates (the appointment counts over the registered lists), at 95%"
	}
	return "a two-proportion z-test, at 95%"
}

// TestName is Test in a few words, for a table.
func (m Measure) TestName() string {
	if m.Unit == Per1000 {
		return "Poisson rate test"
	}
	return "two-proportion z-test"
}

var (
	knownBands    = []Band{0, 1, 2, 3, 4, 5, 6}
	knownStatuses = []Status{0, 1}
	knownModes    = []Mode{0, 1, 2, 3}
	knownHCPs     = []HCP{0, 1}
)

// Shipped are the measures OnePC starts with: the seven as NHS England
// counts them (a share of all appointments), the same with unknowns left
// out where that is useful, and four of how well the appointment book is
// mapped. Their definitions are updated on start-up, and their values
// worked out again, when a release changes them.
var Shipped = []Measure{
	{ID: "same-day", Title: "Appointments on the day they were booked", Unit: Percent, Direction: Neutral, Base: AllAppointments,
		Description: "Appointments that took place on the day they were booked, as a share of all appointments.",
		Why:         "Shows how much of a practice's work is on the day; neither high nor low is good on its own.",
		Numerator:   Filter{Bands: []Band{SameDay}}},
	{ID: "within-1-day", Title: "Appointments within one day of booking", Unit: Percent, Direction: HigherBetter, Base: AllAppointments,
		Description: "Appointments on the day of booking or the next, as a share of all appointments: the old 48-hour standard.",
		Why:         "How quickly patients who ask are seen.",
		Numerator:   Filter{Bands: []Band{SameDay, OneDay}}},
	{ID: "within-14-days", Title: "Appointments within two weeks of booking", Unit: Percent, Direction: HigherBetter, Base: AllAppointments,
		Description: "Appointments within 14 days of booking, as a share of all appointments.",
		Why:         "The national ambition is that patients who need one get an appointment within two weeks.",
		Numerator:   Filter{Bands: []Band{0, 1, 2, 3}}},
	{ID: "gp-per-1000", Title: "GP appointments per 1,000 registered patients", Unit: Per1000, Direction: HigherBetter,
		Description: "Attended appointments with a GP in the month, per 1,000 patients on the practice's list that month.",
		Why:         "How much GP time a practice's population gets, whatever its size.",
		Numerator:   Filter{Statuses: []Status{0}, HCPs: []HCP{0}}},
	{ID: "dna-rate", Title: "Appointments not attended (DNA)", Unit: Percent, Direction: LowerBetter, Base: AllAppointments,
		Description: "Appointments the patient did not attend, as a share of all appointments.",
		Why:         "Missed appointments are lost capacity.",
		Numerator:   Filter{Statuses: []Status{1}}},
	{ID: "face-to-face", Title: "Face-to-face appointments", Unit: Percent, Direction: Neutral, Base: AllAppointments,
		Description: "Face-to-face appointments as a share of all appointments.",
		Why:         "Patients and commissioners watch the balance between face-to-face and remote care.",
		Numerator:   Filter{Modes: []Mode{0}}},
	{ID: "gp-share", Title: "Appointments with a GP", Unit: Percent, Direction: Neutral, Base: AllAppointments,
		Description: "Appointments with a GP rather than other practice staff, as a share of all appointments.",
		Why:         "Shows the practice's skill mix.",
		Numerator:   Filter{HCPs: []HCP{0}}},

	{ID: "within-14-days-known", Title: "Appointments within two weeks of booking (known booking times only)", Unit: Percent, Direction: HigherBetter, Base: KnownOnly,
		Description: "Appointments within 14 days of booking, as a share of the appointments whose time from booking is known.",
		Why:         "Compares practices whose appointment books are mapped differently: unknown booking times do not pull the share down.",
		Numerator:   Filter{Bands: []Band{0, 1, 2, 3}}, Denominator: Filter{Bands: knownBands}},
	{ID: "same-day-known", Title: "Appointments on the day they were booked (known booking times only)", Unit: Percent, Direction: Neutral, Base: KnownOnly,
		Description: "Appointments on the day they were booked, as a share of the appointments whose time from booking is known.",
		Why:         "The same-day share where booking times are poorly recorded.",
		Numerator:   Filter{Bands: []Band{SameDay}}, Denominator: Filter{Bands: knownBands}},
	{ID: "dna-rate-known", Title: "Appointments not attended (DNA), of those attended or not", Unit: Percent, Direction: LowerBetter, Base: KnownOnly,
		Description: "Appointments the patient did not attend, as a share of those recorded as attended or not attended.",
		Why:         "The DNA rate practices usually quote: appointments whose outcome is unknown are left out.",
		Numerator:   Filter{Statuses: []Status{1}}, Denominator: Filter{Statuses: knownStatuses}},
	{ID: "face-to-face-known", Title: "Face-to-face appointments (known modes only)", Unit: Percent, Direction: Neutral, Base: KnownOnly,
		Description: "Face-to-face appointments as a share of the appointments whose mode is known.",
		Why:         "The face-to-face balance where modes are poorly recorded.",
		Numerator:   Filter{Modes: []Mode{0}}, Denominator: Filter{Modes: knownModes}},
	{ID: "gp-share-known", Title: "Appointments with a GP (known clinician types only)", Unit: Percent, Direction: Neutral, Base: KnownOnly,
		Description: "Appointments with a GP, as a share of the appointments whose clinician type is known.",
		Why:         "The skill mix where clinician types are poorly recorded.",
		Numerator:   Filter{HCPs: []HCP{0}}, Denominator: Filter{HCPs: knownHCPs}},

	{ID: "unknown-booking-time", Title: "Data quality: appointments with an unknown time from booking", Unit: Percent, Direction: LowerBetter, Base: AllAppointments, Quality: true,
		Description: "Appointments recorded as \"Unknown / Data Quality\" for the time between booking and appointment, as a share of all appointments.",
		Why:         "How well the practice's appointment book is mapped: a high share makes its booking-time measures unreliable.",
		Numerator:   Filter{Bands: []Band{UnknownBand}}},
	{ID: "unknown-clinician", Title: "Data quality: appointments with an unknown clinician type", Unit: Percent, Direction: LowerBetter, Base: AllAppointments, Quality: true,
		Description: "Appointments whose clinician type is \"Unknown\", as a share of all appointments.",
		Why:         "How well the appointment book's slots are mapped to staff: a high share makes the GP measures unreliable.",
		Numerator:   Filter{HCPs: []HCP{2}}},
	{ID: "unknown-mode", Title: "Data quality: appointments with an unknown mode", Unit: Percent, Direction: LowerBetter, Base: AllAppointments, Quality: true,
		Description: "Appointments whose mode is \"Unknown\", as a share of all appointments.",
		Why:         "How well slot types are mapped: a high share makes the face-to-face measures unreliable.",
		Numerator:   Filter{Modes: []Mode{4}}},
	{ID: "unknown-status", Title: "Data quality: appointments with an unknown status", Unit: Percent, Direction: LowerBetter, Base: AllAppointments, Quality: true,
		Description: "Appointments recorded as neither attended nor not attended (\"Unknown\"), as a share of all appointments.",
		Why:         "How well outcomes are recorded: a high share makes the DNA and attended measures unreliable.",
		Numerator:   Filter{Statuses: []Status{2}}},
}

// Empty is true when the filter picks every appointment.
func (f Filter) Empty() bool {
	return len(f.Statuses) == 0 && len(f.HCPs) == 0 && len(f.Modes) == 0 && len(f.Bands) == 0
}
