package store_test

import (
	"context"
	"testing"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/sso"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

func TestSSOSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		hierarchy(t, s)
		ctx := context.Background()
		cis2 := sso.Provider{ID: "cis2", Name: "NHS CIS2", Kind: sso.CIS2, CreateUsers: true, MoneyACR: []string{"AAL3_ANY"}}
		for _, r := range []sso.Rule{
			{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager},
			{Claim: sso.NRBACRole, Value: "R8008", Org: "P1", Role: people.FinanceOfficer},
		} {
			if err := r.Check(cis2); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddSSORule(ctx, "admin@x", r); err != nil {
				t.Fatal(err)
			}
		}
		dup := sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: sso.ClaimOrg, Role: people.PracticeManager, Provider: "cis2"}
		if _, err := s.AddSSORule(ctx, "admin@x", dup); problem.KindOf(err) != problem.Conflict {
			t.Errorf("duplicate rule: %v, want Conflict", err)
		}
		bad := sso.Rule{Claim: sso.NRBACRole, Value: "R8000", Org: "U00001", Role: people.PracticeManager, Provider: "cis2"}
		if _, err := s.AddSSORule(ctx, "admin@x", bad); problem.KindOf(err) != problem.Invalid {
			t.Errorf("practice manager at a PCN: %v, want Invalid", err)
		}
		rules, err := s.SSORules(ctx, "cis2", nil)
		if err != nil || len(rules) != 2 {
			t.Fatalf("rules = %v, %v", rules, err)
		}
		if scoped, _ := s.SSORules(ctx, "", map[string]bool{"P1": true}); len(scoped) != 1 || scoped[0].Org != "P1" {
			t.Errorf("rules within P1: %v", scoped)
		}
		signIn := func(c sso.Claims) store.SSOOutcome {
			t.Helper()
			out, err := s.SSOSignIn(ctx, cis2, c, rules)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		pm := sso.Claims{Subject: "555001", Email: "pm@alpha.nhs.uk", EmailVerified: true, Name: "Pat Manager", ACR: "AAL3_ANY",
			RBAC: []sso.RBACRole{{PersonRoleID: "1", OrgCode: "A1", RoleCode: "S8000:G8000:R8000"}}}
		out := signIn(pm)
		if !out.Create || out.Session.Token == "" || len(out.User.Grants) != 1 || out.User.Grants[0].OrgCode != "A1" || out.User.Grants[0].Source != "sso:cis2" {
			t.Fatalf("first sign-in: %+v", out)
		}
		// Again: the same person, found by subject; no second user.
		if again := signIn(pm); again.Create || again.Link || again.User.ID != out.User.ID {
			t.Errorf("second sign-in: %+v", again)
		}
		// The role moves practice: the old grant goes, the new one comes.
		pm.RBAC[0].OrgCode = "A2"
		moved := signIn(pm)
		if len(moved.User.Grants) != 1 || moved.User.Grants[0].OrgCode != "A2" {
			t.Errorf("after the move: %+v", moved.User.Grants)
		}
		// An administrator's grant survives a sign-in whose mapping lacks it.
		if err := s.GrantRole(ctx, "admin@x", out.User.ID, people.PracticeStaff, "A3"); err != nil {
			t.Fatal(err)
		}
		if got := signIn(pm); len(got.User.Grants) != 2 {
			t.Errorf("explicit grant lost: %+v", got.User.Grants)
		}
		// A password session carries the administrator's grant only.
		pw, err := s.CreateSession(ctx, out.User.ID, "pm@alpha.nhs.uk")
		if err != nil {
			t.Fatal(err)
		}
		if _, su, _ := s.SessionUser(ctx, pw.Token); len(su.Grants) != 1 || su.Grants[0].OrgCode != "A3" {
			t.Errorf("password session grants: %+v", su.Grants)
		}

		// Nobody is made from claims that map to nothing, and nothing is written.
		if none := signIn(sso.Claims{Subject: "999", Email: "who@x.nhs.uk", EmailVerified: true}); none.Refusal != sso.NoRole || none.User.ID != 0 || none.Session.Token != "" {
			t.Errorf("unmapped person: %+v", none)
		}
		// An unverified email links no one: a new user is not made from it either.
		if unv := signIn(sso.Claims{Subject: "998", Email: "pm@alpha.nhs.uk", RBAC: pm.RBAC}); unv.Refusal != sso.NoEmail {
			t.Errorf("unverified email: %+v", unv)
		}
		// A second subject with the same verified email does not take the account over.
		if other := signIn(sso.Claims{Subject: "997", Email: "pm@alpha.nhs.uk", EmailVerified: true, RBAC: pm.RBAC}); other.Refusal != sso.LinkedElsewhere {
			t.Errorf("same email, another subject: %+v", other)
		}
		if ids, _ := s.Identities(ctx, out.User.ID); len(ids) != 1 {
			t.Errorf("identities after the attempt: %+v", ids)
		}

		// Money roles need the assurance level.
		u, err := s.AddUser(ctx, "admin@x", people.User{Email: "c@icb.nhs.uk", Name: "Cam Finance"}, "")
		if err != nil {
			t.Fatal(err)
		}
		comm := sso.Claims{Subject: "777", Email: "c@icb.nhs.uk", EmailVerified: true, ACR: "AAL2_ANY",
			RBAC: []sso.RBACRole{{PersonRoleID: "2", OrgCode: "P1", RoleCode: "S8000:G8000:R8008"}}}
		if low := signIn(comm); low.Refusal != sso.NoRole || len(low.Held) != 1 {
			t.Errorf("finance officer at AAL2: %+v", low)
		}
		if ids, _ := s.Identities(ctx, u.ID); len(ids) != 0 {
			t.Errorf("a refused sign-in linked: %+v", ids)
		}
		if err := s.GrantRole(ctx, "admin@x", u.ID, people.FinanceOfficer, "P1"); err != nil {
			t.Fatal(err)
		}
		if low := signIn(comm); low.Refusal != sso.NoRole {
			t.Errorf("only a finance officer grant, at AAL2: %+v", low)
		}
		if err := s.GrantRole(ctx, "admin@x", u.ID, people.PracticeStaff, "A1"); err != nil {
			t.Fatal(err)
		}
		low := signIn(comm)
		_, su, err := s.SessionUser(ctx, low.Session.Token)
		if err != nil || low.Session.MoneyOK || len(su.Grants) != 1 || su.Grants[0].Role != people.PracticeStaff {
			t.Errorf("AAL2 session grants: %+v %v", su.Grants, err)
		}
		comm.ACR = "AAL3_ANY"
		high := signIn(comm)
		if _, su, _ = s.SessionUser(ctx, high.Session.Token); len(su.Grants) != 2 {
			t.Errorf("AAL3 session grants: %+v", su.Grants)
		}

		// A begun sign-in finishes once; one address can begin only so many.
		st := store.SSOStart{State: "state-1", Nonce: "n", Verifier: "v"}
		if err := s.BeginSSO(ctx, "cis2", st, "/orgs/A1", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TakeSSO(ctx, "entra", st.State); err != store.ErrSSOStartUnknown {
			t.Errorf("other provider took it: %v", err)
		}
		got, next, err := s.TakeSSO(ctx, "cis2", st.State)
		if err != nil || got.Nonce != st.Nonce || got.Verifier != st.Verifier || next != "/orgs/A1" {
			t.Errorf("take: %+v %q %v", got, next, err)
		}
		if _, _, err := s.TakeSSO(ctx, "cis2", st.State); err != store.ErrSSOStartUnknown {
			t.Errorf("second take: %v", err)
		}
		for i := range store.MaxSSOStarts {
			if err := s.BeginSSO(ctx, "cis2", store.SSOStart{State: "flood-" + string(rune('a'+i))}, "/", "192.0.2.9"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.BeginSSO(ctx, "cis2", store.SSOStart{State: "one-more"}, "/", "192.0.2.9"); problem.KindOf(err) != problem.TooMany {
			t.Errorf("flood: %v", err)
		}
		if err := s.BeginSSO(ctx, "cis2", store.SSOStart{State: "elsewhere"}, "/", "192.0.2.10"); err != nil {
			t.Errorf("another address: %v", err)
		}

		// Explicit links.
		if err := s.LinkIdentity(ctx, "admin@x", u.ID, "entra", "oid-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.LinkIdentity(ctx, "admin@x", out.User.ID, "entra", "oid-1"); problem.KindOf(err) != problem.Conflict {
			t.Errorf("link twice: %v", err)
		}
		ids, _ := s.Identities(ctx, u.ID)
		if len(ids) != 2 {
			t.Errorf("identities: %+v", ids)
		}
		if err := s.UnlinkIdentity(ctx, "admin@x", u.ID, "entra", "oid-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteSSORule(ctx, "admin@x", rules[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SSORule(ctx, rules[0].ID); problem.KindOf(err) != problem.NotFound {
			t.Errorf("deleted rule: %v", err)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
			t.Errorf("audit: %d %v", n, err)
		}
	})
}
