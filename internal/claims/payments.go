package claims

import "time"

// PaymentRun is one month's payments by one commissioner.
type PaymentRun struct {
	ID           int64     `json:"id"`
	Commissioner string    `json:"commissioner_org"`
	Month        time.Time `json:"month"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	Lines        int       `json:"lines"`
	Pence        int64     `json:"pence"`

	// The ready numbers it pays: above PrevWatermark, up to Watermark.
	PrevWatermark, Watermark int64 `json:"-"`
}

// PaymentLine is one claim paid in a run: a row of the payment schedule.
type PaymentLine struct {
	RunID       int64     `json:"run_id"`
	ClaimID     int64     `json:"claim_id"`
	Org         string    `json:"practice_code"`
	OrgName     string    `json:"practice_name"`
	ServiceCode string    `json:"service_code"`
	ServiceName string    `json:"service_name"`
	Frequency   Frequency `json:"-"`
	Period      time.Time `json:"period_start"`
	Pence       int64     `json:"pence"`
	Reference   string    `json:"payment_reference"`
	Explanation string    `json:"explanation"`
}

// PaymentReference is the reference a practice sees on its bank statement
// for a month's payment: one per organisation per run, such as OPC2609-Y00001.
func PaymentReference(month time.Time, org string) string {
	return "OPC" + month.Format("0601") + "-" + org
}

// ClaimVersion is one submitted version of a claim.
type ClaimVersion struct {
	Version     int              `json:"version"`
	Status      Status           `json:"status"`
	Activity    map[string]int64 `json:"activity"`
	Pence       int64            `json:"pence"`
	Explanation string           `json:"explanation"`
	At          time.Time        `json:"at"`
	By          string           `json:"by"`
}
