package people

import "slices"

// Permission names something a user may do at an organisation.
type Permission string

// The permission manifest: every permission and the roles that hold it.
// A role held at an organisation grants its permissions there and at every
// organisation below it, and nowhere else.
const (
	ViewOrg     Permission = "org.view"                // see an organisation, its members and figures
	ManageUsers Permission = "users.manage"            // add users, grant and revoke roles
	ViewAudit   Permission = "audit.view"              // read the audit log
	EditWeights Permission = "population.weights.edit" // set a Place's or ICB's needs weights

	ManageServices Permission = "services.manage" // create services, offer them, review claims
	ApproveFinance Permission = "claims.finance"  // the finance approval step
	RunPayments    Permission = "payments.run"    // preview, commit and reverse payment runs
	ViewPayments   Permission = "payments.view"   // read payment runs' schedules, and download them
	ReviewClaims   Permission = "claims.review"   // see the claims to review; each action needs its own permission too
	SubmitClaims   Permission = "claims.submit"   // fill, submit and amend returns
	RespondOffers  Permission = "offers.respond"  // sign up to or decline a service
	ManageMeasures Permission = "measures.manage" // add access measures, set targets
	KeepRecords    Permission = "records.keep"    // keep an organisation's records register, decide disposals, place holds
	LeadReviews    Permission = "capability.lead" // start and lead capability reviews, agree levels, share; moderate those shared upward
	DoMustDos      Permission = "mustdo.do"       // complete and assign an organisation's obligations
	SetMustDos     Permission = "mustdo.set"      // set a year's dates of obligations, add one-off ones
	ManagePlans    Permission = "plans.manage"    // open planning rounds for a footprint, facilitate, moderate, freeze the plan
)

var manifest = map[Permission][]Role{
	ViewOrg:     Roles,
	ManageUsers: {Admin},
	ViewAudit:   {Admin},
	EditWeights: {Commissioner},

	ManageServices: {Commissioner},
	// Duties separated: commissioners approve claims; only a finance
	// officer approves them for finance and makes payment runs.
	ApproveFinance: {FinanceOfficer},
	RunPayments:    {FinanceOfficer},
	ViewPayments:   {Commissioner, FinanceOfficer},
	ReviewClaims:   {Commissioner, FinanceOfficer},
	SubmitClaims:   {PracticeManager, PCNManager, PCNClinicalDirector},
	RespondOffers:  {PracticeManager, PCNManager, PCNClinicalDirector},
	ManageMeasures: {Commissioner},
	KeepRecords:    {PracticeManager, PCNManager, PCNClinicalDirector, Commissioner},
	LeadReviews:    {PracticeManager, PCNManager, PCNClinicalDirector, Commissioner},
	DoMustDos:      {PracticeManager, PCNManager, PCNClinicalDirector, Commissioner},
	SetMustDos:     {Commissioner},
	ManagePlans:    {Commissioner},
}

// Permissions lists the manifest's permissions.
func Permissions() []Permission {
	return []Permission{ViewOrg, ManageUsers, ViewAudit, EditWeights, ManageServices, ApproveFinance, RunPayments, SubmitClaims, RespondOffers, ManageMeasures, KeepRecords, LeadReviews, DoMustDos, SetMustDos, ManagePlans}
}

// Allows reports whether role carries permission p.
func (r Role) Allows(p Permission) bool { return slices.Contains(manifest[p], r) }

// AuthorizeHere reports whether the grants give p at org itself, not only
// at an organisation above it: for what an organisation does for itself,
// such as keeping its own records register, which those above it may see
// but not keep.
func AuthorizeHere(grants []Grant, p Permission, org string) bool {
	for _, g := range grants {
		if g.Role.Allows(p) && g.OrgCode == org {
			return true
		}
	}
	return false
}

// Authorize is the one place that decides access. chain is the target
// organisation followed by every organisation above it (as the store's
// Ancestry returns it). An empty chain asks whether the user holds p anywhere.
func Authorize(grants []Grant, p Permission, chain []string) bool {
	for _, g := range grants {
		if !g.Role.Allows(p) {
			continue
		}
		if len(chain) == 0 || slices.Contains(chain, g.OrgCode) {
			return true
		}
	}
	return false
}
