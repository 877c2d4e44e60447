package sso

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
)

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"CIS2_SECRET": "s3cret"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name, json string
		field      string // the field an error names; "" for none
	}{
		{"good", `{"providers":[{"id":"cis2","kind":"cis2","issuer":"https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk:443/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare","client_id":"onepc","client_secret_env":"CIS2_SECRET"}]}`, ""},
		{"entra tenant", `{"providers":[{"id":"entra","kind":"entra","issuer":"https://login.microsoftonline.com/8a1f5c3e-0000-4000-8000-000000000001/v2.0","client_id":"x","client_secret":"y","trust_email":true}]}`, ""},
		{"entra common", `{"providers":[{"id":"entra","kind":"entra","issuer":"https://login.microsoftonline.com/common/v2.0","client_id":"x","client_secret":"y"}]}`, "providers[0].issuer"},
		{"entra organizations", `{"providers":[{"id":"entra","kind":"entra","issuer":"https://login.microsoftonline.com/organizations/v2.0","client_id":"x","client_secret":"y"}]}`, "providers[0].issuer"},
		{"plain http elsewhere", `{"providers":[{"id":"x","issuer":"http://idp.example/","client_id":"x","client_secret":"y"}]}`, "providers[0].issuer"},
		{"empty secret variable", `{"providers":[{"id":"x","issuer":"https://idp.example/","client_id":"x","client_secret_env":"NOPE"}]}`, "providers[0].client_secret_env"},
		{"secret and key", `{"providers":[{"id":"x","issuer":"https://idp.example/","client_id":"x","client_secret":"a","private_key_file":"k.pem"}]}`, "providers[0].private_key_file"},
		{"no client", `{"providers":[{"id":"x","issuer":"https://idp.example/","client_secret":"a"}]}`, "providers[0].client_id"},
		{"bad id", `{"providers":[{"id":"X Y","issuer":"https://idp.example/","client_id":"x","client_secret":"a"}]}`, "providers[0].id"},
		{"bad kind", `{"providers":[{"id":"x","kind":"saml","issuer":"https://idp.example/","client_id":"x","client_secret":"a"}]}`, "providers[0].kind"},
		{"no openid scope", `{"providers":[{"id":"x","issuer":"https://idp.example/","client_id":"x","client_secret":"a","scopes":["email"]}]}`, "providers[0].scopes"},
		{"two with one id", `{"providers":[{"id":"x","issuer":"https://idp.example/","client_id":"x","client_secret":"a"},{"id":"x","issuer":"https://idp2.example/","client_id":"x","client_secret":"a"}]}`, "providers[1].id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := LoadConfig(strings.NewReader(tc.json), getenv)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if ps[0].ClientSecret == "" || len(ps[0].Scopes) == 0 || ps[0].Label == "" {
					t.Errorf("defaults not filled: %+v", ps[0])
				}
				return
			}
			fields := problem.FieldsOf(err)
			if !slices.ContainsFunc(fields, func(f problem.Field) bool { return f.Name == tc.field }) {
				t.Errorf("error %v names %v, want %s", err, fields, tc.field)
			}
		})
	}
	if _, err := LoadConfig(strings.NewReader(`{"providers":[{"id":"x","isuer":"typo"}]}`), getenv); err == nil || !strings.Contains(err.Error(), "isuer") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestMap(t *testing.T) {
	cis2 := Provider{ID: "cis2", Kind: CIS2}
	entra := Provider{ID: "entra", Kind: Entra}
	pm := RBACRole{PersonRoleID: "1", OrgCode: "Y00001", RoleCode: "S8000:G8001:R8000", ActivityCodes: []string{"B0428"}}
	other := RBACRole{PersonRoleID: "2", OrgCode: "Y00002", RoleCode: "S8000:G8001:R8000"}
	rules := []Rule{
		{ID: 1, Claim: NRBACRole, Value: "R8000", Org: ClaimOrg, Role: people.PracticeManager},
		{ID: 2, Claim: NRBACRole, Value: "S8000:G8001:R8000", Org: "Y00002", Role: people.PracticeStaff},
		{ID: 3, Claim: NRBACRole, Value: "R8000", Activity: "B0999", Org: ClaimOrg, Role: people.Admin},
		{ID: 4, Claim: Group, Value: "g-commissioners", Org: "99X", Role: people.Commissioner},
		{ID: 5, Claim: AppRole, Value: "OnePC.Admin", Org: "QYY", Role: people.Admin},
	}
	g := func(r people.Role, org string) people.Grant { return people.Grant{Role: r, OrgCode: org} }
	tests := []struct {
		name   string
		claims Claims
		want   []people.Grant
	}{
		{"selected role only", Claims{RBAC: []RBACRole{pm, other}, SelectedRole: "1"}, []people.Grant{g(people.PracticeManager, "Y00001")}},
		{"all roles when none is selected", Claims{RBAC: []RBACRole{pm, other}},
			[]people.Grant{g(people.PracticeManager, "Y00001"), g(people.PracticeManager, "Y00002"), g(people.PracticeStaff, "Y00002")}},
		{"selected role not among them", Claims{RBAC: []RBACRole{pm}, SelectedRole: "9"}, nil},
		{"a fixed organisation needs the role held there", Claims{RBAC: []RBACRole{pm}}, []people.Grant{g(people.PracticeManager, "Y00001")}},
		{"activity code required", Claims{RBAC: []RBACRole{{OrgCode: "Y00003", RoleCode: "R8000", ActivityCodes: []string{"B0999"}}}},
			[]people.Grant{g(people.PracticeManager, "Y00003"), g(people.Admin, "Y00003")}},
		{"another job role", Claims{RBAC: []RBACRole{{OrgCode: "Y00001", RoleCode: "S8000:G8000:R8001"}}}, nil},
		{"a code that merely ends alike", Claims{RBAC: []RBACRole{{OrgCode: "Y00001", RoleCode: "S8000:G8000:R80000"}}}, nil},
		{"group", Claims{Groups: []string{"g-commissioners", "g-other"}}, []people.Grant{g(people.Commissioner, "99X")}},
		{"app role", Claims{AppRoles: []string{"OnePC.Admin"}}, []people.Grant{g(people.Admin, "QYY")}},
		{"nothing", Claims{Groups: []string{"G-COMMISSIONERS"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []people.Grant
			for _, m := range Map(rules, tc.claims) {
				got = append(got, m.Grant)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		p     Provider
		r     Rule
		field string
	}{
		{cis2, Rule{Claim: Group, Value: "g", Org: "99X", Role: people.Commissioner}, "claim"},
		{entra, Rule{Claim: NRBACRole, Value: "R8000", Org: "Y00001", Role: people.PracticeManager}, "claim"},
		{entra, Rule{Claim: Group, Value: "g", Org: ClaimOrg, Role: people.Commissioner}, "org"},
		{entra, Rule{Claim: Group, Value: "g", Activity: "B0428", Org: "99X", Role: people.Commissioner}, "activity"},
		{entra, Rule{Claim: Group, Value: " ", Org: "99X", Role: people.Commissioner}, "value"},
		{entra, Rule{Claim: Group, Value: "g", Org: "99X", Role: "boss"}, "role"},
		{cis2, Rule{Claim: NRBACRole, Value: "R8000", Org: "", Role: people.PracticeManager}, "org"},
	} {
		fields := problem.FieldsOf(tc.r.Check(tc.p))
		if !slices.ContainsFunc(fields, func(f problem.Field) bool { return f.Name == tc.field }) {
			t.Errorf("%+v: fields %v, want %s", tc.r, fields, tc.field)
		}
	}
}

func TestDecide(t *testing.T) {
	p := Provider{MoneyACR: []string{"AAL3_ANY"}, MoneyNeedsGrant: true}
	matches := []Match{{Grant: people.Grant{Role: people.Commissioner, OrgCode: "99X"}}, {Grant: people.Grant{Role: people.PracticeManager, OrgCode: "Y00001"}}}
	explicit := []people.Grant{{Role: people.Commissioner, OrgCode: "99X"}}
	tests := []struct {
		acr      string
		explicit []people.Grant
		grants   int
		moneyOK  bool
	}{
		{"AAL3_ANY", explicit, 2, true},
		{"AAL3_ANY", nil, 1, true}, // no administrator's grant: the money role is held back
		{"AAL2_ANY", explicit, 1, false},
		{"", explicit, 1, false},
	}
	for _, tc := range tests {
		d := Decide(p, matches, tc.acr, tc.explicit)
		if len(d.Grants) != tc.grants || d.MoneyOK != tc.moneyOK || len(d.Held) != 2-tc.grants {
			t.Errorf("acr %q explicit %v: %+v", tc.acr, tc.explicit, d)
		}
	}
	if d := Decide(Provider{}, matches, "", nil); len(d.Grants) != 2 || !d.MoneyOK {
		t.Errorf("no policy: %+v", d)
	}
	if !ApprovesMoney(people.Commissioner) || ApprovesMoney(people.PracticeManager) {
		t.Error("ApprovesMoney")
	}
}

func TestParseClaims(t *testing.T) {
	c, err := ParseClaims([]byte(`{"sub":"5550","email":" Pat@NHS.net ","email_verified":"true","acr":"AAL3_ANY",
		"nhsid_nrbac_roles":[{"person_orgid":"1","person_roleid":"2","org_code":"Y00001","role_name":"\"Admin\":\"Management\":\"Practice Manager\"","role_code":"S8000:G8001:R8000","activity_codes":["B0428"]}],
		"selected_roleid":"2","groups":["g1"],"roles":["r1"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "pat@nhs.net" || !c.EmailVerified || len(c.ActiveRoles()) != 1 || c.ActiveRoles()[0].ActivityCodes[0] != "B0428" || c.Groups[0] != "g1" || c.AppRoles[0] != "r1" {
		t.Errorf("%+v", c)
	}
	if c.VerifiedEmail(Provider{}) != "pat@nhs.net" {
		t.Error("verified email")
	}
	c.EmailVerified = false
	if c.VerifiedEmail(Provider{}) != "" || c.VerifiedEmail(Provider{TrustEmail: true}) != "pat@nhs.net" {
		t.Error("unverified email")
	}
	m := Claims{Subject: "a"}.Merge(Claims{Subject: "b", Email: "x@y", EmailVerified: true, RBAC: c.RBAC})
	if m.Subject != "a" || m.Email != "x@y" || len(m.RBAC) != 1 {
		t.Errorf("merge %+v", m)
	}
}

func FuzzParseClaims(f *testing.F) {
	f.Add([]byte(`{"sub":"1","nhsid_nrbac_roles":[{"org_code":"A","role_code":"R8000"}],"selected_roleid":"x"}`))
	f.Add([]byte(`{"email_verified":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClaims(b)
		if err == nil {
			Map([]Rule{{Claim: NRBACRole, Value: "R8000", Org: ClaimOrg, Role: people.PracticeManager}}, c)
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	f.Add(`{"providers":[{"id":"x","issuer":"https://idp.example/","client_id":"x","client_secret":"a"}]}`)
	f.Add(`{"providers":[{"id":"entra","issuer":"https://login.microsoftonline.com/common/v2.0"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := LoadConfig(strings.NewReader(s), func(string) string { return "" })
		for _, p := range ps {
			if err == nil && (CheckIssuer(p.Issuer) != "" || p.ClientID == "") {
				t.Errorf("accepted %+v", p)
			}
		}
	})
}

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
