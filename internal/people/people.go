// Package people holds users, the roles they hold at organisations, and the
// one function that decides what a user may do.
package people

import (
	_ "embed"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/problem"
)

// Role is a job a user does at one organisation.
type Role string

const (
	PracticeManager     Role = "practice_manager"
	PracticeStaff       Role = "practice_staff"
	GP                  Role = "gp" // a GP partner or salaried GP: owes personal obligations (pension certificates)
	PCNManager          Role = "pcn_manager"
	PCNClinicalDirector Role = "pcn_clinical_director"
	Commissioner        Role = "commissioner"
	FinanceOfficer      Role = "finance_officer" // at a Place or ICB: approves claims for finance and commits payment runs, alone
	Admin               Role = "admin"
)

// Roles lists every role in the order pages show them.
var Roles = []Role{PracticeManager, PracticeStaff, GP, PCNManager, PCNClinicalDirector, Commissioner, FinanceOfficer, Admin}

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case PracticeManager:
		return "Practice manager"
	case PracticeStaff:
		return "Practice staff"
	case GP:
		return "GP"
	case PCNManager:
		return "PCN manager"
	case PCNClinicalDirector:
		return "PCN clinical director"
	case Commissioner:
		return "Commissioner"
	case FinanceOfficer:
		return "Finance officer"
	case Admin:
		return "Administrator"
	}
	return string(r)
}

// ApprovesMoney reports whether the role approves or pays money: the roles
// a sign-in service may hold to a higher assurance level.
func (r Role) ApprovesMoney() bool {
	return r.Allows(ApproveFinance) || r.Allows(RunPayments)
}

// ParseRole accepts a role's code.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	var names []string
	for _, r := range Roles {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("%q is not a role; choose one of %s", s, strings.Join(names, ", "))
}

// GrantableAt says at which kinds of organisation a role may be given.
func (r Role) GrantableAt() []orgs.Kind {
	switch r {
	case PracticeManager, PracticeStaff, GP:
		return []orgs.Kind{orgs.Practice}
	case PCNManager, PCNClinicalDirector:
		return []orgs.Kind{orgs.PCN}
	case Commissioner, FinanceOfficer:
		return []orgs.Kind{orgs.Place, orgs.ICB}
	case Admin:
		return orgs.Kinds
	}
	return nil
}

// User is a person who signs in.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"` // who added them
	Grants    []Grant   `json:"grants"`
}

// Manages reports whether an administrator may see and change a person:
// one holding a role at an organisation in the administrator's scope, or,
// while they hold none, one the administrator added. An administrator at the
// top of a hierarchy (top) manages everyone.
func Manages(admin User, scope map[string]bool, top bool, target User) bool {
	if top {
		return true
	}
	if len(target.Grants) == 0 {
		return target.CreatedBy != "" && strings.EqualFold(target.CreatedBy, admin.Email)
	}
	for _, g := range target.Grants {
		if scope[g.OrgCode] {
			return true
		}
	}
	return false
}

// ManagesWhole reports whether an administrator may act for a person as a
// whole, as linking a sign-in to their account does (that sign-in then
// carries every role they hold): an administrator at the top of a hierarchy
// may; another only for a person all of whose roles lie in their scope and
// none of whom administers or approves money.
func ManagesWhole(scope map[string]bool, top bool, target User) bool {
	return WhyNotWhole(scope, top, target) == ""
}

// WhyNotWhole says, in words for the page, why an administrator may not act
// for a person as a whole (ManagesWhole), or "" when they may.
func WhyNotWhole(scope map[string]bool, top bool, target User) string {
	if top {
		return ""
	}
	for _, g := range target.Grants {
		if !scope[g.OrgCode] {
			return "they also hold a role at an organisation you do not administer"
		}
	}
	for _, g := range target.Grants {
		if g.Role == Admin {
			return "they are an administrator"
		}
	}
	for _, g := range target.Grants {
		if g.Role.ApprovesMoney() {
			return "they approve or pay money (a reset link or a linked sign-in would act as them)"
		}
	}
	return ""
}

// Grant gives a user a role at an organisation and everything below it.
type Grant struct {
	Role    Role   `json:"role"`
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name,omitempty"`
	OrgKind string `json:"org_kind,omitempty"`
	Source  string `json:"source,omitempty"` // "" an administrator's; "sso:<provider>" a sign-in's mapping
}

// CheckEmail returns why email (lower case, trimmed) cannot be a person's
// address in OnePC, or "". Only plain ASCII is taken: a letter from another
// alphabet that looks like one of ours (a fullwidth ｐ, a Cyrillic а) would
// make an account that reads as someone else's in every list, approval and
// audit entry. NHS mail addresses are plain ASCII.
func CheckEmail(email string) string {
	for i, r := range email {
		if r < 0x21 || r > 0x7e {
			return fmt.Sprintf("Enter the address in plain letters and digits: character %d (%q) only looks like one", utf8.RuneCountInString(email[:i])+1, r)
		}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		return "Enter an email address like name@example.nhs.uk"
	}
	if len(email) > 254 { // the most an address can be (RFC 5321)
		return "An email address is at most 254 characters"
	}
	return ""
}

// NewUser checks and tidies the details of a user about to be added.
// Errors name the field at fault.
func NewUser(email, name, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	var errs problem.Fields
	if msg := CheckEmail(email); msg != "" {
		errs.Add("email", msg)
	}
	if name == "" {
		errs.Add("name", "Enter the person's full name")
	} else if len(name) > 200 {
		errs.Add("name", "Name must be 200 characters or fewer")
	}
	if msg := CheckPassword(password, email, name); msg != "" {
		errs.Add("password", msg)
	}
	if err := errs.Err(); err != nil {
		return User{}, err
	}
	return User{Email: email, Name: name}, nil
}

// CheckPassword returns why a password is not acceptable for the person
// with this email and name, or "": too short or too long, one of the common
// passwords (or one of them with digits or punctuation after it), little but
// one repeated character, or built on the person's own email or name.
func CheckPassword(p, email, name string) string {
	switch {
	case utf8.RuneCountInString(p) < 10:
		return "Password must be at least 10 characters"
	case len(p) > 200:
		return "Password must be 200 characters or fewer"
	}
	lower := strings.ToLower(strings.TrimSpace(p))
	if strings.TrimSpace(p) == "" || distinct(lower) < 4 {
		return "Password must not be one or two characters repeated: use three or four unrelated words"
	}
	if common[lower] || common[strings.TrimRight(lower, "0123456789!?.,*#@$%&_- ")] {
		return "That password is one of the most commonly used, so it is easy to guess: use three or four unrelated words"
	}
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	for _, own := range append([]string{strings.ToLower(email), local}, strings.Fields(strings.ToLower(name))...) {
		if len(own) >= 4 && strings.Contains(lower, own) {
			return "Password must not contain your email address or name"
		}
	}
	return ""
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

//go:embed common_passwords.txt
var commonPasswords string

// common holds the common passwords, read once at start.
var common = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswords, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// ErrInvalidLogin is returned for a wrong email or password, never saying which.
var ErrInvalidLogin = &problem.Error{Kind: problem.Unauthorized, Message: "The email address or password is not right"}
