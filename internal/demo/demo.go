// Package demo fills a database with a realistic, deterministic demo Place:
// one ICB, one Place, four PCNs and 24 practices, one of which moved PCN last
// year and one of which closed, and a demo user for every role. Later
// capabilities extend this same Place.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// Password is every demo user's password. The demo is for trying OnePC out,
// never for real data.
const Password = "onepc-demo-2026"

// Codes of the demo organisations.
const (
	RegionCode     = "Y99"
	ICBCode        = "QZZ"
	PlaceCode      = "99X"
	MovedPractice  = "Y00006" // moved from Hilltop PCN to Riverside PCN on 1 April last year
	ClosedPractice = "Y00024" // closed on 30 September last year
)

// Login is a demo account to print.
type Login struct {
	Email string
	Role  people.Role
	Org   string
}

var pcns = []struct{ code, name string }{
	{"U00001", "RIVERSIDE PCN"},
	{"U00002", "HILLTOP PCN"},
	{"U00003", "VALE MARKET TOWNS PCN"},
	{"U00004", "HARBOUR AND COAST PCN"},
}

// practices lists the demo practices, six to a PCN in pcns order (today:
// the sixth moved in from Hilltop PCN last year).
var practices = []struct{ name, street, town, postcode string }{
	{"RIVERSIDE MEDICAL CENTRE", "1 MILL LANE", "RIVERTON", "RV1 2AB"},
	{"BRIDGE STREET SURGERY", "14 BRIDGE STREET", "RIVERTON", "RV1 4HD"},
	{"THE WILLOWS HEALTH CENTRE", "WILLOW WAY", "RIVERTON", "RV2 7PL"},
	{"ST MARY'S SURGERY", "2 CHURCH ROAD", "RIVERTON", "RV3 1QS"},
	{"KINGFISHER PRACTICE", "KINGFISHER CLOSE", "EASTMOOR", "RV4 6JT"},
	{"ORCHARD SURGERY", "55 ORCHARD ROAD", "HILLBROOK", "RV9 3EE"},
	{"HILLTOP HEALTH CENTRE", "HILLTOP ROAD", "HILLBROOK", "RV9 1AA"},
	{"BEACON MEDICAL PRACTICE", "3 BEACON RISE", "HILLBROOK", "RV9 5BN"},
	{"MOORLAND VIEW SURGERY", "MOOR LANE", "UPPER HILLBROOK", "RV10 2DF"},
	{"THE RIDGEWAY PRACTICE", "THE RIDGEWAY", "FELLSIDE", "RV11 4GH"},
	{"ASH TREE SURGERY", "ASH GROVE", "FELLSIDE", "RV11 8LU"},
	{"QUARRY LANE MEDICAL CENTRE", "QUARRY LANE", "STONEBRIDGE", "RV12 3XR"},
	{"MARKET SQUARE SURGERY", "7 MARKET SQUARE", "VALEFORD", "VF1 1AS"},
	{"THE OLD SCHOOL SURGERY", "SCHOOL LANE", "VALEFORD", "VF1 6TT"},
	{"ABBEY FIELDS PRACTICE", "ABBEY ROAD", "ABBOTS VALE", "VF2 9NP"},
	{"WHEATSHEAF MEDICAL PRACTICE", "WHEATSHEAF LANE", "LITTLE BARLEY", "VF3 4RW"},
	{"CASTLE HILL SURGERY", "CASTLE HILL", "CASTLEFORD MAGNA", "VF4 2CH"},
	{"BROOKSIDE FAMILY PRACTICE", "BROOK STREET", "VALEFORD", "VF1 8BY"},
	{"HARBOUR MEDICAL PRACTICE", "HARBOUR WALK", "PORTHAVEN", "PH1 1HW"},
	{"LIGHTHOUSE SURGERY", "LIGHTHOUSE ROAD", "PORTHAVEN", "PH1 5LR"},
	{"SEAVIEW HEALTH CENTRE", "MARINE PARADE", "SANDBAY", "PH2 3SV"},
	{"CLIFFTOP SURGERY", "CLIFF ROAD", "SANDBAY", "PH2 9CT"},
	{"ESTUARY PRACTICE", "ESTUARY DRIVE", "SALTMARSH", "PH3 4ED"},
	{"QUAYSIDE SURGERY", "THE QUAY", "PORTHAVEN", "PH1 2QY"},
}

// Logins lists the demo accounts, one per role.
var Logins = []Login{
	// A second practice manager, so that decisions one proposes (a records
	// disposal) have someone to approve them. Listed first: where logins are
	// kept by role, the practice manager below is the one kept.
	{"deputy.manager@onepc.example", people.PracticeManager, "Y00001"},
	{"practice.manager@onepc.example", people.PracticeManager, "Y00001"},
	{"practice.staff@onepc.example", people.PracticeStaff, "Y00001"},
	{"gp@onepc.example", people.GP, "Y00001"},
	{"pcn.manager@onepc.example", people.PCNManager, "U00001"},
	{"clinical.director@onepc.example", people.PCNClinicalDirector, "U00001"},
	// An ICB's commissioner, who sets the national must-dos' dates (listed
	// first, so that the Place's is the commissioner kept by role).
	{"icb.commissioner@onepc.example", people.Commissioner, ICBCode},
	{"commissioner@onepc.example", people.Commissioner, PlaceCode},
	{"finance@onepc.example", people.FinanceOfficer, PlaceCode},
	{"admin@onepc.example", people.Admin, ICBCode},
}

var names = map[people.Role]string{
	people.PracticeManager:     "Sam Patel",
	people.PracticeStaff:       "Alex Morgan",
	people.GP:                  "Dr Robin Clarke",
	people.PCNManager:          "Jordan Hughes",
	people.PCNClinicalDirector: "Dr Priya Shah",
	people.Commissioner:        "Chris Taylor",
	people.FinanceOfficer:      "Morgan Ellis",
	people.Admin:               "Robin Clarke",
}

const actor = "demo"

// Orgs returns the demo organisations and PCN memberships relative to today:
// the move and the closure happen in the previous calendar year.
func Orgs(today time.Time) ([]orgs.Org, []orgs.Membership) {
	rng := rand.New(rand.NewPCG(2026, 1)) // fixed seed: the same demo every time
	lastYear := today.Year() - 1
	pcnStart := time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC)
	moved := time.Date(lastYear, 4, 1, 0, 0, 0, 0, time.UTC)
	closed := time.Date(lastYear, 9, 30, 0, 0, 0, 0, time.UTC)

	list := []orgs.Org{
		{Code: RegionCode, Kind: orgs.Region, Name: "EXAMPLE REGION", Status: orgs.StatusActive},
		{Code: ICBCode, Kind: orgs.ICB, Name: "NHS RIVERSIDE AND VALE INTEGRATED CARE BOARD", ParentCode: RegionCode, Status: orgs.StatusActive},
		{Code: PlaceCode, Kind: orgs.Place, Name: "NHS RIVERSIDE AND VALE ICB - 99X", ParentCode: ICBCode, Status: orgs.StatusActive},
	}
	for _, p := range pcns {
		list = append(list, orgs.Org{Code: p.code, Kind: orgs.PCN, Name: p.name, ParentCode: PlaceCode,
			Status: orgs.StatusActive, OpenDate: pcnStart})
	}
	var members []orgs.Membership
	listDate := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i, p := range practices {
		code := fmt.Sprintf("Y%05d", i+1)
		o := orgs.Org{Code: code, Kind: orgs.Practice, Name: p.name, ParentCode: PlaceCode,
			Address: []string{p.street, p.town}, Postcode: p.postcode, Status: orgs.StatusActive,
			OpenDate: time.Date(1960+rng.IntN(50), 4, 1, 0, 0, 0, 0, time.UTC),
			Phone:    fmt.Sprintf("01632 %06d", 960000+rng.IntN(1000)), Setting: orgs.SettingGPPractice,
			ListSize: 2000 + rng.IntN(28001), ListSizeDate: listDate}
		pcn := pcns[i/6].code
		m := orgs.Membership{PracticeCode: code, PCNCode: pcn, Start: pcnStart}
		switch code {
		case MovedPractice:
			m.PCNCode, m.End = pcns[1].code, moved.AddDate(0, 0, -1)
			members = append(members, orgs.Membership{PracticeCode: code, PCNCode: pcns[0].code, Start: moved})
		case ClosedPractice:
			o.Status, o.CloseDate, o.ListSize, o.ListSizeDate = orgs.StatusClosed, closed, 0, time.Time{}
			m.End = closed
		}
		list = append(list, o)
		members = append(members, m)
	}
	return list, members
}

// Load writes the demo Place and its users into s. Running it again changes
// nothing that is already there.
func Load(ctx context.Context, s *store.Store, now time.Time) ([]Login, error) {
	// Marked first: every page served from this database says its data is synthetic.
	if err := s.MarkDemo(ctx); err != nil {
		return nil, err
	}
	list, members := Orgs(orgs.Today(now))
	if err := s.SaveOrgs(ctx, actor, list...); err != nil {
		return nil, fmt.Errorf("demo organisations: %w", err)
	}
	if err := s.SaveMemberships(ctx, actor, members...); err != nil {
		return nil, fmt.Errorf("demo PCN memberships: %w", err)
	}
	if err := loadPopulations(ctx, s, orgs.Today(now)); err != nil {
		return nil, err
	}
	hash, err := people.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	for _, l := range Logins {
		u, err := s.UserByEmail(ctx, l.Email)
		if problem.KindOf(err) == problem.NotFound {
			name := names[l.Role]
			switch l.Email {
			case "deputy.manager@onepc.example":
				name = "Jamie Reed"
			case "icb.commissioner@onepc.example":
				name = "Kim Okafor"
			}
			u, err = s.AddUser(ctx, actor, people.User{Email: l.Email, Name: name}, hash)
		}
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", l.Email, err)
		}
		err = s.GrantRole(ctx, actor, u.ID, l.Role, l.Org)
		if err != nil && problem.KindOf(err) != problem.Conflict {
			return nil, fmt.Errorf("demo grant for %s: %w", l.Email, err)
		}
	}
	return Logins, nil
}

// LoadAll is Load and then LoadClaims: the whole demo, as `onepc demo` and
// `serve --demo` write it.
func LoadAll(ctx context.Context, s *store.Store, now time.Time) ([]Login, error) {
	logins, err := Load(ctx, s, now)
	if err != nil {
		return nil, err
	}
	if err := LoadClaims(ctx, s, now); err != nil {
		return nil, fmt.Errorf("demo claims: %w", err)
	}
	if err := loadAppointments(ctx, s, orgs.Today(now)); err != nil {
		return nil, err
	}
	if err := LoadRecords(ctx, s, now); err != nil {
		return nil, fmt.Errorf("demo records: %w", err)
	}
	if err := LoadCapability(ctx, s, now); err != nil {
		return nil, fmt.Errorf("demo capability reviews: %w", err)
	}
	if err := LoadMustDos(ctx, s, now); err != nil {
		return nil, fmt.Errorf("demo must-dos: %w", err)
	}
	if err := LoadPlans(ctx, s, now); err != nil {
		return nil, fmt.Errorf("demo shared plans: %w", err)
	}
	return logins, nil
}

// loadPopulations writes the demo extracts unless some are loaded already,
// so that running the demo again changes nothing.
func loadPopulations(ctx context.Context, s *store.Store, today time.Time) error {
	have, err := s.Extracts(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	for _, e := range Populations(today) {
		name := "demo gp-reg-pat-prac-quin-age " + e.Date.Format("Jan 2006")
		if _, err := s.ImportPopulation(ctx, actor, name, e); err != nil {
			return fmt.Errorf("demo population: %w", err)
		}
	}
	return nil
}
