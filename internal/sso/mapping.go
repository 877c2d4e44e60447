package sso

import (
	"slices"
	"strings"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

// ClaimName is what a mapping rule matches.
type ClaimName string

const (
	NRBACRole ClaimName = "nrbac_role" // a CIS2 role code (full, or its last part: R8000)
	Group     ClaimName = "group"      // an Entra or other group ID in the groups claim
	AppRole   ClaimName = "app_role"   // an application role in the roles claim
)

// ClaimOrg in a CIS2 rule means "the organisation the role is held at".
const ClaimOrg = "*"

// Rule maps one thing a provider says onto a OnePC role at an organisation.
type Rule struct {
	ID       int64       `json:"id"`
	Provider string      `json:"provider"`
	Claim    ClaimName   `json:"claim"`
	Value    string      `json:"value"`
	Activity string      `json:"activity,omitempty"` // CIS2 only: an activity code the role must also carry
	Org      string      `json:"org"`                // ODS code, or * (CIS2 only) for the role's own organisation
	Role     people.Role `json:"role"`
	AddedBy  string      `json:"added_by,omitempty"`
}

// Check tidies a rule for a provider and returns what is wrong, by field.
func (r *Rule) Check(p Provider) error {
	r.Value = strings.TrimSpace(r.Value)
	r.Activity = strings.ToUpper(strings.TrimSpace(r.Activity))
	r.Org = strings.ToUpper(strings.TrimSpace(r.Org))
	r.Provider = p.ID
	var errs problem.Fields
	if !slices.Contains(p.Kind.ClaimNames(), r.Claim) {
		var names []string
		for _, n := range p.Kind.ClaimNames() {
			names = append(names, string(n))
		}
		errs.Add("claim", "Rules for "+p.Kind.Label()+" match "+strings.Join(names, " or "))
	}
	switch {
	case r.Value == "":
		errs.Add("value", "Enter the value the claim must hold, for example a role code like R8000 or a group ID")
	case len(r.Value) > 200:
		errs.Add("value", "The value must be 200 characters or fewer")
	}
	if r.Activity != "" && r.Claim != NRBACRole {
		errs.Add("activity", "Only CIS2 role rules can require an activity code")
	}
	switch {
	case r.Org == "":
		errs.Add("org", "Enter the ODS code of the organisation the role is given at")
	case r.Org == ClaimOrg && r.Claim != NRBACRole:
		errs.Add("org", "Only CIS2 role rules can give the role at the organisation named in the claim (*)")
	case len(r.Org) > 12:
		errs.Add("org", "An ODS code is 12 characters or fewer")
	}
	if _, err := people.ParseRole(string(r.Role)); err != nil {
		errs.Add("role", "Choose a role")
	}
	return errs.Err()
}

// Match is a grant a rule gives a person.
type Match struct {
	Grant people.Grant
	Rule  int64
}

// Map applies the rules to a person's claims: every grant some rule gives,
// once each. A rule that names an organisation gives the role only when the
// claim itself is held there (CIS2) or wherever the group holds (Entra).
func Map(rules []Rule, c Claims) []Match {
	var out []Match
	seen := map[people.Grant]bool{}
	add := func(role people.Role, org string, rule int64) {
		g := people.Grant{Role: role, OrgCode: strings.ToUpper(org)}
		if g.OrgCode == "" || seen[g] {
			return
		}
		seen[g] = true
		out = append(out, Match{Grant: g, Rule: rule})
	}
	for _, r := range rules {
		switch r.Claim {
		case NRBACRole:
			for _, held := range c.ActiveRoles() {
				if !roleCodeMatches(held.RoleCode, r.Value) || (r.Activity != "" && !slices.Contains(held.ActivityCodes, r.Activity)) {
					continue
				}
				switch {
				case r.Org == ClaimOrg:
					add(r.Role, held.OrgCode, r.ID)
				case strings.EqualFold(r.Org, held.OrgCode):
					add(r.Role, r.Org, r.ID)
				}
			}
		case Group:
			if slices.Contains(c.Groups, r.Value) {
				add(r.Role, r.Org, r.ID)
			}
		case AppRole:
			if slices.Contains(c.AppRoles, r.Value) {
				add(r.Role, r.Org, r.ID)
			}
		}
	}
	return out
}

// roleCodeMatches compares a CIS2 role code (S8000:G8000:R8000) with a
// rule's value: the whole code, or its job role part alone (R8000).
func roleCodeMatches(held, want string) bool {
	if strings.EqualFold(held, want) {
		return true
	}
	i := strings.LastIndexByte(held, ':')
	return i >= 0 && !strings.Contains(want, ":") && strings.EqualFold(held[i+1:], want)
}

// Within reports whether an administrator whose scope is scope (every
// organisation they administer; nil for one at the top of a hierarchy) may
// keep this rule: one that gives roles only where they administer. The
// claim's own organisation (*) may be anywhere, so only the top may use it.
func (r Rule) Within(scope map[string]bool) bool {
	if scope == nil {
		return true
	}
	return r.Org != ClaimOrg && scope[r.Org]
}
