package plans

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/problem"
)

// Status is where a priority stands.
type Status string

const (
	Open     Status = "open"     // proposed, being endorsed and decided on
	Merged   Status = "merged"   // folded into another (MergedInto)
	Split    Status = "split"    // divided into others (their SplitFrom)
	Declined Status = "declined" // turned down by the moderator, with a reason
	Chosen   Status = "adopted"  // adopted into the plan: counts against the cap
	Dropped  Status = "dropped"  // adopted once, then taken out
)

// Label is the status for people.
func (s Status) Label() string {
	switch s {
	case Open:
		return "Open"
	case Merged:
		return "Merged"
	case Split:
		return "Split"
	case Declined:
		return "Declined"
	case Chosen:
		return "Adopted"
	case Dropped:
		return "Dropped"
	}
	return string(s)
}

// Priority is something a round may adopt.
type Priority struct {
	ID           int64            `json:"id"`
	Round        int64            `json:"round"`
	Title        string           `json:"title"`
	Problem      string           `json:"problem"`
	Constituency ConstituencyKind `json:"constituency"`
	ProposedBy   string           `json:"-"` // who proposed it, as the audit log names them: never shown to others

	ProposerName string     `json:"proposer_name"`
	Status       Status     `json:"status"`
	Reason       string     `json:"reason,omitempty"`      // why declined or dropped
	MergedInto   int64      `json:"merged_into,omitempty"` // when Merged
	SplitFrom    int64      `json:"split_from,omitempty"`  // the priority it was split out of
	Endorsements int        `json:"endorsements"`
	Evidence     []Evidence `json:"evidence"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Evidence attaches a figure OnePC holds to a priority: an access measure
// or the registered population, for an organisation.
type Evidence struct {
	Kind    IndicatorKind `json:"kind"`
	Measure string        `json:"measure,omitempty"` // for a measure
	Org     string        `json:"org"`
}

// htmlTag finds markup in what should be plain words: a tag, or a script
// address. Pages escape everything anyway; refusing it says so plainly
// instead of showing a reader the code.
var htmlTag = regexp.MustCompile(`(?i)<\s*/?\s*[a-z!]|javascript:|data:text/html`)

// PlainText checks free text: within limit characters, without markup.
func PlainText(field, label, s string, limit int, required bool) (string, *problem.Field) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		return s, &problem.Field{Name: field, Message: "Enter " + label}
	case n > limit:
		return s, &problem.Field{Name: field, Message: fmt.Sprintf("%s must be %d characters or fewer (it has %d)", Capital(label), limit, n)}
	}
	if m := htmlTag.FindString(s); m != "" {
		return s, &problem.Field{Name: field, Message: fmt.Sprintf("%s holds %q, which looks like web page code: write it in plain words", Capital(label), m)}
	}
	if pos, what := problem.BadRune(s); pos > 0 {
		return s, &problem.Field{Name: field, Message: fmt.Sprintf("%s holds %s at character %d, which cannot be saved", Capital(label), what, pos)}
	}
	return s, nil
}

// Capital gives s a capital first letter (after a leading "a " or "the ").
func Capital(s string) string {
	if s == "" {
		return s
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "a "), "the ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// NewPriority checks a proposal's title and problem.
func NewPriority(title, problemText string) (Priority, error) {
	var errs problem.Fields
	t, f := PlainText("title", "a title", title, 120, true)
	if f != nil {
		errs = append(errs, *f)
	}
	p, f := PlainText("problem", "the problem in plain words", problemText, 4000, true)
	if f != nil {
		errs = append(errs, *f)
	}
	if err := errs.Err(); err != nil {
		return Priority{}, err
	}
	return Priority{Title: t, Problem: p, Status: Open}, nil
}

// CanAdopt says whether one more priority may be adopted when adopted
// already are, under cap.
func CanAdopt(adopted, cap int) error {
	if adopted >= cap {
		return problem.New(problem.Conflict,
			"This plan may adopt at most %d priorities and %d are adopted: drop one first, or change the most the plan may adopt, giving a reason. Plans fail by trying to do everything.", cap, adopted)
	}
	return nil
}

// CheckCap says whether the most priorities may be set to cap while
// adopted are adopted.
func CheckCap(cap, adopted int) error {
	switch {
	case cap < 1 || cap > MaxCap:
		return problem.OnField(problem.Invalid, "cap", fmt.Sprintf("The most priorities must be from 1 to %d", MaxCap))
	case cap < adopted:
		return problem.OnField(problem.Invalid, "cap", fmt.Sprintf("%d priorities are adopted already: drop some before lowering the most to %d", adopted, cap))
	}
	return nil
}

// CheckMerge says whether others may be folded into keep.
func CheckMerge(keep int64, others []int64) error {
	if len(others) == 0 || slices.Contains(others, keep) {
		return problem.OnField(problem.Invalid, "into", "Give the numbers of the other priorities to fold into this one, not its own")
	}
	return nil
}

// Comment is something said about a priority by someone taking part.
type Comment struct {
	ID           int64            `json:"id"`
	Priority     int64            `json:"priority"`
	AuthorName   string           `json:"author_name"`
	Constituency ConstituencyKind `json:"constituency"`
	Body         string           `json:"body"`
	At           time.Time        `json:"at"`
}

// CheckComment checks a comment's text: plain words, up to 2,000 characters.
func CheckComment(body string) (string, error) {
	b, f := PlainText("comment", "your comment", body, 2000, true)
	if f != nil {
		return "", f.Err()
	}
	return b, nil
}

// CanEndorse says whether someone (as the audit log names them) may endorse
// a priority proposed by proposer: not their own.
func CanEndorse(proposer, who string) error {
	if proposer != "" && proposer == who {
		return problem.New(problem.Conflict, "You proposed this priority: endorsements are other people's support for it.")
	}
	return nil
}

// Decidable says whether a priority may be put to a decision: open ones,
// and adopted ones (a final vote on what was adopted).
func (p Priority) Decidable() bool { return p.Status == Open || p.Status == Chosen }

// Moderation is one entry of a round's moderation log.
type Moderation struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	Action     string    `json:"action"` // merge, split, decline, adopt, drop, reopen, cap
	Priorities []int64   `json:"priorities"`
	Result     []int64   `json:"result,omitempty"` // what the action made or kept
	Reason     string    `json:"reason"`
}

// SeedRow is one priority read from a seeding CSV.
type SeedRow struct {
	Line    int
	Title   string
	Problem string
}

// ParseSeeds reads a CSV of priorities to seed a round with: a header with
// "Title" and "Problem" columns (any order, any case, others ignored), then
// a priority a line. A line at fault stops it all, named with its line and
// column.
func ParseSeeds(r io.Reader, file string) ([]SeedRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is empty: it needs a header line with Title and Problem", file)
		}
		return nil, csvError(file, err)
	}
	titleCol, problemCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "title":
			titleCol = i
		case "problem":
			problemCol = i
		}
	}
	if titleCol < 0 || problemCol < 0 {
		return nil, fmt.Errorf("%s: line 1: the header must name a Title column and a Problem column", file)
	}
	var out []SeedRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(out) >= 500 {
			return nil, fmt.Errorf("%s: line %d: a file seeds at most 500 priorities", file, line)
		}
		get := func(col int) string {
			if col < len(rec) {
				return rec[col]
			}
			return ""
		}
		p, err := NewPriority(get(titleCol), get(problemCol))
		if err != nil {
			f := problem.FieldsOf(err)[0]
			col := titleCol
			if f.Name == "problem" {
				col = problemCol
			}
			return nil, fmt.Errorf("%s: line %d, column %d (%s): %s", file, line, col+1, header[col], f.Message)
		}
		out = append(out, SeedRow{Line: line, Title: p.Title, Problem: p.Problem})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no priorities below its header", file)
	}
	return out, nil
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %w", file, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", file, err)
}
