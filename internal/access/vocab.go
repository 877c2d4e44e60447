// Package access turns NHS England's "Appointments in General Practice"
// practice-level files into measures of access: how soon patients are seen,
// by whom and how, compared with peers and with a year before. Measures are
// data (filters over the file's dimensions), not code.
package access

import (
	"fmt"
	"strings"
)

// The dimensions of the published file that measures filter on. Each value
// is stored as a small number; the strings are exactly as published.
type (
	Status uint8 // APPT_STATUS
	HCP    uint8 // HCP_TYPE
	Mode   uint8 // APPT_MODE
	Band   uint8 // TIME_BETWEEN_BOOK_AND_APPT
)

// Statuses, HCP types, modes and bands, in the order the publication lists them.
var (
	Statuses = []string{"Attended", "DNA", "Unknown"}
	HCPs     = []string{"GP", "Other Practice staff", "Unknown"}
	Modes    = []string{"Face-to-Face", "Telephone", "Home Visit", "Video Conference/Online", "Unknown"}
	// Bands keep the publication's double spaces before "to".
	Bands = []string{"Same Day", "1 Day", "2 to 7 Days", "8  to 14 Days", "15  to 21 Days", "22  to 28 Days",
		"More than 28 Days", "Unknown / Data Quality"}
	// Categories are the NATIONAL_CATEGORY values; measures do not filter on
	// them, but the import checks them.
	Categories = []string{"General Consultation Routine", "General Consultation Acute", "Clinical Triage", "Planned Clinics",
		"Planned Clinical Procedure", "Unplanned Clinical Activity", "Home Visit", "Care Home Visit",
		"Patient contact during Care Home Round", "Care Home Needs Assessment & Personalised Care and Support Planning",
		"Structured Medication Review", "Service provided by organisation external to the practice", "Social Prescribing Service",
		"Non-contractual chargeable work", "Group Consultation and Group Education", "Walk-in", "Inconsistent Mapping", "Unmapped"}
)

// Band indexes used by the shipped measures.
const (
	SameDay     Band = 0
	OneDay      Band = 1
	UnknownBand Band = 7
)

func lookup(list []string, v string) (int, bool) {
	for i, s := range list {
		if s == v {
			return i, true
		}
	}
	return 0, false
}

func vocabError(field, v string, list []string) error {
	return fmt.Errorf("%s %q is not one of the published values (%s)", field, v, strings.Join(list, ", "))
}

// ParseStatus, ParseHCP, ParseMode, ParseBand and checkCategory read the
// published strings. Values are trimmed at the ends only: inner double
// spaces are part of the vocabulary.
func ParseStatus(v string) (Status, error) {
	if i, ok := lookup(Statuses, v); ok {
		return Status(i), nil
	}
	return 0, vocabError("APPT_STATUS", v, Statuses)
}

func ParseHCP(v string) (HCP, error) {
	if v == "Not Provided" { // very old files
		return HCP(2), nil
	}
	if i, ok := lookup(HCPs, v); ok {
		return HCP(i), nil
	}
	return 0, vocabError("HCP_TYPE", v, HCPs)
}

func ParseMode(v string) (Mode, error) {
	if v == "Video/Online" { // the video mode is published under both names
		return Mode(3), nil
	}
	if i, ok := lookup(Modes, v); ok {
		return Mode(i), nil
	}
	return 0, vocabError("APPT_MODE", v, Modes)
}

func ParseBand(v string) (Band, error) {
	if strings.HasPrefix(v, "Unknown") {
		return UnknownBand, nil
	}
	if i, ok := lookup(Bands, v); ok {
		return Band(i), nil
	}
	return 0, vocabError("TIME_BETWEEN_BOOK_AND_APPT", v, Bands)
}

func checkCategory(v string) error {
	if _, ok := lookup(Categories, v); ok {
		return nil
	}
	return fmt.Errorf("NATIONAL_CATEGORY %q is not one of the published categories", v)
}
