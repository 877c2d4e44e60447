package ssoclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestAssertion: a private_key_jwt assertion verifies with the public half
// and says who the client is, to whom, and for how long.
func TestAssertion(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	sk, err := parseSigningKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "onepc-1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	raw, err := sk.assertion("onepc-client", "https://idp.example/token", now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Headers[0].KeyID != "onepc-1" {
		t.Errorf("kid %q", tok.Headers[0].KeyID)
	}
	var c jwt.Claims
	if err := tok.Claims(&key.PublicKey, &c); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: "onepc-client", Subject: "onepc-client", AnyAudience: jwt.Audience{"https://idp.example/token"}, Time: now.Add(time.Minute)}, 0); err != nil || c.ID == "" {
		t.Errorf("claims %+v: %v", c, err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := tok.Claims(&other.PublicKey, &c); err == nil {
		t.Error("verified with another key")
	}
	if _, err := parseSigningKey([]byte("not pem"), ""); err == nil {
		t.Error("accepted a file with no key")
	}
}

func TestAssess(t *testing.T) {
	issuer := "https://idp.example"
	good := Discovery{Issuer: issuer, Authorization: issuer + "/a", Token: issuer + "/t", JWKS: issuer + "/k",
		ResponseTypes: []string{"code"}, SigningAlgs: []string{"RS256"}, CodeChallenge: []string{"S256"}}
	for _, f := range good.Assess(issuer) {
		if f.Blocks {
			t.Errorf("good provider blocked: %s", f.Message)
		}
	}
	bad := good
	bad.Issuer = "https://other.example"
	if !slices.ContainsFunc(bad.Assess(issuer), func(f Finding) bool { return f.Blocks }) {
		t.Error("issuer mismatch not blocking")
	}
	if !slices.ContainsFunc(good.Assess("https://login.microsoftonline.com/common/v2.0"), func(f Finding) bool { return f.Blocks }) {
		t.Error("multi-tenant issuer not blocking")
	}
}
