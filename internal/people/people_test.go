package people

import (
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/problem"
)

func TestAuthorize(t *testing.T) {
	practice := []string{"A1", "U00001", "P1", "Q1", "Y1"} // a practice and everything above it
	pcn := []string{"U00001", "P1", "Q1", "Y1"}
	tests := []struct {
		name   string
		grants []Grant
		perm   Permission
		chain  []string
		want   bool
	}{
		{"manager at own practice", []Grant{{Role: PracticeManager, OrgCode: "A1"}}, ViewOrg, practice, true},
		{"manager cannot look up to the PCN", []Grant{{Role: PracticeManager, OrgCode: "A1"}}, ViewOrg, pcn, false},
		{"PCN manager sees member practice", []Grant{{Role: PCNManager, OrgCode: "U00001"}}, ViewOrg, practice, true},
		{"commissioner at Place sees practice", []Grant{{Role: Commissioner, OrgCode: "P1"}}, ViewOrg, practice, true},
		{"commissioner elsewhere", []Grant{{Role: Commissioner, OrgCode: "P2"}}, ViewOrg, practice, false},
		{"commissioner cannot manage users", []Grant{{Role: Commissioner, OrgCode: "Q1"}}, ManageUsers, practice, false},
		{"admin manages users below", []Grant{{Role: Admin, OrgCode: "Q1"}}, ManageUsers, practice, true},
		{"admin anywhere, no target", []Grant{{Role: Admin, OrgCode: "A1"}}, ViewAudit, nil, true},
		{"no grants", nil, ViewOrg, practice, false},
		{"staff holds no admin right anywhere", []Grant{{Role: PracticeStaff, OrgCode: "A1"}}, ViewAudit, nil, false},
	}
	for _, tc := range tests {
		if got := Authorize(tc.grants, tc.perm, tc.chain); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestEveryPermissionHasRoles(t *testing.T) {
	for _, p := range Permissions() {
		if len(manifest[p]) == 0 {
			t.Errorf("%s is held by no role", p)
		}
	}
}

func TestNewUser(t *testing.T) {
	u, err := NewUser("  Jo@Example.org ", " Jo ", "long enough pass")
	if err != nil || u.Email != "jo@example.org" || u.Name != "Jo" {
		t.Errorf("got %+v %v", u, err)
	}
	_, err = NewUser("not-an-email", "", "short")
	f := problem.FieldsOf(err)
	if len(f) != 3 || f[0].Name != "email" || f[1].Name != "name" || f[2].Name != "password" {
		t.Errorf("got %v", err)
	}
	// An address that only looks like another (a probe added
	// "ｐractice.manager@…", a fullwidth p) is refused, saying where.
	for email, want := range map[string]string{
		"ｐractice.manager@onepc.example": `character 1 ('ｐ') only looks like one`,
		"jo@exаmple.org":                 `character 6 ('а') only looks like one`, // Cyrillic а
		"jo bloggs@example.org":          "character 3 (' ')",
		"jo.o'neill+rota@nhs.net":        "",
	} {
		if got := CheckEmail(email); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckEmail(%q) = %q, want %q", email, got, want)
		}
	}
	if _, err := ParseRole("boss"); err == nil || !strings.Contains(err.Error(), "practice_manager") {
		t.Errorf("ParseRole(boss) = %v", err)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q %v", h, err)
	}
	if !CheckPasswordHash(h, "correct horse") || CheckPasswordHash(h, "correct horsE") || CheckPasswordHash("garbage", "x") {
		t.Error("password check is wrong")
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

// TestCheckPassword: the weak passwords a probe got accepted are refused.
func TestCheckPassword(t *testing.T) {
	email, name := "jo.bloggs@example.nhs.uk", "Jo Bloggs"
	for p, ok := range map[string]bool{
		"aaaaaaaaaa":                   false, // one character
		"ababababab":                   false,
		"password12":                   false, // common, with digits after
		"Password123!":                 false,
		"          ":                   false, // ten spaces
		"jo.bloggs@example.nhs.uk":     false, // the email itself
		"jo.bloggs-rules-2026":         false, // built on it
		"bloggs-family-1999":           false, // the name
		"short1!":                      false,
		"correct horse battery staple": true,
		"Kettle-Orbit-Meadow-41":       true,
	} {
		if got := CheckPassword(p, email, name); (got == "") != ok {
			t.Errorf("CheckPassword(%q) = %q, want acceptable %v", p, got, ok)
		}
	}
}

func TestManagesWhole(t *testing.T) {
	scope := map[string]bool{"99X": true, "Y00001": true, "Y00002": true}
	staff := Grant{Role: PracticeStaff, OrgCode: "Y00001"}
	for _, tc := range []struct {
		name   string
		top    bool
		grants []Grant
		want   bool
	}{
		{"all in scope", false, []Grant{staff, {Role: PracticeManager, OrgCode: "Y00002"}}, true},
		{"one role elsewhere", false, []Grant{staff, {Role: PracticeManager, OrgCode: "Z00001"}}, false},
		{"an administrator", false, []Grant{{Role: Admin, OrgCode: "99X"}}, false},
		{"a finance officer", false, []Grant{{Role: FinanceOfficer, OrgCode: "99X"}}, false},
		{"the top may", true, []Grant{{Role: Admin, OrgCode: "Y99"}}, true},
		{"no roles", false, nil, true},
	} {
		if got := ManagesWhole(scope, tc.top, User{Grants: tc.grants}); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
