package plans

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/problem"
)

// Objective is an adopted priority made part of the plan, owned by one
// organisation.
type Objective struct {
	ID         int64        `json:"id"`
	Round      int64        `json:"round"`
	Priority   int64        `json:"priority"`
	Title      string       `json:"title"`
	Owner      string       `json:"owner"` // an organisation's ODS code
	OwnerName  string       `json:"owner_name"`
	Actions    []PlanAction `json:"actions"`
	Indicators []Indicator  `json:"indicators"`
}

// PlanAction is a step towards an objective, with an owner and a due date.
type PlanAction struct {
	ID        int64     `json:"id"`
	Objective int64     `json:"objective"`
	Title     string    `json:"title"`
	Owner     string    `json:"owner"` // an organisation's ODS code
	OwnerName string    `json:"owner_name"`
	Person    string    `json:"person"` // who does it, in words
	Due       time.Time `json:"due"`
	Done      bool      `json:"done"`
}

// CheckAction checks an action's fields.
func CheckAction(a PlanAction) error {
	var errs problem.Fields
	if _, f := PlainText("action_title", "what will be done", a.Title, 200, true); f != nil {
		errs = append(errs, *f)
	}
	if _, f := PlainText("person", "who does it", a.Person, 120, false); f != nil {
		errs = append(errs, *f)
	}
	if a.Due.IsZero() {
		errs.Add("due", "Enter the date it is due, like 2027-09-30")
	}
	return errs.Err()
}

// ChecklistItem is a statutory step that must be done before the plan can
// be frozen for signing ("Health and Wellbeing Board opinion received").
type ChecklistItem struct {
	ID     int64     `json:"id"`
	Title  string    `json:"title"`
	DoneBy string    `json:"done_by,omitempty"`
	DoneAt time.Time `json:"done_at"`
	Note   string    `json:"note,omitempty"`
}

// Done says whether the step is ticked.
func (c ChecklistItem) Done() bool { return c.DoneBy != "" }

// Version is one version of the plan's text.
type Version struct {
	N      int       `json:"n"`
	Body   string    `json:"body"` // Markdown, rendered safely
	SHA256 string    `json:"sha256"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Frozen bool      `json:"frozen"` // frozen for signing: its hash is what signatories sign
}

// Hash is the SHA-256 of a plan text, as hex: what a signature names.
func Hash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

// CheckBody checks the plan's text.
func CheckBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return problem.OnField(problem.Invalid, "body", "Write the plan's text")
	}
	if len(body) > 200_000 {
		return problem.OnField(problem.Invalid, "body", "The plan's text must be 200,000 characters or fewer")
	}
	if pos, what := problem.BadRune(body); pos > 0 {
		return problem.OnField(problem.Invalid, "body", fmt.Sprintf("The plan's text holds %s at character %d, which cannot be saved", what, pos))
	}
	return nil
}

// CanFreeze says whether a version may be frozen for signing: every
// required statutory step done.
func CanFreeze(items []ChecklistItem) error {
	var open []string
	for _, it := range items {
		if !it.Done() {
			open = append(open, "\""+it.Title+"\"")
		}
	}
	if len(open) > 0 {
		return problem.New(problem.Conflict, "The plan cannot be frozen for signing until these required steps are done: %s.", strings.Join(open, ", "))
	}
	return nil
}

// Signature is a constituency member's signature on one version.
type Signature struct {
	Version      int              `json:"version"`
	SHA256       string           `json:"sha256"`
	Constituency ConstituencyKind `json:"constituency"`
	Member       string           `json:"member"` // the organisation signed for, or "guest:<id>"
	MemberName   string           `json:"member_name"`
	Signer       string           `json:"signer"`
	At           time.Time        `json:"at"`
}

// Standing is how far one constituency is towards adoption.
type Standing struct {
	Kind    ConstituencyKind `json:"kind"`
	Signed  int              `json:"signed"`
	Members int              `json:"members"`
	NeedNum int              `json:"need_num"`
	NeedDen int              `json:"need_den"`
	Met     bool             `json:"met"`
}

// Adoption works out, for the version frozen for signing, whether every
// constituency has signed in the share the rule asks. members is each
// constituency's member count (organisations, or signatory guests).
func Adoption(r Round, members map[ConstituencyKind]int, sigs []Signature, hash string) (bool, []Standing) {
	signed := map[ConstituencyKind]map[string]bool{}
	for _, s := range sigs {
		if s.SHA256 != hash {
			continue // a signature on another version does not count
		}
		if signed[s.Constituency] == nil {
			signed[s.Constituency] = map[string]bool{}
		}
		signed[s.Constituency][s.Member] = true
	}
	all := true
	var out []Standing
	for _, c := range r.Constituencies {
		st := Standing{Kind: c.Kind, Signed: len(signed[c.Kind]), Members: members[c.Kind], NeedNum: c.NeedNum, NeedDen: c.NeedDen}
		// signed/members ≥ num/den, in whole numbers; a constituency
		// with no members cannot meet a rule that needs it.
		st.Met = c.NeedNum == 0 || (st.Members > 0 && st.Signed*c.NeedDen >= c.NeedNum*st.Members)
		all = all && st.Met
		out = append(out, st)
	}
	return all && hash != "", out
}

// DiffLine is a line of a comparison of two versions.
type DiffLine struct {
	Op   string `json:"op"` // " " same, "-" removed, "+" added
	Text string `json:"text"`
}

// Diff compares two texts line by line (longest common subsequence).
// Plans are a few hundred lines, so the quadratic table is small.
func Diff(a, b string) []DiffLine {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x)*len(y) > 4_000_000 {
		return []DiffLine{{Op: "-", Text: fmt.Sprintf("(%d lines)", len(x))}, {Op: "+", Text: fmt.Sprintf("(%d lines: too long to compare line by line)", len(y))}}
	}
	lcs := make([][]int32, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, DiffLine{" ", x[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{"-", x[i]})
			i++
		default:
			out = append(out, DiffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, DiffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, DiffLine{"+", y[j]})
	}
	return out
}

// Rollup counts objectives by RAG for one organisation and everything below
// it: a practice's own, a PCN's with its practices', and so on.
type Rollup struct {
	Org        string         `json:"org"`
	OrgName    string         `json:"org_name"`
	Objectives int            `json:"objectives"`
	RAG        map[string]int `json:"rag"` // indicators by "green", "amber", "red", "awaiting"
}

// Roll counts, for each organisation in order, the objectives owned at or
// below it (below says whether an objective's owner is at or below it) and
// their indicators' RAG.
func Roll(orgsInOrder []string, names map[string]string, objs []Objective, rag map[int64]string, below func(owner, org string) bool) []Rollup {
	var out []Rollup
	for _, o := range orgsInOrder {
		ru := Rollup{Org: o, OrgName: names[o], RAG: map[string]int{}}
		for _, obj := range objs {
			if !below(obj.Owner, o) {
				continue
			}
			ru.Objectives++
			for _, ind := range obj.Indicators {
				ru.RAG[rag[ind.ID]]++
			}
		}
		out = append(out, ru)
	}
	return slices.DeleteFunc(out, func(r Rollup) bool { return r.Objectives == 0 })
}
