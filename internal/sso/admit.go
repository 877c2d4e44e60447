package sso

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
)

// StartLife is how long a begun sign-in may take at the provider.
const StartLife = 10 * time.Minute

// Refusal is why a verified sign-in did not sign the person in.
type Refusal string

const (
	NoAccount       Refusal = "no-account"       // no OnePC user, and the provider may not create them
	NoRole          Refusal = "no-role"          // nothing gives the person a role
	NoEmail         Refusal = "no-email"         // a new user is needed, but the email is not verified
	LinkedElsewhere Refusal = "linked-elsewhere" // the email's account is linked to another person at this provider
)

// Message says a refusal in plain words.
func (r Refusal) Message(p Provider) string {
	switch r {
	case NoAccount:
		return "OnePC has no account linked to your " + p.Name + " sign-in, and does not add people itself from this service."
	case NoRole:
		return "You are signed in with " + p.Name + ", but none of your roles there gives you a role in OnePC, so OnePC has not signed you in."
	case NoEmail:
		return "Your roles there would give you access, but " + p.Name + " did not confirm your email address, so OnePC cannot make or find your account."
	case LinkedElsewhere:
		return "Your email address belongs to a OnePC account that is already linked to a different " + p.Name + " sign-in. An administrator must link your sign-in to the account."
	}
	return "OnePC could not sign you in."
}

// Person is what OnePC already knows of someone signing in.
type Person struct {
	UserID          int64          // 0: no OnePC user was found
	BySubject       bool           // found by the provider's subject: linked before
	LinkedElsewhere bool           // found by email, but that user is linked to another subject at this provider
	Explicit        []people.Grant // the grants an administrator made
}

// Admission is what a sign-in does: refuse, or create, link and record
// the mapped grants and start a session.
type Admission struct {
	Refusal Refusal
	Create  bool           // add a new OnePC user, with Email and Name
	Email   string         // the new user's email: the provider's, verified
	Name    string         // the new user's name, tidied
	Link    bool           // link the provider's subject to the user
	Grants  []people.Grant // the grants the provider's rules give now (replacing last time's)
	MoneyOK bool           // the sign-in's assurance allows the roles that approve money
	Held    []string       // mapped roles not given, in plain words
}

// Admit decides a verified sign-in. kinds holds the kind of each
// organisation OnePC knows among those the rules name.
func Admit(p Provider, c Claims, rules []Rule, who Person, kinds map[string]orgs.Kind) (a Admission) {
	if who.LinkedElsewhere {
		return Admission{Refusal: LinkedElsewhere}
	}
	d := decide(p, Map(rules, c), c.ACR, who.Explicit)
	a = Admission{MoneyOK: d.MoneyOK, Held: d.Held}
	defer func() { a.Held = capHeld(a.Held) }()
	for _, g := range d.Grants {
		kind, known := kinds[g.OrgCode]
		switch {
		case !known:
			a.Held = append(a.Held, g.Role.Label()+" at "+g.OrgCode+": OnePC has no organisation with that code")
		case !slices.Contains(g.Role.GrantableAt(), kind):
			a.Held = append(a.Held, g.Role.Label()+" at "+g.OrgCode+": the role cannot be held at a "+kind.Label())
		default:
			g.Source = Source(p.ID)
			a.Grants = append(a.Grants, g)
		}
	}
	if who.UserID == 0 {
		switch {
		case !p.CreateUsers:
			a.Refusal = NoAccount
		case len(SessionGrants(a.Grants, p.ID, a.MoneyOK)) == 0:
			a.Refusal = NoRole
		case !validEmail(c.VerifiedEmail(p)):
			a.Refusal = NoEmail
		default:
			a.Create, a.Link, a.Email, a.Name = true, true, c.VerifiedEmail(p), tidyName(c.Name, c.VerifiedEmail(p))
		}
		return a
	}
	if len(SessionGrants(append(slices.Clone(who.Explicit), a.Grants...), p.ID, a.MoneyOK)) == 0 {
		a.Refusal = NoRole
		return a
	}
	a.Link = !who.BySubject
	return a
}

// validEmail reports whether s is a bare email address, as OnePC keeps them.
func validEmail(s string) bool { return people.CheckEmail(s) == "" }

// tidyName is a new user's name: the provider's, one line, at most 200
// characters; the email where the provider sends none.
func tidyName(name, email string) string {
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	if name == "" {
		return email
	}
	return name
}

// capHeld keeps the list of held-back roles short enough to read: a
// provider that sends thousands of roles gets a count of the rest.
func capHeld(held []string) []string {
	const most = 20
	if len(held) <= most {
		return held
	}
	return append(held[:most:most], strconv.Itoa(len(held)-most)+" more roles held back in the same way")
}

// decision is the mapped grants after a provider's money policy.
type decision struct {
	Grants  []people.Grant
	MoneyOK bool
	Held    []string
}

// decide applies a provider's money policy to the mapped grants. explicit
// are the person's grants made in OnePC by an administrator.
func decide(p Provider, matches []Match, acr string, explicit []people.Grant) decision {
	d := decision{MoneyOK: len(p.MoneyACR) == 0 || slices.Contains(p.MoneyACR, acr)}
	for _, m := range matches {
		if m.Grant.Role.ApprovesMoney() {
			if !d.MoneyOK {
				d.Held = append(d.Held, m.Grant.Role.Label()+" at "+m.Grant.OrgCode+" needs a sign-in at assurance "+strings.Join(p.MoneyACR, " or ")+"; this one was "+orNone(acr))
				continue
			}
			if p.MoneyNeedsGrant && !slices.ContainsFunc(explicit, func(g people.Grant) bool { return g.Role == m.Grant.Role && g.OrgCode == m.Grant.OrgCode }) {
				d.Held = append(d.Held, m.Grant.Role.Label()+" at "+m.Grant.OrgCode+" also needs an administrator's grant in OnePC")
				continue
			}
		}
		d.Grants = append(d.Grants, m.Grant)
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "not stated"
	}
	return s
}

// SessionGrants are the grants that apply in a session begun through the
// provider with this id ("" for a password): an administrator's, and those
// that provider's own rules gave (never another provider's); the roles that
// approve money only when the sign-in's assurance allowed them.
func SessionGrants(all []people.Grant, provider string, moneyOK bool) []people.Grant {
	var out []people.Grant
	for _, g := range all {
		if g.Source != "" && (provider == "" || g.Source != Source(provider)) {
			continue
		}
		if !moneyOK && g.Role.ApprovesMoney() {
			continue
		}
		out = append(out, g)
	}
	return out
}
