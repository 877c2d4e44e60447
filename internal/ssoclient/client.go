// Package ssoclient speaks OpenID Connect to the providers package sso
// configures: discovery, the authorization code flow with PKCE, ID token
// verification (coreos/go-oidc), userinfo, private_key_jwt client
// authentication, and the checks behind `onepc sso test`.
package ssoclient

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/onepc/onepc/internal/sso"
)

// Skew is how far the provider's clock may be from ours: a token that
// expired less than this long ago is still taken.
const Skew = time.Minute

// retryAfter is how long a failed discovery is remembered, so that while a
// provider is down each sign-in is told at once rather than waiting.
const retryAfter = 30 * time.Second

// Failure is a sign-in refused: Reason is for the person, in plain words;
// Detail is for the log.
type Failure struct {
	Reason string
	Detail error
}

func (f *Failure) Error() string {
	if f.Detail != nil {
		return f.Reason + ": " + f.Detail.Error()
	}
	return f.Reason
}

func (f *Failure) Unwrap() error { return f.Detail }

func fail(reason string, detail error) error { return &Failure{Reason: reason, Detail: detail} }

// Client runs the authorization code flow with one provider. It fetches the
// provider's discovery document when first needed, so that OnePC starts even
// while a provider is down. It keeps no per-person state: each sign-in's
// state, nonce and PKCE verifier are kept by the caller (in the database,
// so any server can finish what another began).
type Client struct {
	Provider sso.Provider
	HTTP     *http.Client
	Now      func() time.Time

	mu         sync.Mutex
	op         *oidc.Provider
	verifier   *oidc.IDTokenVerifier // holds the provider's key set, fetched once and refreshed on an unknown key
	endSession string
	failed     error
	failedAt   time.Time
	key        *signingKey // for private_key_jwt
}

// NewClient prepares a client; it reads the private key, if any, now.
func NewClient(p sso.Provider) (*Client, error) {
	c := &Client{Provider: p, HTTP: &http.Client{Timeout: 10 * time.Second}, Now: time.Now}
	if p.KeyFile != "" {
		k, err := readSigningKey(p.KeyFile, p.KeyID)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.ID, err)
		}
		c.key = k
	}
	return c, nil
}

// LoadConfigFile reads the providers file at path (see sso.LoadConfig).
func LoadConfigFile(path string, getenv func(string) string) ([]sso.Provider, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sign-in providers file: %w", err)
	}
	defer f.Close()
	ps, err := sso.LoadConfig(f, getenv)
	if err != nil {
		return nil, fmt.Errorf("sign-in providers file %s: %w", path, err)
	}
	return ps, nil
}

func (c *Client) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.HTTP)
}

// discover fetches the discovery document once it succeeds; a failure is
// remembered for retryAfter. The lock is not held while fetching.
func (c *Client) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	op, v, failed, at := c.op, c.verifier, c.failed, c.failedAt
	c.mu.Unlock()
	if op != nil {
		return op, v, nil
	}
	if failed != nil && c.Now().Sub(at) < retryAfter {
		return nil, nil, failed
	}
	op, err := oidc.NewProvider(c.ctx(ctx), c.Provider.Issuer)
	var endpoints struct {
		EndSession string `json:"end_session_endpoint"`
		Issuer     string `json:"issuer"`
	}
	switch {
	case err != nil:
		err = fail("OnePC could not reach "+c.Provider.Name+"'s sign-in service. Try again in a few minutes, or sign in with your password", err)
	case op.Claims(&endpoints) != nil:
		err = fail("The sign-in service's settings could not be read", nil)
	case sso.CheckIssuer(endpoints.Issuer) != "":
		err = fail("The sign-in service is not set up for OnePC: "+sso.CheckIssuer(endpoints.Issuer), nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed, c.failedAt = err, c.Now()
		return nil, nil, err
	}
	c.op, c.endSession, c.failed = op, endpoints.EndSession, nil
	c.verifier = op.VerifierContext(c.ctx(context.WithoutCancel(ctx)), &oidc.Config{ClientID: c.Provider.ClientID,
		Now: func() time.Time { return c.Now().Add(-Skew) }})
	return c.op, c.verifier, nil
}

func (c *Client) config(op *oidc.Provider, redirect string) *oauth2.Config {
	ep := op.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{ClientID: c.Provider.ClientID, ClientSecret: c.Provider.ClientSecret,
		Endpoint: ep, RedirectURL: redirect, Scopes: c.Provider.Scopes}
}

// Start is one sign-in's secrets, kept until the provider sends the person back.
type Start struct {
	State, Nonce, Verifier string
}

// NewStart makes fresh random state, nonce and PKCE verifier.
func NewStart() Start {
	return Start{State: oauth2.GenerateVerifier(), Nonce: oauth2.GenerateVerifier(), Verifier: oauth2.GenerateVerifier()}
}

// AuthURL is where to send the person to sign in.
func (c *Client) AuthURL(ctx context.Context, redirect string, st Start) (string, error) {
	op, _, err := c.discover(ctx)
	if err != nil {
		return "", err
	}
	return c.config(op, redirect).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), nil
}

// Finish exchanges the code the provider sent back for tokens, verifies the
// ID token (signature against the provider's keys, issuer, audience, expiry
// within Skew, and this sign-in's nonce), and reads the person's claims.
func (c *Client) Finish(ctx context.Context, redirect, code string, st Start) (sso.Claims, error) {
	op, verifier, err := c.discover(ctx)
	if err != nil {
		return sso.Claims{}, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(st.Verifier)}
	if c.key != nil {
		assertion, err := c.key.assertion(c.Provider.ClientID, op.Endpoint().TokenURL, c.Now())
		if err != nil {
			return sso.Claims{}, fail("OnePC could not sign its request to the sign-in service", err)
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", assertion))
	}
	tok, err := c.config(op, redirect).Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		return sso.Claims{}, fail("The sign-in service did not accept OnePC's request to finish signing you in. Start again", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return sso.Claims{}, fail("The sign-in service sent no identity token", nil)
	}
	idt, err := verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		return sso.Claims{}, verifyFailure(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return sso.Claims{}, fail("The identity token belongs to another sign-in (its nonce does not match). Start again", nil)
	}
	if idt.IssuedAt.After(c.Now().Add(Skew)) {
		return sso.Claims{}, fail("The identity token was issued in the future: a clock is wrong", fmt.Errorf("iat %s", idt.IssuedAt))
	}
	// A token for several audiences must name OnePC as the party it was
	// issued to (OpenID Connect Core 3.1.3.7); go-oidc leaves azp to us.
	var party struct {
		Azp string `json:"azp"`
	}
	if err := idt.Claims(&party); err != nil || ((len(idt.Audience) > 1 || party.Azp != "") && party.Azp != c.Provider.ClientID) {
		return sso.Claims{}, fail("The identity token was issued for another application, not OnePC", fmt.Errorf("aud %v, azp %q", idt.Audience, party.Azp))
	}
	claims, err := readClaims(idt.Claims, "The identity token could not be read")
	if err != nil {
		return claims, err
	}
	if op.UserInfoEndpoint() != "" {
		ui, err := op.UserInfo(c.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return sso.Claims{}, fail("OnePC could not read your roles from the sign-in service", err)
		}
		if ui.Subject != claims.Subject {
			return sso.Claims{}, fail("The sign-in service described a different person than the one who signed in", fmt.Errorf("userinfo sub %q, id token sub %q", ui.Subject, claims.Subject))
		}
		info, err := readClaims(ui.Claims, "OnePC could not read your roles from the sign-in service")
		if err != nil {
			return sso.Claims{}, err
		}
		claims = claims.Merge(info)
	}
	if claims.Subject == "" {
		return sso.Claims{}, fail("The identity token names no person", nil)
	}
	return claims, nil
}

// readClaims decodes claims through decode (an ID token's or userinfo's Claims).
func readClaims(decode func(any) error, reason string) (sso.Claims, error) {
	var raw json.RawMessage
	if err := decode(&raw); err != nil {
		return sso.Claims{}, fail(reason, err)
	}
	c, err := sso.ParseClaims(raw)
	if err != nil {
		return sso.Claims{}, fail(reason, err)
	}
	return c, nil
}

// verifyFailure says in plain words why an ID token was refused.
func verifyFailure(err error) error {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return fail("Your sign-in had expired by the time it reached OnePC. Start again", err)
	case strings.Contains(msg, "issued by a different provider"):
		return fail("The identity token came from a different sign-in service than the one OnePC trusts", err)
	case strings.Contains(msg, "expected audience"):
		return fail("The identity token was issued for another application, not OnePC", err)
	case strings.Contains(msg, "signature"):
		return fail("The identity token's signature is not the sign-in service's", err)
	}
	return fail("The identity token could not be verified", err)
}

// EndSessionURL is the provider's sign-out address, with where to return,
// or "" when the provider has none or has not been reached yet: signing out
// of OnePC never waits on a provider.
func (c *Client) EndSessionURL(returnTo string) string {
	c.mu.Lock()
	end := c.endSession
	c.mu.Unlock()
	if end == "" {
		return ""
	}
	u, err := url.Parse(end)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", c.Provider.ClientID)
	if returnTo != "" {
		q.Set("post_logout_redirect_uri", returnTo)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
