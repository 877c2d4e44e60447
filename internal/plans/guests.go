package plans

import (
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/people"
)

// Guest is someone without an account who takes part in one round for one
// constituency, by a one-time join code: a patient representative, a local
// authority officer at the away day. A guest sees what members see of that
// round and nothing else in OnePC.
type Guest struct {
	ID           int64            `json:"id"`
	Round        int64            `json:"round"`
	Constituency ConstituencyKind `json:"constituency"`
	Label        string           `json:"label"` // who the code was made for, as the facilitator wrote it
	Name         string           `json:"name"`  // the name the guest gave on joining
	Signatory    bool             `json:"signatory"`
	Used         bool             `json:"used"`
	Expires      time.Time        `json:"expires"`
	CreatedBy    string           `json:"created_by"`
}

// Key names the guest on a voter roll and in the audit log.
func (g Guest) Key() string { return "guest:" + strconv.FormatInt(g.ID, 10) }

// Display names the guest to others: the name they gave, or else what
// their code was made for.
func (g Guest) Display() string {
	name := strings.TrimSpace(g.Name)
	if name == "" {
		name = g.Label
	}
	return name + " (guest)"
}

// JoinCodeDays is how long a join code lasts unless the facilitator says.
const JoinCodeDays = 14

// codeAlphabet leaves out letters and digits read one for another (0 and O,
// 1 and I and L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewJoinCode makes a code of eight characters from 31 (about 40 bits),
// written ABCD-EF23. Codes are one-time and expire; a wrong code is
// throttled like a password.
func NewJoinCode() string {
	out := make([]byte, 0, 9)
	var b [1]byte
	for len(out) < 9 {
		if len(out) == 4 {
			out = append(out, '-')
		}
		rand.Read(b[:])
		if int(b[0]) >= 256/len(codeAlphabet)*len(codeAlphabet) {
			continue // drop the top of the byte range, so each character is as likely
		}
		out = append(out, codeAlphabet[int(b[0])%len(codeAlphabet)])
	}
	return string(out)
}

// NormalCode is a code as typed, in the form codes are made: upper case,
// without spaces, with the dash.
func NormalCode(s string) string {
	var b []byte
	for _, r := range strings.ToUpper(s) {
		if strings.ContainsRune(codeAlphabet, r) {
			b = append(b, byte(r))
		}
	}
	if len(b) != 8 {
		return ""
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// CheckGuestName checks the name a guest gives on joining.
func CheckGuestName(name string) (string, error) {
	n, f := PlainText("name", "your name", name, 80, true)
	if f != nil {
		return "", f.Err()
	}
	return n, nil
}

// Seat is a constituency someone takes part in, through a role at one of
// its member organisations (or as a guest: Org "").
type Seat struct {
	Kind ConstituencyKind `json:"kind"`
	Org  string           `json:"org,omitempty"`
	Role people.Role      `json:"role,omitempty"`
}

// CanSign says whether the seat signs for its organisation.
func (s Seat) CanSign(r Round) bool {
	c, ok := r.Constituency(s.Kind)
	return ok && c.NeedNum > 0 && s.Role != "" && s.Role == c.SignRole
}

// Seats lists the constituencies a person takes part in: for each role they
// hold at an organisation that is a member of a constituency taking part
// (members maps each member organisation to its constituency), one seat,
// signing roles first.
func Seats(r Round, grants []people.Grant, members map[string]ConstituencyKind) []Seat {
	var out []Seat
	for _, g := range grants {
		k, ok := members[g.OrgCode]
		if !ok {
			continue
		}
		if _, taking := r.Constituency(k); !taking {
			continue
		}
		out = append(out, Seat{Kind: k, Org: g.OrgCode, Role: g.Role})
	}
	slices.SortStableFunc(out, func(a, b Seat) int {
		sa, sb := a.CanSign(r), b.CanSign(r)
		switch {
		case sa && !sb:
			return -1
		case sb && !sa:
			return 1
		}
		return slices.Index(ConstituencyKinds, a.Kind) - slices.Index(ConstituencyKinds, b.Kind)
	})
	return out
}
