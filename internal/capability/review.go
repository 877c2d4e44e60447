package capability

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// Mode is how a review is done.
type Mode string

const (
	Solo        Mode = "solo"        // one person records the levels
	Facilitated Mode = "facilitated" // each team member scores first; the team then agrees
)

// Share is how far up a review has been shared: nowhere, or with the PCN,
// the Place, or the ICB (each level includes those below it).
type Share string

const (
	Private   Share = ""
	WithPCN   Share = "pcn"
	WithPlace Share = "place"
	WithICB   Share = "icb"
)

// Shares lists the choices in order.
var Shares = []Share{Private, WithPCN, WithPlace, WithICB}

// Label says a share in words.
func (s Share) Label() string {
	return map[Share]string{Private: "Private to the organisation", WithPCN: "Shared with the PCN", WithPlace: "Shared with the PCN and the Place",
		WithICB: "Shared with the PCN, the Place and the ICB"}[s]
}

// reach is how far up each share goes.
var reach = map[Share][]orgs.Kind{WithPCN: {orgs.PCN}, WithPlace: {orgs.PCN, orgs.Place}, WithICB: {orgs.PCN, orgs.Place, orgs.ICB}}

// Review is an organisation's review against a framework for a year.
type Review struct {
	ID               int64     `json:"id"`
	Org              string    `json:"org_code"`
	Framework        string    `json:"framework"`
	FrameworkVersion int       `json:"framework_version"`
	Year             int       `json:"year"`
	Mode             Mode      `json:"mode"`
	Closed           bool      `json:"closed"`
	Shared           Share     `json:"shared"`
	StartedBy        string    `json:"started_by"`
	StartedAt        time.Time `json:"started_at"`
	ClosedBy         string    `json:"closed_by,omitempty"`
	ClosedAt         time.Time `json:"closed_at,omitzero"`
}

// NewReview checks a review about to start for an organisation of kind on day today.
func NewReview(f Framework, kind orgs.Kind, year int, mode Mode, today time.Time) (Review, error) {
	var errs problem.Fields
	if !f.Applies(kind) {
		var names []string
		for _, k := range f.AppliesTo {
			names = append(names, k.Label())
		}
		errs.Add("framework", f.Title+" is for a "+strings.Join(names, " or ")+", not a "+kind.Label())
	}
	if year < 2000 || year > today.Year()+1 {
		errs.Add("year", "Enter the year of the review, up to next year")
	}
	if mode != Solo && mode != Facilitated {
		errs.Add("mode", "Choose whether one person records the levels or the team scores in a facilitated session")
	}
	return Review{Framework: f.ID, FrameworkVersion: f.Version, Year: year, Mode: mode}, errs.Err()
}

// CanSee reports whether someone may see an organisation's review: anyone
// who holds a role at the organisation itself (here), and those above only
// as far as it has been shared (above: the kinds of the organisations above
// it where they hold a role). A review is the organisation's own.
func CanSee(r Review, here bool, above []orgs.Kind) bool {
	if here {
		return true
	}
	for _, k := range above {
		if slices.Contains(reach[r.Shared], k) {
			return true
		}
	}
	return false
}

// Score is one team member's level for an item, in a facilitated session.
type Score struct {
	Item   string    `json:"item"`
	Person string    `json:"person"`
	Level  int       `json:"level"`
	At     time.Time `json:"at"`
}

// CheckScore checks a level for an item of an open review.
func CheckScore(f Framework, r Review, item string, level int) error {
	it, ok := f.Item(item)
	switch {
	case r.Closed:
		return problem.New(problem.Conflict, "This review is closed: its levels can no longer change")
	case !ok:
		return problem.OnField(problem.Invalid, "item", "There is no item "+item+" in "+f.Title)
	case !f.ScaleOf(it).Has(level):
		s := f.ScaleOf(it)
		return problem.OnField(problem.Invalid, "level", "Choose a level from "+strconv.Itoa(s.Min())+" to "+strconv.Itoa(s.Max()))
	}
	return nil
}

// Spread is how a team's scores for an item are spread, shown before the
// team agrees a level.
type Spread struct {
	N      int         `json:"n"`
	Min    int         `json:"min"`
	Max    int         `json:"max"`
	Median float64     `json:"median"`
	Counts map[int]int `json:"counts"` // level → how many chose it
}

// SpreadOf summarises scores (all for one item).
func SpreadOf(scores []Score) Spread {
	s := Spread{Counts: map[int]int{}}
	var levels []int
	for _, sc := range scores {
		levels = append(levels, sc.Level)
		s.Counts[sc.Level]++
	}
	if len(levels) == 0 {
		return s
	}
	slices.Sort(levels)
	s.N, s.Min, s.Max = len(levels), levels[0], levels[len(levels)-1]
	if len(levels)%2 == 1 {
		s.Median = float64(levels[len(levels)/2])
	} else {
		s.Median = float64(levels[len(levels)/2-1]+levels[len(levels)/2]) / 2
	}
	return s
}

// Agreed is the level the team agreed for an item, with why and on what evidence.
type Agreed struct {
	Item       string `json:"item"`
	Level      int    `json:"level"`
	Rationale  string `json:"rationale"`
	Confidence string `json:"confidence"` // low, medium, high
	Note       string `json:"evidence_note,omitempty"`
	Link       string `json:"evidence_link,omitempty"`
	Measure    string `json:"evidence_measure,omitempty"`
	Snapshot   string `json:"measure_snapshot,omitempty"` // the measure's value when the review closed
	PanelLevel int    `json:"panel_level,omitempty"`      // a moderating panel's level, kept beside the self-assessed one
	PanelNote  string `json:"panel_note,omitempty"`
	AgreedBy   string `json:"agreed_by"`
}

// Confidences are the confidence choices.
var Confidences = []string{"low", "medium", "high"}

// CheckAgreed tidies and checks an agreed level.
func CheckAgreed(f Framework, r Review, a Agreed, measureKnown func(string) bool) (Agreed, error) {
	a.Rationale, a.Note, a.Link = strings.TrimSpace(a.Rationale), strings.TrimSpace(a.Note), strings.TrimSpace(a.Link)
	if err := CheckScore(f, r, a.Item, a.Level); err != nil {
		return a, err
	}
	var errs problem.Fields
	if a.Rationale == "" {
		errs.Add("rationale", "Say why the team agreed this level")
	}
	if !slices.Contains(Confidences, a.Confidence) {
		errs.Add("confidence", "Choose how confident the team is: low, medium or high")
	}
	if a.Link != "" {
		if u, err := url.Parse(a.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.Add("link", "Enter a link starting https://")
		}
	}
	if a.Measure != "" && measureKnown != nil && !measureKnown(a.Measure) {
		errs.Add("measure", "There is no OnePC measure "+a.Measure)
	}
	for _, fld := range []struct{ name, v string }{{"rationale", a.Rationale}, {"note", a.Note}, {"link", a.Link}} {
		if len([]rune(fld.v)) > 2000 {
			errs.Add(fld.name, "Write 2,000 characters or fewer")
		}
	}
	return a, errs.Err()
}

// CheckClose says whether a review can close: open, with every item agreed.
func CheckClose(f Framework, r Review, agreed map[string]Agreed) error {
	if r.Closed {
		return problem.New(problem.Conflict, "This review is closed already")
	}
	var missing []string
	for _, it := range f.Items() {
		if _, ok := agreed[it.Code]; !ok {
			missing = append(missing, it.Code)
		}
	}
	if len(missing) > 0 {
		return problem.New(problem.Invalid, "Agree a level for every item before closing: %d still open (%s)", len(missing), strings.Join(missing, ", "))
	}
	return nil
}

// MaxEvidenceBytes bounds an evidence file.
const MaxEvidenceBytes = 10 << 20

// EvidenceTypes are the files accepted as evidence, by what their first
// bytes say they are (never by their name): PDF, PNG, JPEG, and Office
// documents (zip containers).
var EvidenceTypes = []struct {
	Magic, ContentType, Label string
}{
	{"%PDF-", "application/pdf", "PDF"},
	{"\x89PNG\r\n\x1a\n", "image/png", "PNG image"},
	{"\xff\xd8\xff", "image/jpeg", "JPEG image"},
	{"PK\x03\x04", "application/octet-stream", "Word, Excel or PowerPoint document"},
}

// CheckEvidence says what kind of file data is, or why it is refused.
func CheckEvidence(r Review, data []byte) (string, error) {
	switch {
	case r.Closed:
		return "", problem.New(problem.Conflict, "This review is closed: its evidence can no longer change")
	case len(data) == 0:
		return "", problem.OnField(problem.Invalid, "file", "Choose a file")
	case len(data) > MaxEvidenceBytes:
		return "", problem.OnField(problem.Invalid, "file", "The file must be 10 MB or smaller")
	}
	for _, t := range EvidenceTypes {
		if strings.HasPrefix(string(data), t.Magic) {
			return t.ContentType, nil
		}
	}
	return "", problem.OnField(problem.Invalid, "file", "The file must be a PDF, a PNG or JPEG image, or a Word, Excel or PowerPoint document")
}
