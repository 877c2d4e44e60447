package access

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

// Measure is data: what to count over what, and which way is good.
type Measure struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Why         string    `json:"why"`
	Numerator   Filter    `json:"numerator"`
	Denominator Filter    `json:"denominator"` // unused for Per1000: the registered list is the denominator
	Unit        Unit      `json:"unit"`
	Direction   Direction `json:"direction"`
}

var knownBands = []Band{0, 1, 2, 3, 4, 5, 6}

// Shipped are the measures OnePC starts with.
var Shipped = []Measure{
	{ID: "same-day", Title: "Appointments on the day they were booked", Unit: Percent, Direction: Neutral,
		Description: "Appointments that took place on the day they were booked, as a share of all appointments whose booking time is known.",
		Why:         "Shows how much of a practice's work is on the day; neither high nor low is good on its own.",
		Numerator:   Filter{Bands: []Band{SameDay}}, Denominator: Filter{Bands: knownBands}},
	{ID: "within-1-day", Title: "Appointments within one day of booking", Unit: Percent, Direction: HigherBetter,
		Description: "Appointments on the day of booking or the next, as a share of all appointments whose booking time is known: the old 48-hour standard.",
		Why:         "How quickly patients who ask are seen.",
		Numerator:   Filter{Bands: []Band{SameDay, OneDay}}, Denominator: Filter{Bands: knownBands}},
	{ID: "within-14-days", Title: "Appointments within two weeks of booking", Unit: Percent, Direction: HigherBetter,
		Description: "Appointments within 14 days of booking, as a share of all appointments whose booking time is known.",
		Why:         "The national ambition is that patients who need one get an appointment within two weeks.",
		Numerator:   Filter{Bands: []Band{0, 1, 2, 3}}, Denominator: Filter{Bands: knownBands}},
	{ID: "gp-per-1000", Title: "GP appointments per 1,000 registered patients", Unit: Per1000, Direction: HigherBetter,
		Description: "Attended appointments with a GP in the month, per 1,000 patients on the practice's list that month.",
		Why:         "How much GP time a practice's population gets, whatever its size.",
		Numerator:   Filter{Statuses: []Status{0}, HCPs: []HCP{0}}},
	{ID: "dna-rate", Title: "Appointments not attended (DNA)", Unit: Percent, Direction: LowerBetter,
		Description: "Appointments the patient did not attend, as a share of those attended or not attended.",
		Why:         "Missed appointments are lost capacity.",
		Numerator:   Filter{Statuses: []Status{1}}, Denominator: Filter{Statuses: []Status{0, 1}}},
	{ID: "face-to-face", Title: "Face-to-face appointments", Unit: Percent, Direction: Neutral,
		Description: "Face-to-face appointments as a share of all appointments whose mode is known.",
		Why:         "Patients and commissioners watch the balance between face-to-face and remote care.",
		Numerator:   Filter{Modes: []Mode{0}}, Denominator: Filter{Modes: []Mode{0, 1, 2, 3}}},
	{ID: "gp-share", Title: "Appointments with a GP", Unit: Percent, Direction: Neutral,
		Description: "Appointments with a GP rather than other practice staff, as a share of those whose clinician type is known.",
		Why:         "Shows the practice's skill mix.",
		Numerator:   Filter{HCPs: []HCP{0}}, Denominator: Filter{HCPs: []HCP{0, 1}}},
}

// Empty is true when the filter picks every appointment.
func (f Filter) Empty() bool {
	return len(f.Statuses) == 0 && len(f.HCPs) == 0 && len(f.Modes) == 0 && len(f.Bands) == 0
}
