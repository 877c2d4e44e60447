package web

import (
	"net/http"
	"strings"

	"github.com/onepc/onepc/internal/people"
)

// route is one entry of the route table. perm "" means the route is open to
// anyone; otherwise the wrapper signs the user in and calls people.Authorize
// before the handler runs, against the organisation named by the path value
// org (or anywhere, when org is ""). Handlers never decide access themselves.
type route struct {
	pattern string
	perm    people.Permission
	org     string // path value holding the organisation code checked
	api     bool   // also served as JSON under /api
	handle  func(w http.ResponseWriter, r *http.Request, rq *request) error
}

// routeTable is the whole of OnePC's HTTP surface.
func (s *Server) routeTable() []route {
	return []route{
		{pattern: "GET /login", handle: s.loginPage},
		{pattern: "POST /login", handle: s.login},
		{pattern: "POST /logout", perm: people.ViewOrg, handle: s.logout},

		{pattern: "GET /{$}", perm: people.ViewOrg, handle: s.home},
		{pattern: "GET /me", perm: people.ViewOrg, api: true, handle: s.me},
		{pattern: "GET /orgs", perm: people.ViewOrg, api: true, handle: s.orgBrowser},
		{pattern: "GET /orgs/{code}", perm: people.ViewOrg, org: "code", api: true, handle: s.orgPage},
		{pattern: "GET /orgs/{code}/population", perm: people.ViewOrg, org: "code", api: true, handle: s.populationPage},
		{pattern: "GET /orgs/{code}/population.csv", perm: people.ViewOrg, org: "code", handle: s.populationCSV},
		{pattern: "GET /orgs/{code}/weights", perm: people.ViewOrg, org: "code", api: true, handle: s.weightsPage},
		{pattern: "POST /orgs/{code}/weights", perm: people.EditWeights, org: "code", api: true, handle: s.saveWeights},

		{pattern: "GET /admin/users", perm: people.ManageUsers, api: true, handle: s.usersPage},
		{pattern: "POST /admin/users", perm: people.ManageUsers, api: true, handle: s.addUser},
		{pattern: "GET /admin/users/{id}", perm: people.ManageUsers, api: true, handle: s.userPage},
		{pattern: "POST /admin/users/{id}/grants", perm: people.ManageUsers, api: true, handle: s.grantRole},
		{pattern: "POST /admin/users/{id}/grants/revoke", perm: people.ManageUsers, api: true, handle: s.revokeRole},
		{pattern: "GET /admin/audit", perm: people.ViewAudit, api: true, handle: s.auditPage},
	}
}

// Routes lists the route patterns with their permission and organisation
// parameter, for the authorisation test that walks them all.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes {
		out = append(out, RouteInfo{Pattern: rt.pattern, Perm: rt.perm, OrgParam: rt.org, API: rt.api})
	}
	return out
}

// RouteInfo describes a route for tests.
type RouteInfo struct {
	Pattern  string
	Perm     people.Permission
	OrgParam string
	API      bool
}

func cut(pattern string) (method, path string, ok bool) {
	return strings.Cut(pattern, " ")
}
