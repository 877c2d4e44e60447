// Package sso decides what signing in through an OpenID Connect provider
// (NHS Care Identity Service 2, Microsoft Entra ID, any other) gives a
// person: which providers are configured, what their claims say, the
// mapping rules administrators keep as data, and the policy that admits a
// person, links them, and gives them roles. Nothing is granted that no rule
// names. It is pure: the protocol itself is in package ssoclient.
package sso

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"

	"github.com/onepc/onepc/internal/problem"
)

// Kind says which claims carry a person's organisations and roles.
type Kind string

const (
	CIS2  Kind = "cis2"  // nhsid_nrbac_roles (organisation, role code, activity codes) and selected_roleid
	Entra Kind = "entra" // groups and app roles
	OIDC  Kind = "oidc"  // any other provider: groups and roles claims
)

// Label is the kind's name for people.
func (k Kind) Label() string {
	switch k {
	case CIS2:
		return "NHS CIS2"
	case Entra:
		return "Microsoft Entra ID"
	}
	return "OpenID Connect"
}

// Provider is one configured sign-in service.
type Provider struct {
	ID    string `json:"id"`    // short name in addresses: /login/sso/{id}
	Name  string `json:"name"`  // the service in sentences: "NHS CIS2"
	Label string `json:"label"` // the button: "Sign in with NHS CIS2"
	Kind  Kind   `json:"kind"`

	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`     // prefer client_secret_env
	SecretEnv    string   `json:"client_secret_env,omitempty"` // the environment variable holding the secret
	KeyFile      string   `json:"private_key_file,omitempty"`  // PEM key for private_key_jwt, as CIS2 requires
	KeyID        string   `json:"key_id,omitempty"`            // the kid the provider knows the key's public half by
	Scopes       []string `json:"scopes,omitempty"`

	// CreateUsers lets a person whose claims map to at least one role be
	// added on first sign-in; otherwise an administrator adds them first.
	CreateUsers bool `json:"create_users"`
	// TrustEmail treats the email claim as verified where the provider
	// sends no email_verified (Entra ID, whose tenant owns its addresses).
	// Only for a tenant whose addresses its own people cannot change and
	// that admits no guests: the email links a sign-in to a OnePC account.
	TrustEmail bool `json:"trust_email"`
	// MoneyACR lists the acr values (assurance levels) a sign-in must carry
	// for the roles that approve money to apply in its session.
	MoneyACR []string `json:"money_acr,omitempty"`
	// MoneyNeedsGrant makes the roles that approve money come only from an
	// explicit OnePC grant, never from a mapping rule alone.
	MoneyNeedsGrant bool `json:"money_needs_grant"`
	// Help says whom to ask when nothing maps, shown on the page that says so.
	Help string `json:"help,omitempty"`
}

// Config is the providers file.
type Config struct {
	Providers []Provider `json:"providers"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// multiTenant matches Entra's shared issuers, which any tenant's token
// satisfies: OnePC trusts one tenant per provider, named in its issuer.
var multiTenant = regexp.MustCompile(`(?i)^https://login\.microsoftonline\.com/(common|organizations|consumers|\{tenantid\})(/|$)`)

// LoadConfig reads and checks a providers file (JSON). Secrets named by
// client_secret_env are read through getenv. Errors name the provider and field.
func LoadConfig(r io.Reader, getenv func(string) string) ([]Provider, error) {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("providers file: %w", err)
	}
	seen := map[string]bool{}
	var errs problem.Fields
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		if p.SecretEnv != "" && p.ClientSecret == "" {
			p.ClientSecret = getenv(p.SecretEnv)
		}
		for _, f := range p.Tidy() {
			errs.Add(fmt.Sprintf("providers[%d].%s", i, f.Name), f.Message)
		}
		if seen[p.ID] {
			errs.Add(fmt.Sprintf("providers[%d].id", i), "Two providers have the id "+p.ID)
		}
		seen[p.ID] = true
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return cfg.Providers, nil
}

// Tidy fills a provider's defaults (name, label, scopes, kind) and returns
// what is wrong with it, by field.
func (p *Provider) Tidy() problem.Fields {
	var errs problem.Fields
	if !idPattern.MatchString(p.ID) {
		errs.Add("id", "Give the provider a short id of lower-case letters, digits and dashes, like cis2")
	}
	switch p.Kind {
	case CIS2, Entra, OIDC:
	case "":
		p.Kind = OIDC
	default:
		errs.Add("kind", fmt.Sprintf("%q is not a kind of provider; choose cis2, entra or oidc", p.Kind))
	}
	if p.Name == "" {
		p.Name = p.Kind.Label()
	}
	if p.Label == "" {
		p.Label = "Sign in with " + p.Name
	}
	if msg := CheckIssuer(p.Issuer); msg != "" {
		errs.Add("issuer", msg)
	}
	if p.ClientID == "" {
		errs.Add("client_id", "Give the client ID the provider issued to OnePC")
	}
	switch {
	case p.ClientSecret == "" && p.KeyFile == "" && p.SecretEnv != "":
		errs.Add("client_secret_env", "The environment variable "+p.SecretEnv+" is empty")
	case p.ClientSecret == "" && p.KeyFile == "":
		errs.Add("client_secret", "Give a client secret (client_secret_env) or a private key (private_key_file)")
	case p.ClientSecret != "" && p.KeyFile != "":
		errs.Add("private_key_file", "Give a client secret or a private key, not both")
	}
	if len(p.Scopes) == 0 {
		p.Scopes = DefaultScopes(p.Kind)
	}
	if !slices.Contains(p.Scopes, "openid") {
		errs.Add("scopes", "The scopes must include openid")
	}
	return errs
}

// CheckIssuer returns why an issuer cannot be used, or "".
func CheckIssuer(issuer string) string {
	u, err := url.Parse(issuer)
	switch {
	case issuer == "":
		return "Give the provider's issuer URL"
	case err != nil || u.Host == "" || (u.Scheme != "https" && !isLoopback(u.Hostname())):
		return "The issuer must be an https:// URL (http only for a provider on this machine)"
	case multiTenant.MatchString(issuer):
		return "Microsoft Entra's shared multi-tenant issuer cannot be trusted: any tenant's token would pass. " +
			"Register OnePC in each tenant and give that tenant's issuer, https://login.microsoftonline.com/<tenant-id>/v2.0"
	}
	return ""
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// DefaultScopes are the scopes each kind asks for when none are configured.
func DefaultScopes(k Kind) []string {
	switch k {
	case CIS2:
		return []string{"openid", "profile", "email", "nationalrbacaccess", "selectedrole", "associatedorgs"}
	default:
		return []string{"openid", "profile", "email"}
	}
}

// ClaimNames are the rule claims a kind of provider sends.
func (k Kind) ClaimNames() []ClaimName {
	if k == CIS2 {
		return []ClaimName{NRBACRole}
	}
	return []ClaimName{Group, AppRole}
}

// Source is how grants a provider's rules made are marked.
func Source(providerID string) string { return "sso:" + providerID }
