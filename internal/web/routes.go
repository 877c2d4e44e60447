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
	here    bool   // perm must be held at that organisation itself, not only above it (people.AuthorizeHere)
	// With here: or at the PCN a practice has let make its claims
	// (store.Delegate): a PCN's roles reach its member practices' claims
	// only so.
	delegable bool
	api       bool // also served as JSON under /api
	// session: a signed-in person only, never an API token: making
	// credentials (tokens, calendar addresses, reset links), passwords, and
	// who may do what. A leaked token cannot make itself more.
	session bool
	maxBody int64 // the most a request body may hold; formLimit when 0
	// guest: also open to a guest of a planning round (signed in by a join
	// code, no account), when nobody is signed in; the handler then
	// decides what the guest may see of the round named in the path.
	guest  bool
	handle func(w http.ResponseWriter, r *http.Request, rq *request) error
}

// APIRoutes lists the routes also served as JSON under /api, as
// "METHOD /api/path" patterns, in the route table's order.
func (s *Server) APIRoutes() []string {
	var out []string
	for _, rt := range s.routes {
		if rt.api {
			method, path, _ := strings.Cut(rt.pattern, " ")
			out = append(out, method+" /api"+path)
		}
	}
	return out
}

// routeTable is the whole of OnePC's HTTP surface.
func (s *Server) routeTable() []route {
	return []route{
		{pattern: "GET /login", handle: s.loginPage},
		{pattern: "POST /login", handle: s.login},
		{pattern: "POST /logout", perm: people.ViewOrg, handle: s.logout},
		{pattern: "GET /login/sso/{provider}", handle: s.ssoStart},
		{pattern: "GET /login/sso/{provider}/callback", handle: s.ssoCallback},

		{pattern: "GET /{$}", perm: people.ViewOrg, handle: s.home},
		{pattern: "GET /api/openapi.json", handle: s.openAPIDoc},
		{pattern: "GET /status", api: true, handle: s.statusPage},
		{pattern: "GET /accessibility", handle: s.infoPage("accessibility", "Accessibility statement")},
		{pattern: "GET /privacy", handle: s.infoPage("privacy", "Privacy notice")},
		{pattern: "GET /cookies", handle: s.infoPage("cookies", "Cookies")},
		{pattern: "GET /help", handle: s.infoPage("help", "Help")},
		{pattern: "GET /me", perm: people.ViewOrg, api: true, handle: s.me},
		{pattern: "GET /account", perm: people.ViewOrg, api: true, handle: s.accountPage},
		{pattern: "POST /account/tokens", perm: people.ViewOrg, api: true, session: true, handle: s.createToken},
		{pattern: "POST /account/tokens/{id}/revoke", perm: people.ViewOrg, api: true, session: true, handle: s.revokeToken},
		{pattern: "POST /account/password", perm: people.ViewOrg, api: true, session: true, handle: s.changePassword},
		{pattern: "GET /login/forgot", handle: s.forgotPage},
		{pattern: "POST /login/forgot", handle: s.forgot},
		{pattern: "GET /login/reset", handle: s.resetPage},
		{pattern: "POST /login/reset", handle: s.reset},
		{pattern: "GET /orgs", perm: people.ViewOrg, api: true, handle: s.orgBrowser},
		{pattern: "GET /orgs/{code}", perm: people.ViewOrg, org: "code", api: true, handle: s.orgPage},
		{pattern: "GET /orgs/{code}/population", perm: people.ViewOrg, org: "code", api: true, handle: s.populationPage},
		{pattern: "GET /orgs/{code}/population.csv", perm: people.ViewOrg, org: "code", handle: s.populationCSV},
		{pattern: "GET /orgs/{code}/weights", perm: people.ViewOrg, org: "code", api: true, handle: s.weightsPage},
		{pattern: "POST /orgs/{code}/weights", perm: people.EditWeights, org: "code", api: true, handle: s.saveWeights},

		{pattern: "GET /orgs/{code}/services", perm: people.ViewOrg, org: "code", api: true, handle: s.servicesPage},
		{pattern: "GET /orgs/{code}/services/new", perm: people.ManageServices, org: "code", handle: s.newServicePage},
		{pattern: "POST /orgs/{code}/services", perm: people.ManageServices, org: "code", api: true, handle: s.createService},
		{pattern: "GET /orgs/{code}/services/{id}", perm: people.ViewOrg, org: "code", api: true, handle: s.servicePage},
		{pattern: "POST /orgs/{code}/services/{id}/offers", perm: people.ManageServices, org: "code", api: true, handle: s.offerService},
		{pattern: "POST /orgs/{code}/services/{id}/end", perm: people.ManageServices, org: "code", api: true, handle: s.endService},
		{pattern: "POST /orgs/{code}/services/{id}/withdraw", perm: people.ManageServices, org: "code", api: true, handle: s.withdrawService},
		{pattern: "POST /orgs/{code}/services/{id}/rule", perm: people.ManageServices, org: "code", api: true, handle: s.changeRule},
		{pattern: "POST /orgs/{code}/services/{id}/publish", perm: people.ManageServices, org: "code", api: true, handle: s.publishService},
		{pattern: "POST /orgs/{code}/services/{id}/copy", perm: people.ManageServices, org: "code", api: true, handle: s.copyService},
		{pattern: "POST /orgs/{code}/services/{id}/spec", perm: people.ManageServices, org: "code", maxBody: specLimit, handle: s.uploadSpec},
		{pattern: "GET /orgs/{code}/services/{id}/spec", perm: people.ViewOrg, org: "code", handle: s.downloadSpec},
		{pattern: "POST /orgs/{code}/services/{id}/respond", perm: people.RespondOffers, org: "code", here: true, delegable: true, api: true, handle: s.respondToOffer},

		{pattern: "GET /orgs/{code}/returns", perm: people.ViewOrg, org: "code", api: true, handle: s.returnsHome},
		{pattern: "GET /orgs/{code}/returns/{month}", perm: people.ViewOrg, org: "code", api: true, handle: s.returnPage},
		{pattern: "POST /orgs/{code}/returns/{month}", perm: people.SubmitClaims, org: "code", here: true, delegable: true, api: true, handle: s.saveReturn},
		{pattern: "POST /orgs/{code}/delegation", perm: people.SubmitClaims, org: "code", here: true, api: true, session: true, handle: s.delegate},
		{pattern: "GET /orgs/{code}/returns/{month}/template.csv", perm: people.ViewOrg, org: "code", handle: s.returnTemplate},
		{pattern: "GET /orgs/{code}/returns/{month}/template.xlsx", perm: people.ViewOrg, org: "code", handle: s.returnTemplate},
		{pattern: "POST /orgs/{code}/returns/{month}/upload", perm: people.SubmitClaims, org: "code", here: true, delegable: true, maxBody: returnLimit, handle: s.uploadReturn},
		{pattern: "POST /orgs/{code}/claims/{id}/amend", perm: people.SubmitClaims, org: "code", here: true, delegable: true, api: true, handle: s.amendClaim},

		{pattern: "GET /orgs/{code}/claims", perm: people.ReviewClaims, org: "code", api: true, handle: s.claimsPage},
		{pattern: "POST /orgs/{code}/claims/review", perm: people.ReviewClaims, org: "code", api: true, handle: s.reviewClaims},
		{pattern: "GET /orgs/{code}/payments", perm: people.ViewOrg, org: "code", api: true, handle: s.paymentsPage},
		{pattern: "POST /orgs/{code}/payments", perm: people.RunPayments, org: "code", api: true, handle: s.draftPayments},
		{pattern: "POST /orgs/{code}/payments/{run}/{action}", perm: people.RunPayments, org: "code", api: true, handle: s.runAction},
		{pattern: "GET /orgs/{code}/payments/{run}", perm: people.ViewOrg, org: "code", api: true, handle: s.runPage},
		{pattern: "GET /orgs/{code}/payments/{run}/statement.csv", perm: people.ViewOrg, org: "code", handle: s.statementCSV},
		{pattern: "GET /orgs/{code}/payments/{run}/schedule.csv", perm: people.ViewPayments, org: "code", handle: s.scheduleCSV},
		{pattern: "GET /orgs/{code}/payments/{run}/schedule.xlsx", perm: people.ViewPayments, org: "code", handle: s.scheduleXLSX},

		{pattern: "GET /orgs/{code}/access", perm: people.ViewOrg, org: "code", api: true, handle: s.accessPage},
		{pattern: "GET /orgs/{code}/access.csv", perm: people.ViewOrg, org: "code", handle: s.accessCSV},
		{pattern: "POST /orgs/{code}/targets", perm: people.ManageMeasures, org: "code", api: true, handle: s.setTargetOrSay},
		{pattern: "GET /orgs/{code}/records", perm: people.ViewOrg, org: "code", api: true, handle: s.registerPage},
		{pattern: "POST /orgs/{code}/records", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.addCollection},
		{pattern: "GET /orgs/{code}/records/summary", perm: people.ViewOrg, org: "code", handle: s.recordsSummaryPage},
		{pattern: "GET /orgs/{code}/records/overview", perm: people.ViewOrg, org: "code", api: true, handle: s.recordsOverviewPage},
		{pattern: "GET /orgs/{code}/records/overview.csv", perm: people.ViewOrg, org: "code", handle: s.recordsOverviewCSV},
		{pattern: "GET /orgs/{code}/records/overview.xlsx", perm: people.ViewOrg, org: "code", handle: s.recordsOverviewXLSX},
		{pattern: "GET /orgs/{code}/records/{id}", perm: people.ViewOrg, org: "code", api: true, handle: s.collectionPage},
		{pattern: "POST /orgs/{code}/records/{id}", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.updateCollection},
		{pattern: "POST /orgs/{code}/records/{id}/decisions", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.proposeDisposal},
		{pattern: "POST /orgs/{code}/records/{id}/decisions/{pid}", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.decideDisposal},
		{pattern: "POST /orgs/{code}/holds", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.placeHold},
		{pattern: "POST /orgs/{code}/holds/{id}/lift", perm: people.KeepRecords, org: "code", here: true, api: true, handle: s.liftHold},
		{pattern: "GET /orgs/{code}/certificates/{id}", perm: people.ViewOrg, org: "code", api: true, handle: s.certificatePage},
		{pattern: "GET /orgs/{code}/certificates.csv", perm: people.ViewOrg, org: "code", handle: s.certificatesCSV},
		{pattern: "GET /records/schedule", perm: people.ViewOrg, api: true, handle: s.schedulePage},
		{pattern: "GET /records/schedule.csv", perm: people.ViewOrg, handle: s.retentionScheduleCSV},

		{pattern: "GET /orgs/{code}/capability", perm: people.ViewOrg, org: "code", api: true, handle: s.capabilityPage},
		{pattern: "POST /orgs/{code}/capability", perm: people.LeadReviews, org: "code", here: true, api: true, handle: s.startReview},
		{pattern: "GET /orgs/{code}/capability/distribution", perm: people.ViewOrg, org: "code", here: true, api: true, handle: s.distributionPage},
		{pattern: "GET /orgs/{code}/capability/{id}", perm: people.ViewOrg, org: "code", api: true, handle: s.reviewPage},
		{pattern: "GET /orgs/{code}/capability/{id}/review.csv", perm: people.ViewOrg, org: "code", handle: s.reviewCSV},
		{pattern: "GET /orgs/{code}/capability/{id}/review.xlsx", perm: people.ViewOrg, org: "code", handle: s.reviewXLSX},
		{pattern: "POST /orgs/{code}/capability/{id}/scores", perm: people.ViewOrg, org: "code", here: true, api: true, handle: s.scoreItem},
		{pattern: "POST /orgs/{code}/capability/{id}/agreed", perm: people.LeadReviews, org: "code", here: true, api: true, handle: s.agreeItem},
		{pattern: "POST /orgs/{code}/capability/{id}/close", perm: people.LeadReviews, org: "code", here: true, api: true, handle: s.closeReview},
		{pattern: "POST /orgs/{code}/capability/{id}/share", perm: people.LeadReviews, org: "code", here: true, api: true, handle: s.shareReview},
		{pattern: "POST /orgs/{code}/capability/{id}/actions", perm: people.LeadReviews, org: "code", here: true, api: true, handle: s.addReviewAction},
		{pattern: "POST /orgs/{code}/capability/{id}/evidence", perm: people.LeadReviews, org: "code", here: true, maxBody: capabilityFileLimit, handle: s.uploadEvidence},
		{pattern: "GET /orgs/{code}/capability/{id}/evidence/{item}", perm: people.ViewOrg, org: "code", handle: s.evidenceFile},
		{pattern: "POST /orgs/{code}/capability/{id}/moderate", perm: people.LeadReviews, org: "code", api: true, handle: s.moderateItem},
		{pattern: "GET /capability/frameworks", perm: people.ViewOrg, api: true, handle: s.frameworksPage},
		{pattern: "POST /capability/frameworks", perm: people.ManageUsers, api: true, maxBody: 2 << 20, handle: s.uploadFramework},

		{pattern: "GET /my-week", perm: people.ViewOrg, api: true, handle: s.myWeek},
		{pattern: "POST /my-week/calendar", perm: people.ViewOrg, api: true, session: true, handle: s.calendarAddress},
		{pattern: "POST /my-week/reminders", perm: people.ViewOrg, api: true, handle: s.reminderPrefs},
		{pattern: "GET /admin/outbox", perm: people.ViewAudit, api: true, handle: s.outboxPage},
		{pattern: "GET /calendar/{token}", handle: s.calendarFeed},
		{pattern: "POST /mustdos/withdraw", perm: people.SetMustDos, api: true, handle: s.withdrawMustDo},
		{pattern: "GET /orgs/{code}/mustdos", perm: people.ViewOrg, org: "code", api: true, handle: s.orgMustDos},
		{pattern: "POST /orgs/{code}/mustdos/done", perm: people.ViewOrg, org: "code", here: true, api: true, maxBody: capabilityFileLimit, handle: s.completeMustDo},
		{pattern: "GET /orgs/{code}/mustdos/file", perm: people.ViewOrg, org: "code", handle: s.mustDoFile},
		{pattern: "POST /orgs/{code}/mustdos/assign", perm: people.DoMustDos, org: "code", here: true, api: true, handle: s.assignMustDo},
		{pattern: "GET /orgs/{code}/mustdos/overview", perm: people.ViewOrg, org: "code", api: true, handle: s.mustDoHeatPage},
		{pattern: "GET /orgs/{code}/mustdos/overview.csv", perm: people.ViewOrg, org: "code", handle: s.mustDoHeatCSV},
		{pattern: "GET /orgs/{code}/mustdos/overview.xlsx", perm: people.ViewOrg, org: "code", handle: s.mustDoHeatXLSX},
		{pattern: "POST /orgs/{code}/mustdos/nudge", perm: people.DoMustDos, org: "code", here: true, api: true, handle: s.nudge},
		{pattern: "GET /mustdos/catalogue", perm: people.ViewOrg, api: true, handle: s.cataloguePage},
		{pattern: "GET /mustdos/catalogue.csv", perm: people.ViewOrg, handle: s.catalogueCSV},
		{pattern: "POST /mustdos/catalogue", perm: people.ManageUsers, maxBody: 6 << 20, handle: s.importCatalogue},
		{pattern: "POST /mustdos/dates", perm: people.SetMustDos, api: true, handle: s.setMustDoDates},
		{pattern: "POST /mustdos/oneoff", perm: people.SetMustDos, api: true, handle: s.addOneOff},

		{pattern: "GET /measures", perm: people.ViewOrg, api: true, handle: s.measuresPage},
		{pattern: "GET /measures/new", perm: people.ManageMeasures, handle: s.newMeasurePage},
		{pattern: "POST /measures", perm: people.ManageMeasures, api: true, handle: s.createMeasure},
		{pattern: "GET /measures/{id}", perm: people.ViewOrg, api: true, handle: s.measurePage},
		{pattern: "GET /measures/{id}/data.csv", perm: people.ViewOrg, handle: s.measureCSV},
		{pattern: "POST /measures/{id}/reword", perm: people.ManageMeasures, api: true, handle: s.rewordMeasure},
		{pattern: "POST /measures/{id}/retire", perm: people.ManageMeasures, api: true, handle: s.retireMeasure},

		{pattern: "GET /plans", perm: people.ViewOrg, api: true, handle: s.plansPage},
		{pattern: "GET /plans/new", perm: people.ManagePlans, handle: s.newRoundPage},
		{pattern: "POST /plans", perm: people.ManagePlans, api: true, handle: s.createRound},
		{pattern: "GET /join", handle: s.joinPage},
		{pattern: "POST /join", api: true, handle: s.join},
		{pattern: "GET /plans/{id}", perm: people.ViewOrg, guest: true, api: true, handle: s.roundPage},
		{pattern: "POST /plans/{id}/phase", perm: people.ManagePlans, api: true, handle: s.advancePhase},
		{pattern: "POST /plans/{id}/cap", perm: people.ManagePlans, api: true, handle: s.changeCap},
		{pattern: "POST /plans/{id}/publish", perm: people.ManagePlans, api: true, handle: s.publishPlan},
		{pattern: "POST /plans/{id}/guests", perm: people.ManagePlans, api: true, handle: s.makeJoinCodes},
		{pattern: "POST /plans/{id}/priorities", perm: people.ViewOrg, guest: true, api: true, handle: s.propose},
		{pattern: "POST /plans/{id}/priorities/seed", perm: people.ManagePlans, maxBody: seedLimit, handle: s.seedPriorities},
		{pattern: "POST /plans/{id}/priorities/{pid}/endorse", perm: people.ViewOrg, guest: true, api: true, handle: s.endorse},
		{pattern: "POST /plans/{id}/priorities/{pid}/comments", perm: people.ViewOrg, guest: true, api: true, handle: s.comment},
		{pattern: "POST /plans/{id}/priorities/{pid}/moderate", perm: people.ManagePlans, api: true, handle: s.moderate},
		{pattern: "GET /plans/{id}/moderation.csv", perm: people.ViewOrg, guest: true, handle: s.moderationCSV},
		{pattern: "POST /plans/{id}/decisions", perm: people.ManagePlans, api: true, handle: s.openDecision},
		{pattern: "GET /plans/{id}/decisions/{did}", perm: people.ViewOrg, guest: true, api: true, handle: s.decisionPage},
		{pattern: "POST /plans/{id}/decisions/{did}/vote", perm: people.ViewOrg, guest: true, api: true, handle: s.vote},
		{pattern: "POST /plans/{id}/decisions/{did}/close", perm: people.ManagePlans, api: true, handle: s.closeDecision},
		{pattern: "POST /plans/{id}/decisions/{did}/paper", perm: people.ManagePlans, api: true, handle: s.enterPaper},
		{pattern: "GET /plans/{id}/decisions/{did}/results.csv", perm: people.ViewOrg, guest: true, handle: s.resultsCSV},
		{pattern: "GET /plans/{id}/workshop", perm: people.ViewOrg, guest: true, handle: s.workshopPage},
		{pattern: "GET /plans/{id}/workshop/console", perm: people.ManagePlans, handle: s.consolePage},
		{pattern: "GET /plans/{id}/workshop/screen", perm: people.ManagePlans, handle: s.screenPage},
		{pattern: "POST /plans/{id}/workshop/live", perm: people.ManagePlans, api: true, handle: s.pushLive},
		{pattern: "GET /plans/{id}/events", perm: people.ViewOrg, guest: true, handle: s.liveEvents},
		{pattern: "GET /plans/{id}/live", perm: people.ViewOrg, guest: true, api: true, handle: s.liveJSON},
		{pattern: "GET /plans/{id}/plan", perm: people.ViewOrg, guest: true, api: true, handle: s.planDocPage},
		{pattern: "GET /plans/{id}/plan.csv", perm: people.ViewOrg, guest: true, handle: s.planCSV},
		{pattern: "POST /plans/{id}/plan/text", perm: people.ManagePlans, api: true, handle: s.saveText},
		{pattern: "POST /plans/{id}/plan/freeze", perm: people.ManagePlans, api: true, handle: s.freeze},
		{pattern: "POST /plans/{id}/plan/sign", perm: people.ViewOrg, guest: true, api: true, handle: s.sign},
		{pattern: "POST /plans/{id}/plan/steps", perm: people.ManagePlans, api: true, handle: s.addStep},
		{pattern: "POST /plans/{id}/plan/steps/{sid}/done", perm: people.ManagePlans, api: true, handle: s.tickStep},
		{pattern: "POST /plans/{id}/objectives/{oid}", perm: people.ManagePlans, api: true, handle: s.editObjective},
		{pattern: "POST /plans/{id}/actions/{aid}", perm: people.ManagePlans, api: true, handle: s.markAction},
		{pattern: "GET /orgs/{code}/plans", perm: people.ViewOrg, org: "code", api: true, handle: s.commitmentsPage},

		{pattern: "GET /admin/users", perm: people.ManageUsers, api: true, handle: s.usersPage},
		{pattern: "POST /admin/users", perm: people.ManageUsers, api: true, session: true, handle: s.addUser},
		{pattern: "GET /admin/users/{id}", perm: people.ManageUsers, api: true, handle: s.userPage},
		{pattern: "POST /admin/users/{id}/grants", perm: people.ManageUsers, api: true, session: true, handle: s.grantRole},
		{pattern: "POST /admin/users/{id}/reset-link", perm: people.ManageUsers, api: true, session: true, handle: s.resetLink},
		{pattern: "POST /admin/users/{id}/disable", perm: people.ManageUsers, api: true, session: true, handle: s.disableUser},
		{pattern: "POST /admin/users/{id}/grants/revoke", perm: people.ManageUsers, api: true, session: true, handle: s.revokeRole},
		{pattern: "POST /admin/users/{id}/identities", perm: people.ManageUsers, api: true, session: true, handle: s.linkIdentity},
		{pattern: "POST /admin/users/{id}/identities/unlink", perm: people.ManageUsers, api: true, session: true, handle: s.unlinkIdentity},
		{pattern: "GET /admin/orphans", perm: people.ManageUsers, api: true, handle: s.orphansPage},
		{pattern: "POST /admin/orphans/{code}", perm: people.ManageUsers, api: true, session: true, handle: s.placeOrphan},
		{pattern: "GET /admin/sso", perm: people.ManageUsers, api: true, handle: s.ssoAdminPage},
		{pattern: "POST /admin/sso/rules", perm: people.ManageUsers, api: true, session: true, handle: s.addSSORule},
		{pattern: "POST /admin/sso/rules/{id}/delete", perm: people.ManageUsers, api: true, session: true, handle: s.deleteSSORule},
		{pattern: "GET /admin/sso/rules.csv", perm: people.ManageUsers, handle: s.ssoRulesCSV},
		{pattern: "GET /admin/audit", perm: people.ViewAudit, api: true, handle: s.auditPage},
	}
}

// Routes lists the route patterns with their permission and organisation
// parameter, for the authorisation test that walks them all.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes {
		out = append(out, RouteInfo{Pattern: rt.pattern, Perm: rt.perm, OrgParam: rt.org, Here: rt.here, API: rt.api, Guest: rt.guest})
	}
	return out
}

// RouteInfo describes a route for tests.
type RouteInfo struct {
	Pattern  string
	Perm     people.Permission
	OrgParam string
	Here     bool
	API      bool
	Guest    bool
}

func cut(pattern string) (method, path string, ok bool) {
	return strings.Cut(pattern, " ")
}
