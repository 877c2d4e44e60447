package sso

import (
	"encoding/json"
	"strings"
)

// Claims is what OnePC reads of a signed-in person: from the verified ID
// token, and from the provider's userinfo endpoint where it has one (CIS2
// sends its roles there).
type Claims struct {
	Subject       string      `json:"sub"`
	Email         string      `json:"email"`
	EmailVerified bool        `json:"email_verified"`
	Name          string      `json:"name"`
	ACR           string      `json:"acr"`
	RBAC          []RBACRole  `json:"nhsid_nrbac_roles"`
	SelectedRole  string      `json:"selected_roleid"`
	Groups        []string    `json:"groups"`
	AppRoles      []string    `json:"roles"`
	UserOrgs      []OrgMember `json:"nhsid_user_orgs"`
}

// RBACRole is one entry of CIS2's nhsid_nrbac_roles: a role the person
// holds at an organisation (its ODS code), with a role code such as
// S8000:G8000:R8000 and the activity codes (B0428…) it carries.
type RBACRole struct {
	PersonRoleID  string   `json:"person_roleid"`
	OrgCode       string   `json:"org_code"`
	RoleCode      string   `json:"role_code"`
	RoleName      string   `json:"role_name"`
	ActivityCodes []string `json:"activity_codes"`
}

// OrgMember is one entry of CIS2's nhsid_user_orgs.
type OrgMember struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
}

// claimsJSON reads claims leniently: email_verified arrives as a boolean
// or as the string "true" from some providers.
type claimsJSON struct {
	Claims
	EmailVerified any `json:"email_verified"`
}

// ParseClaims reads a JSON claims object (an ID token's payload or a
// userinfo response).
func ParseClaims(raw []byte) (Claims, error) {
	var cj claimsJSON
	if err := json.Unmarshal(raw, &cj); err != nil {
		return Claims{}, err
	}
	c := cj.Claims
	switch v := cj.EmailVerified.(type) {
	case bool:
		c.EmailVerified = v
	case string:
		c.EmailVerified = strings.EqualFold(v, "true")
	}
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	return c, nil
}

// Merge adds what userinfo says to what the ID token said; the ID token's
// subject and assurance stand.
func (c Claims) Merge(info Claims) Claims {
	if c.Email == "" {
		c.Email, c.EmailVerified = info.Email, info.EmailVerified
	}
	if c.Name == "" {
		c.Name = info.Name
	}
	if len(c.RBAC) == 0 {
		c.RBAC = info.RBAC
	}
	if c.SelectedRole == "" {
		c.SelectedRole = info.SelectedRole
	}
	if len(c.Groups) == 0 {
		c.Groups = info.Groups
	}
	if len(c.AppRoles) == 0 {
		c.AppRoles = info.AppRoles
	}
	if len(c.UserOrgs) == 0 {
		c.UserOrgs = info.UserOrgs
	}
	return c
}

// ActiveRoles are the CIS2 roles that count for this sign-in: the one the
// person selected at the provider when it says so (a smartcard user picks
// one role per session), otherwise all of them.
func (c Claims) ActiveRoles() []RBACRole {
	if c.SelectedRole == "" {
		return c.RBAC
	}
	for _, r := range c.RBAC {
		if r.PersonRoleID == c.SelectedRole {
			return []RBACRole{r}
		}
	}
	return nil
}

// VerifiedEmail is the email OnePC may link an existing person by, or "".
func (c Claims) VerifiedEmail(p Provider) string {
	if c.Email != "" && (c.EmailVerified || p.TrustEmail) {
		return c.Email
	}
	return ""
}
