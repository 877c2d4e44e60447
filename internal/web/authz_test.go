package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// scopes gives, per role, an organisation inside the demo user's reach and
// one outside it.
var scopes = map[people.Role][2]string{
	people.PracticeManager:     {"Y00001", "Y00007"},
	people.PracticeStaff:       {"Y00001", "U00001"},
	people.GP:                  {"Y00001", "Y00007"},
	people.PCNManager:          {"Y00002", "U00002"},
	people.PCNClinicalDirector: {"U00001", "Y00010"},
	people.Commissioner:        {"Y00013", "Z00001"},
	people.FinanceOfficer:      {"Y00013", "Z00001"},
	people.Admin:               {"99X", "Z00001"},
}

// TestEveryRouteEveryRole walks the whole route table with every role, at an
// organisation in scope and one out of scope, and checks the status each gets.
func TestEveryRouteEveryRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newApp(t, s)
		defer checkSignOut(t, a)
		// A user whose only role is outside every demo admin's reach.
		outsider := addUser(t, a, "outsider@example.org", people.PracticeManager, "Z00001")
		insider := addUser(t, a, "insider@example.org", people.PracticeStaff, "Y00003")

		for _, role := range people.Roles {
			c := a.as(role)
			for _, rt := range a.srv.Routes() {
				if rt.Perm == "" || rt.Pattern == "POST /logout" {
					continue // signing out is tested on its own, last
				}
				for i, where := range []string{"in scope", "out of scope"} {
					method, pattern, _ := strings.Cut(rt.Pattern, " ")
					if rt.OrgParam == "" && !strings.HasPrefix(pattern, "/admin/users/{id}") && i == 1 {
						continue // nothing to be out of scope of
					}
					userID := insider
					if i == 1 {
						userID = outsider
					}
					id := strconv.FormatInt(userID, 10)
					switch {
					case strings.HasPrefix(pattern, "/measures/"):
						id = "dna-rate"
					case !strings.HasPrefix(pattern, "/admin/users/"):
						id = "1" // a service or claim: whether it exists there is the handler's business
					}
					path := strings.NewReplacer("{code}", scopes[role][i], "{id}", id, "{month}", "2026-10", "{run}", "1", "{$}", "").Replace(pattern)
					var got result
					if method == "GET" {
						got = c.get(path)
					} else {
						got = c.post(path, formFor(pattern, scopes[role][i]))
					}
					want := expected(role, rt.Perm, method, i == 0 && (!rt.Here || a.logins[role].Org == scopes[role][i]), pattern)
					switch {
					case want == nil && (got.status == 401 || got.status == 403 || got.status >= 500):
						t.Errorf("%s %s as %s (%s): status %d, want the handler to run", method, path, role, where, got.status)
					case want != nil && !want[got.status]:
						t.Errorf("%s %s as %s (%s): status %d, want one of %v", method, path, role, where, got.status, keys(want))
					}
				}
			}
		}
	})
}

func addUser(t *testing.T, a *app, email string, role people.Role, org string) int64 {
	t.Helper()
	u, err := a.store.AddUser(t.Context(), "test", people.User{Email: email, Name: email}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.GrantRole(t.Context(), "test", u.ID, role, org); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// formFor fills a write route's form with something valid enough to reach
// the authorisation decision.
func formFor(pattern, org string) url.Values {
	switch {
	case strings.HasSuffix(pattern, "/grants"):
		return url.Values{"role": {"practice_staff"}, "org": {"Y00004"}}
	case strings.HasSuffix(pattern, "/revoke"):
		return url.Values{"role": {"practice_staff"}, "org": {"Y00003"}}
	case strings.HasPrefix(pattern, "/admin/users/{id}/identities"):
		return url.Values{"provider": {"test"}, "subject": {"subject-" + org}}
	case pattern == "/admin/sso/rules":
		return url.Values{"provider": {"test"}, "claim": {"group"}, "value": {"group-" + org}, "org": {"Y00004"}, "role": {"practice_staff"}}
	case pattern == "/admin/users":
		return url.Values{"email": {"new-" + org + "@example.org"}, "name": {"New Person"}, "password": {"a long password"}}
	case strings.HasPrefix(pattern, "/admin/orphans/"):
		return url.Values{"parent": {"QZZ"}} // the Place under its own ICB: a no-op
	}
	return url.Values{}
}

// strict lists the pages every permitted role must get whole (200) at its
// in-scope organisation; other routes depend on the resource named, so the
// walk only checks that authorisation let the handler run.
var strict = map[string]bool{"/measures": true, "/measures/{id}": true, "/{$}": true, "/me": true, "/orgs": true, "/orgs/{code}": true, "/orgs/{code}/population": true,
	"/orgs/{code}/weights": true, "/orgs/{code}/services": true, "/orgs/{code}/payments": true, "/admin/users": true,
	"/admin/users/{id}": true, "/admin/audit": true, "/admin/sso": true}

// expected gives the statuses allowed, or nil for "anything the handler
// decides, but not 401, 403 or a server error".
func expected(role people.Role, perm people.Permission, method string, inScope bool, pattern string) map[int]bool {
	allowed := role.Allows(perm) && inScope
	switch {
	case role.Allows(perm) && !inScope && strings.HasPrefix(pattern, "/admin/users/{id}"):
		// Someone outside the administrator's organisations is answered
		// as an id no one has, so that ids do not tell who exists.
		return map[int]bool{404: true}
	case !allowed:
		return map[int]bool{403: true}
	case method == "POST" && strings.HasPrefix(pattern, "/measures/{id}/"):
		// A shipped measure is changed only from an ICB: the handler says so.
		return map[int]bool{303: true, 403: true, 409: true, 422: true}
	case method == "POST" && strings.HasPrefix(pattern, "/mustdos/") && pattern != "/mustdos/catalogue" && role == people.Commissioner:
		// The national must-dos are changed only from an ICB: the demo's
		// commissioner is a Place's, and the handler says so.
		return map[int]bool{403: true}
	case method == "GET" && strict[pattern]:
		return map[int]bool{200: true}
	case method == "GET":
		return nil
	case method == "POST" && strings.HasPrefix(pattern, "/admin/"):
		// Revoking a role the user does not hold is a clear 404; a reset
		// link is shown at once (201); the rest redirect.
		return map[int]bool{201: true, 303: true, 404: true}
	}
	return nil
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSignedOutGets401AndUnknownOrg404(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	anon := a.anon()
	for _, rt := range a.srv.Routes() {
		if rt.Perm == "" {
			continue
		}
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		path := strings.NewReplacer("{code}", "Y00001", "{id}", "1", "{$}", "").Replace(pattern)
		got := anon.do(method, path, url.Values{})
		if got.status != 401 {
			t.Errorf("%s %s signed out: status %d, want 401", method, path, got.status)
		}
		if method == "GET" {
			got.has(t, "Sign in to OnePC", "Sign in to use OnePC.")
		}
	}
	admin := a.as(people.Admin)
	got := admin.get("/orgs/NOSUCH")
	if got.status != 404 {
		t.Errorf("unknown org: %d", got.status)
	}
	got.has(t, "There is no organisation with the code NOSUCH")
	if got := admin.get("/no/such/page"); got.status != 404 {
		t.Errorf("unknown page: %d", got.status)
	}
	if got := a.as(people.PracticeManager).get("/orgs/Y00007"); got.status != 403 || !strings.Contains(got.body, "do not give you access to Y00007") {
		t.Errorf("out of scope: %d", got.status)
	}
}

func TestWritesNeedTheCSRFToken(t *testing.T) {
	a := newApp(t, storetest.Open(t, "sqlite"))
	admin := a.as(people.Admin)
	for _, token := range []string{"", "forged"} {
		got := admin.post("/admin/users", url.Values{"csrf_token": {token}, "email": {"x@example.org"}, "name": {"X"}, "password": {"long enough!"}})
		if got.status != 403 {
			t.Errorf("token %q: status %d, want 403", token, got.status)
		}
		got.has(t, "missing its security token")
	}
	if _, err := a.store.UserByEmail(t.Context(), "x@example.org"); err == nil {
		t.Error("a user was added without a CSRF token")
	}
	// A browser's cross-site form post is refused before any handler runs.
	req := url.Values{"csrf_token": {admin.csrf}, "email": {"y@example.org"}, "name": {"Y"}, "password": {"long enough!"}}
	r, _ := newRequest("POST", a.http.URL+"/admin/users", req)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := admin.http.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}
}

func checkSignOut(t *testing.T, a *app) {
	for _, role := range people.Roles {
		c := a.as(role)
		if got := c.post("/logout", nil); got.status != 303 || got.header.Get("Location") != "/login?signed_out=1" {
			t.Errorf("sign out as %s: %d %s", role, got.status, got.header.Get("Location"))
		}
		if got := c.get("/"); got.status != 401 {
			t.Errorf("after signing out as %s: %d, want 401", role, got.status)
		}
	}
}
