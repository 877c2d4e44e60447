package ssoclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/onepc/onepc/internal/sso"
)

// Discovery is what OnePC needs of a provider's discovery document.
type Discovery struct {
	Issuer            string   `json:"issuer"`
	Authorization     string   `json:"authorization_endpoint"`
	Token             string   `json:"token_endpoint"`
	JWKS              string   `json:"jwks_uri"`
	UserInfo          string   `json:"userinfo_endpoint"`
	EndSession        string   `json:"end_session_endpoint"`
	ResponseTypes     []string `json:"response_types_supported"`
	SigningAlgs       []string `json:"id_token_signing_alg_values_supported"`
	CodeChallenge     []string `json:"code_challenge_methods_supported"`
	TokenAuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
	Scopes            []string `json:"scopes_supported"`
	ACRValues         []string `json:"acr_values_supported"`
	ClaimsSupported   []string `json:"claims_supported"`
	RawDocument       json.RawMessage
	DiscoveryURL      string
	FetchedWithStatus int
}

// Finding is one line of a provider check.
type Finding struct {
	OK      bool
	Blocks  bool // OnePC cannot use the provider while this fails
	Message string
}

// publicKeyAlg reports whether a JWS algorithm signs with a public key
// pair, which OnePC can check against the provider's published keys.
func publicKeyAlg(a string) bool {
	return strings.HasPrefix(a, "RS") || strings.HasPrefix(a, "PS") || strings.HasPrefix(a, "ES") || a == "EdDSA"
}

// Fetch reads an issuer's discovery document.
func Fetch(ctx context.Context, client *http.Client, issuer string) (Discovery, error) {
	d := Discovery{DiscoveryURL: strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.DiscoveryURL, nil)
	if err != nil {
		return d, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return d, err
	}
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("%s answered %s", d.DiscoveryURL, resp.Status)
	}
	d.RawDocument = body
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("%s is not a JSON discovery document: %w", d.DiscoveryURL, err)
	}
	return d, nil
}

// Assess says whether OnePC can sign people in through the provider that
// published d, when it is configured with issuer.
func (d Discovery) Assess(issuer string) []Finding {
	var out []Finding
	check := func(ok, blocks bool, good, bad string) {
		if ok {
			out = append(out, Finding{OK: true, Message: good})
		} else {
			out = append(out, Finding{Blocks: blocks, Message: bad})
		}
	}
	msg := sso.CheckIssuer(issuer)
	check(msg == "", true, "the issuer is one tenant's or provider's own", msg)
	check(d.Issuer == issuer, true, "the document's issuer matches "+issuer,
		"the document names issuer "+d.Issuer+", not "+issuer+": configure exactly the issuer it names")
	check(d.Authorization != "" && d.Token != "" && d.JWKS != "", true, "it has authorization, token and key endpoints",
		"it lacks an authorization, token or jwks_uri endpoint")
	check(len(d.ResponseTypes) == 0 || slices.Contains(d.ResponseTypes, "code"), true, "it offers the authorization code flow",
		"it does not offer response type code")
	check(len(d.SigningAlgs) == 0 || slices.ContainsFunc(d.SigningAlgs, publicKeyAlg), true,
		"it signs identity tokens with a public key ("+strings.Join(d.SigningAlgs, ", ")+")", "it signs identity tokens with no key OnePC can check")
	check(slices.Contains(d.CodeChallenge, "S256"), false, "it supports PKCE with S256",
		"it does not say it supports PKCE S256; OnePC sends it anyway and most providers accept it")
	check(d.UserInfo != "", false, "it has a userinfo endpoint (CIS2 sends roles there)", "it has no userinfo endpoint: roles must come in the identity token")
	check(d.EndSession != "", false, "it has a sign-out endpoint, offered after signing out of OnePC", "it has no sign-out endpoint: signing out ends only OnePC's session")
	check(slices.Contains(d.TokenAuthMethods, "private_key_jwt"), false, "it accepts private_key_jwt client authentication",
		"it does not list private_key_jwt: use a client secret")
	return out
}
