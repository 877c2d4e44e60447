package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/records"
	"github.com/onepc/onepc/internal/store"
)

// LoadRecords gives every open demo practice a records register of about
// ten collections: some due for review, one under a legal hold, and two
// disposed of last year with their certificates. It does nothing where the
// first practice already has a register, so running the demo again changes
// nothing.
func LoadRecords(ctx context.Context, s *store.Store, now time.Time) error {
	today := orgs.Today(now)
	list, _ := Orgs(today)
	sc, err := s.RetentionSchedule(ctx)
	if err != nil {
		return err
	}
	classes := sc.ByCode()
	for i, o := range list {
		if o.Kind != orgs.Practice || o.Status == orgs.StatusClosed {
			continue
		}
		reg, err := s.Register(ctx, o.Code)
		if err != nil {
			return err
		}
		if len(reg.Collections) > 0 {
			return nil
		}
		if err := loadRegister(ctx, s, o, i, classes, today); err != nil {
			return fmt.Errorf("demo register for %s: %w", o.Code, err)
		}
	}
	return nil
}

func loadRegister(ctx context.Context, s *store.Store, o orgs.Org, i int, classes map[string]records.Class, today time.Time) error {
	y := today.Year()
	day := func(years, month, d int) string {
		return time.Date(y-years, time.Month(month), d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
	}
	manager, deputy := "manager."+o.Code+"@demo.onepc.example", "deputy."+o.Code+"@demo.onepc.example"
	if o.Code == "Y00001" { // the demo's own logins, so that its decisions can be taken
		manager, deputy = "practice.manager@onepc.example", "deputy.manager@onepc.example"
	}
	owner := "Practice manager"
	inputs := []records.CollectionInput{
		{Name: "Complaints case files " + strconv.Itoa(y-11), Class: "COMPLAINTS", Location: "Locked cabinet, practice office", Owner: owner, Volume: "1 box", Event: day(11, 3, 31)},
		{Name: "Complaints case files " + strconv.Itoa(y-3), Class: "COMPLAINTS", Location: "Shared drive: Complaints", Owner: owner, Volume: "23 files", Event: day(3, 3, 31)},
		{Name: "Call recordings " + strconv.Itoa(y-2), Class: "TELEPHONY", Location: "Telephone system (cloud)", Owner: "IT lead", Volume: "41 GB", Event: day(2, 12, 31)},
		{Name: "Call recordings " + strconv.Itoa(y-1), Class: "TELEPHONY", Location: "Telephone system (cloud)", Owner: "IT lead", Volume: "44 GB", Event: day(1, 12, 1)},
		{Name: "Clinical audits " + strconv.Itoa(y-6), Class: "CLINICAL-AUDIT", Location: "Shared drive: Audit", Owner: "GP audit lead", Event: day(6, 3, 31)},
		{Name: "Clinical audits " + strconv.Itoa(y-1), Class: "CLINICAL-AUDIT", Location: "Shared drive: Audit", Owner: "GP audit lead", Event: day(1, 3, 31)},
		{Name: "Deceased patients' Lloyd George envelopes", Class: "GP-DECEASED", Location: "Records room, shelves 4 to 6", Owner: "Records lead", Volume: "6 boxes", Event: day(12, 9, 30)},
		{Name: "Staff health surveillance (COSHH)", Class: "HEALTH-SURVEILLANCE", Location: "HR cabinet", Owner: owner, Event: day(2, 6, 30)},
		{Name: "Premises: building works files", Class: "BUILDING", Location: "Practice office", Owner: "Partners"},
		{Name: "Maternity records received from the old health centre", Class: "MATERNITY", Location: "Records room, shelf 7", Owner: "Records lead", Volume: "2 boxes", Event: day(26, 7, 31)},
	}
	// Disposed of last year, with their certificates.
	gone := []records.CollectionInput{
		{Name: "Complaints case files " + strconv.Itoa(y-13), Class: "COMPLAINTS", Location: "Locked cabinet, practice office", Owner: owner, Volume: "1 box", Event: day(13, 3, 31)},
		{Name: "Call recordings " + strconv.Itoa(y-4), Class: "TELEPHONY", Location: "Telephone system (cloud)", Owner: "IT lead", Volume: "39 GB", Event: day(4, 12, 31)},
	}
	var cs []records.Collection
	for _, in := range append(inputs, gone...) {
		c, _, err := records.NewCollection(in, classes, today)
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		cs = append(cs, c)
	}
	cs, err := s.AddCollections(ctx, manager, o.Code, cs...)
	if err != nil {
		return err
	}
	byName := map[string]int64{}
	for _, c := range cs {
		byName[c.Name] = c.ID
	}
	// Last year's disposals, written on last year's clock: in December,
	// inside the last twelve months.
	clock := s.Clock()
	lastYear := time.Date(y-1, 12, 1+i%28, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return lastYear.Add(10 * time.Hour) })
	defer s.SetClock(clock)
	for _, in := range gone {
		id := byName[in.Name]
		p, err := s.ProposeDisposal(ctx, manager, o.Code, id, records.ProposalInput{Decision: "destroy",
			Justification: "Minimum retention ended; no complaint, claim or inquiry open"}, lastYear)
		if err != nil {
			return err
		}
		if _, _, err := s.DecideProposal(ctx, deputy, o.Code, id, p.ID, true, "Checked against the complaints log", lastYear); err != nil {
			return err
		}
	}
	s.SetClock(clock)
	// One collection under a legal hold: the call recordings a complaint refers to.
	h, err := records.NewHold("Complaint "+strconv.Itoa(y)+"/0"+strconv.Itoa(3+i%5)+" refers to telephone calls: keep the recordings until it is closed", false,
		[]int64{byName["Call recordings "+strconv.Itoa(y-2)]})
	if err != nil {
		return err
	}
	if _, err := s.PlaceHold(ctx, manager, o.Code, h); err != nil {
		return err
	}
	// A decision waiting for a second person at a few practices.
	if i%3 == 0 {
		if _, err := s.ProposeDisposal(ctx, manager, o.Code, byName["Clinical audits "+strconv.Itoa(y-6)], records.ProposalInput{Decision: "destroy",
			Justification: "Audit cycle complete and re-audited; findings in the practice's QI log"}, today); err != nil {
			return err
		}
	}
	return nil
}
