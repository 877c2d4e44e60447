package sso

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/orgs"
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

func TestAdmit(t *testing.T) {
	cis2 := Provider{ID: "cis2", Name: "NHS CIS2", Kind: CIS2, CreateUsers: true, MoneyACR: []string{"AAL3_ANY"}, MoneyNeedsGrant: true}
	rules := []Rule{
		{ID: 1, Claim: NRBACRole, Value: "R8008", Org: "99X", Role: people.FinanceOfficer},
		{ID: 2, Claim: NRBACRole, Value: "R8000", Org: ClaimOrg, Role: people.PracticeManager},
	}
	kinds := map[string]orgs.Kind{"99X": orgs.Place, "Y00001": orgs.Practice, "U00001": orgs.PCN}
	role := func(org, code string) RBACRole { return RBACRole{OrgCode: org, RoleCode: code} }
	comm := people.Grant{Role: people.FinanceOfficer, OrgCode: "99X"} // a money role
	tests := []struct {
		name    string
		p       Provider
		c       Claims
		who     Person
		refusal Refusal
		grants  int
		create  bool
		link    bool
		held    int
	}{
		{"new practice manager", cis2, Claims{Email: "a@x", EmailVerified: true, ACR: "AAL2_ANY", RBAC: []RBACRole{role("Y00001", "R8000")}}, Person{}, "", 1, true, true, 0},
		{"new, provider adds nobody", Provider{ID: "x", Name: "X"}, Claims{Email: "a@x", EmailVerified: true, RBAC: []RBACRole{role("Y00001", "R8000")}}, Person{}, NoAccount, 1, false, false, 0},
		{"new, unverified email", cis2, Claims{Email: "a@x", RBAC: []RBACRole{role("Y00001", "R8000")}}, Person{}, NoEmail, 1, false, false, 0},
		{"new, nothing maps", cis2, Claims{Email: "a@x", EmailVerified: true, RBAC: []RBACRole{role("Y00001", "R9999")}}, Person{}, NoRole, 0, false, false, 0},
		{"unknown organisation", cis2, Claims{Email: "a@x", EmailVerified: true, RBAC: []RBACRole{role("Y99999", "R8000")}}, Person{}, NoRole, 0, false, false, 1},
		{"role that does not fit", cis2, Claims{Email: "a@x", EmailVerified: true, RBAC: []RBACRole{role("U00001", "R8000")}}, Person{}, NoRole, 0, false, false, 1},
		{"finance officer at AAL3 with a grant", cis2, Claims{ACR: "AAL3_ANY", RBAC: []RBACRole{role("99X", "R8008")}}, Person{UserID: 7, BySubject: true, Explicit: []people.Grant{comm}}, "", 1, false, false, 0},
		{"finance officer at AAL3 without a grant", cis2, Claims{ACR: "AAL3_ANY", RBAC: []RBACRole{role("99X", "R8008")}}, Person{UserID: 7, BySubject: true}, NoRole, 0, false, false, 1},
		{"finance officer at AAL2, grant hidden", cis2, Claims{ACR: "AAL2_ANY", RBAC: []RBACRole{role("99X", "R8008")}}, Person{UserID: 7, BySubject: true, Explicit: []people.Grant{comm}}, NoRole, 0, false, false, 1},
		{"found by email: link", cis2, Claims{RBAC: []RBACRole{role("Y00001", "R8000")}}, Person{UserID: 7}, "", 1, false, true, 0},
		{"email's account linked to another", cis2, Claims{RBAC: []RBACRole{role("Y00001", "R8000")}}, Person{UserID: 7, LinkedElsewhere: true}, LinkedElsewhere, 0, false, false, 0},
		{"explicit grants alone admit", cis2, Claims{}, Person{UserID: 7, BySubject: true, Explicit: []people.Grant{{Role: people.PracticeStaff, OrgCode: "Y00001"}}}, "", 0, false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Admit(tc.p, tc.c, rules, tc.who, kinds)
			if a.Refusal != tc.refusal || len(a.Grants) != tc.grants || a.Create != tc.create || a.Link != tc.link || len(a.Held) != tc.held {
				t.Errorf("got %+v", a)
			}
			if a.Refusal != "" && !strings.Contains(a.Refusal.Message(tc.p), tc.p.Name) {
				t.Errorf("message %q", a.Refusal.Message(tc.p))
			}
			for _, g := range a.Grants {
				if g.Source != Source(tc.p.ID) {
					t.Errorf("grant %+v not marked", g)
				}
			}
		})
	}
	if !people.FinanceOfficer.ApprovesMoney() || people.Commissioner.ApprovesMoney() || people.PracticeManager.ApprovesMoney() {
		t.Error("ApprovesMoney")
	}
}

func TestSessionGrants(t *testing.T) {
	all := []people.Grant{{Role: people.PracticeStaff, OrgCode: "A"}, {Role: people.FinanceOfficer, OrgCode: "P", Source: "sso:cis2"},
		{Role: people.PracticeManager, OrgCode: "B", Source: "sso:entra"}, {Role: people.FinanceOfficer, OrgCode: "Q"}}
	count := func(gs []people.Grant) int { return len(gs) }
	if n := count(SessionGrants(all, "", true)); n != 2 {
		t.Errorf("password session: %d grants, want the 2 an administrator made", n)
	}
	if n := count(SessionGrants(all, "cis2", true)); n != 3 {
		t.Errorf("CIS2 session: %d, want 3 (not Entra's)", n)
	}
	if n := count(SessionGrants(all, "cis2", false)); n != 1 {
		t.Errorf("CIS2 session below the money assurance: %d, want 1", n)
	}
}

func TestRuleWithin(t *testing.T) {
	scope := map[string]bool{"99X": true, "Y00001": true}
	for _, tc := range []struct {
		org   string
		scope map[string]bool
		want  bool
	}{{"Y00001", scope, true}, {"Z00001", scope, false}, {ClaimOrg, scope, false}, {ClaimOrg, nil, true}, {"Z00001", nil, true}} {
		if got := (Rule{Org: tc.org}).Within(tc.scope); got != tc.want {
			t.Errorf("rule at %s within %v: %v", tc.org, tc.scope, got)
		}
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

func TestAdmitTidiesNewPeople(t *testing.T) {
	p := Provider{ID: "cis2", Name: "NHS CIS2", Kind: CIS2, CreateUsers: true}
	rules := []Rule{{Claim: NRBACRole, Value: "R8000", Org: ClaimOrg, Role: people.PracticeManager}}
	kinds := map[string]orgs.Kind{"Y00001": orgs.Practice}
	var many []RBACRole
	for i := range 50 {
		many = append(many, RBACRole{OrgCode: "X" + strconv.Itoa(i), RoleCode: "R8000"})
	}
	for _, tc := range []struct {
		name    string
		c       Claims
		refusal Refusal
		held    int
	}{
		{"an address with a display name", Claims{Email: `"Not an email" <x@y.nhs.uk>`, EmailVerified: true, RBAC: []RBACRole{{OrgCode: "Y00001", RoleCode: "R8000"}}}, NoEmail, 0},
		{"thousands of roles", Claims{Email: "x@y.nhs.uk", EmailVerified: true, RBAC: append(many, RBACRole{OrgCode: "Y00001", RoleCode: "R8000"})}, "", 21},
	} {
		a := Admit(p, tc.c, rules, Person{}, kinds)
		if a.Refusal != tc.refusal || len(a.Held) != tc.held {
			t.Errorf("%s: %+v", tc.name, a)
		}
	}
	a := Admit(p, Claims{Email: "x@y.nhs.uk", EmailVerified: true, Name: strings.Repeat("é", 300) + "\n", RBAC: []RBACRole{{OrgCode: "Y00001", RoleCode: "R8000"}}}, rules, Person{}, kinds)
	if !a.Create || len([]rune(a.Name)) != 200 || a.Email != "x@y.nhs.uk" {
		t.Errorf("long name: %d runes, %+v", len([]rune(a.Name)), a.Create)
	}
}
