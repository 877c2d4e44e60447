package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

// TestSSOTest: `onepc sso test` reads a real provider's discovery document
// and says whether OnePC can use it.
func TestSSOTest(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	ctx := context.Background()
	out, _, err := onepc(t, ctx, nil, "", "sso", "test", m.Issuer())
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`"authorization_endpoint"`, "ok    the document's issuer matches", "ok    it supports PKCE with S256",
		"note  it has no sign-out endpoint", "OnePC can use this provider"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Configured with another issuer than the document names: unusable.
	out, _, err = onepc(t, ctx, nil, "", "sso", "test", m.Issuer()+"/")
	if err == nil || !strings.Contains(out, "FAIL  the document names issuer") {
		t.Errorf("issuer mismatch: %v\n%s", err, out)
	}
	if _, _, err := onepc(t, ctx, nil, "", "sso", "test", "http://127.0.0.1:9/none"); err == nil {
		t.Error("an unreachable provider passed")
	}
	if _, _, err := onepc(t, ctx, nil, "", "sso", "test"); err == nil {
		t.Error("no issuer accepted")
	}
}

// TestServeRefusesABadProvidersFile: a mistake in the providers file stops
// start-up with the field named, rather than starting without sign-in.
func TestServeRefusesABadProvidersFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sso.json")
	os.WriteFile(file, []byte(`{"providers":[{"id":"entra","kind":"entra","issuer":"https://login.microsoftonline.com/common/v2.0","client_id":"x","client_secret":"y"}]}`), 0o600)
	env := map[string]string{"ONEPC_DB": filepath.Join(dir, "t.db"), "ONEPC_ADDR": "127.0.0.1:0", "ONEPC_SSO_CONFIG": file}
	if _, _, err := onepc(t, context.Background(), env, "", "serve"); err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Errorf("serve with providers and no public URL: %v", err)
	}
	env["ONEPC_PUBLIC_URL"] = "https://onepc.example.nhs.uk"
	_, _, err := onepc(t, context.Background(), env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "providers[0].issuer") || !strings.Contains(err.Error(), "multi-tenant") {
		t.Errorf("serve with a multi-tenant issuer: %v", err)
	}
}
