package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/payrules"
	"github.com/onepc/onepc/internal/store"
)

// Services is the demo catalogue for one financial year: every payment rule.
func Services(year int) []claims.Service {
	base := claims.Service{Commissioner: PlaceCode, Year: year, Frequency: claims.Monthly, DeadlineDays: 10,
		Eligibility: claims.AllPractices, NeedsDeclaration: true, NeedsApproval: true}
	with := func(f func(*claims.Service)) claims.Service {
		s := base
		f(&s)
		return s
	}
	return []claims.Service{
		with(func(s *claims.Service) {
			s.Code, s.Name = "LES-ANTICOAG", "Anticoagulation monitoring"
			s.Spec = "Near-patient INR testing and dosing for patients on warfarin, in line with the local pathway."
			s.Fields = []claims.Field{{Key: "inr_tests", Label: "INR tests"}}
			s.Rule = payrules.Rule{Kind: payrules.FeePerItem, Field: "inr_tests", RatePence: 1850}
		}),
		with(func(s *claims.Service) {
			s.Code, s.Name = "LES-PHLEB", "Phlebotomy"
			s.Spec = "Blood tests taken in the practice for hospital-requested monitoring."
			s.Fields = []claims.Field{{Key: "samples", Label: "Samples taken"}}
			s.Rule = payrules.Rule{Kind: payrules.FeePerItem, Field: "samples", RatePence: 420, CapItems: 600}
		}),
		with(func(s *claims.Service) {
			s.Code, s.Name = "LES-CAREHOME", "Care home ward rounds"
			s.Spec = "A weekly ward round and anticipatory care for residents of aligned care homes."
			s.Eligibility, s.Chosen, s.SignUp = claims.ChosenPractices, []string{"Y00004", "Y00010", "Y00019", "Y00021"}, true
			s.Rule = payrules.Rule{Kind: payrules.Capitation, RateCentipence: 850, Weighted: true}
		}),
		with(func(s *claims.Service) {
			s.Code, s.Name = "LIS-DIABETES", "Diabetes control (HbA1c 58 or less)"
			s.Spec = "A local incentive for the share of patients on the diabetes register whose last HbA1c is 58 mmol/mol or less."
			s.Frequency, s.DeadlineDays, s.NeedsFinance = claims.Quarterly, 20, true
			s.Fields = []claims.Field{{Key: "numerator", Label: "Patients with HbA1c 58 or less"}, {Key: "denominator", Label: "Patients on the diabetes register"}}
			s.Rule = payrules.Rule{Kind: payrules.Achievement, Numerator: "numerator", Denominator: "denominator", LowerPM: 400, UpperPM: 700, MaxPence: 400000}
		}),
		with(func(s *claims.Service) {
			s.Code, s.Name = "PCN-ACCESS", "PCN extended access block"
			s.Spec = "Evening and Saturday appointments across the network, paid as a monthly block."
			s.Eligibility, s.Chosen, s.SignUp, s.NeedsDeclaration, s.NeedsApproval = claims.PCNs, []string{"U00001", "U00002", "U00003", "U00004"}, true, false, false
			s.Rule = payrules.Rule{Kind: payrules.Block, BlockPence: 650000}
		}),
		with(func(s *claims.Service) {
			s.Code, s.Name = "CB-BACKFILL", "Clinical backfill for commissioning work"
			s.Spec = "Locum cover for GPs who give sessions to Place commissioning work."
			s.Eligibility, s.Chosen = claims.ChosenPractices, []string{"Y00001", "Y00007", "Y00013"}
			s.Fields = []claims.Field{{Key: "sessions", Label: "GP sessions backfilled"}}
			s.Rule = payrules.Rule{Kind: payrules.Sessional, RatePence: 32000, Field: "sessions"}
		}),
	}
}

// LoadClaims fills the demo Place's catalogue for this and last financial
// year, signs practices and PCNs up, and writes twelve months of returns in
// every state: paid in two completed payment runs, approved and waiting,
// queried, rejected, submitted late, submitted, draft and not started. It
// does nothing if the catalogue exists already.
func LoadClaims(ctx context.Context, s *store.Store, now time.Time) error {
	have, err := s.Services(ctx, []string{PlaceCode}, 0)
	if err != nil || len(have) > 0 {
		return err
	}
	defer s.SetClock(time.Now)
	today := orgs.Today(now)
	at := func(d time.Time) { s.SetClock(func() time.Time { return d.Add(10 * time.Hour) }) }
	thisMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	first := thisMonth.AddDate(0, -11, 0)
	fy := claims.FinancialYear(today)
	for _, year := range []int{fy - 1, fy} {
		at(time.Date(year, 3, 1, 0, 0, 0, 0, time.UTC))
		for _, sv := range Services(year) {
			created, err := s.CreateService(ctx, actor, sv)
			if err != nil {
				return fmt.Errorf("demo service %s: %w", sv.Code, err)
			}
			if created.SignUp {
				if _, err := s.OfferService(ctx, actor, created.ID, created.Chosen, time.Time{}); err != nil {
					return err
				}
				for i, org := range created.Chosen {
					start := time.Date(year, 4, 1, 0, 0, 0, 0, time.UTC)
					if i == 1 && year == fy { // one signs up part-way through, for a pro-rata block
						start = time.Date(year, 4, 11, 0, 0, 0, 0, time.UTC)
					}
					if err := s.RespondToOffer(ctx, actor, created.ID, org, true, start); err != nil {
						return err
					}
				}
			}
		}
	}
	list, _ := Orgs(today)
	var filers []orgs.Org
	for _, o := range list {
		if o.Kind == orgs.Practice || o.Kind == orgs.PCN {
			filers = append(filers, o)
		}
	}
	rng := rand.New(rand.NewPCG(2026, 3))
	for m := first; !m.After(thisMonth); m = m.AddDate(0, 1, 0) {
		age := monthsBetween(m, thisMonth) // 0 for this month
		for _, o := range filers {
			lines, err := s.Return(ctx, o.Code, m)
			if err != nil {
				return err
			}
			if len(lines) == 0 {
				continue
			}
			var entries []claims.ReturnEntry
			for _, l := range lines {
				entries = append(entries, claims.ReturnEntry{ServiceID: l.Service.ID, Activity: activity(l.Service, o, rng)})
			}
			// This month: drafts for some, nothing yet for the rest. Last
			// month: most on time, some late, some not yet in. Older: on time.
			due := m.AddDate(0, 1, 5)
			switch {
			case age == 0:
				if rng.IntN(3) == 0 {
					continue
				}
				at(today)
				if err := s.SaveReturn(ctx, actor, o.Code, m, entries, false, false); err != nil {
					return fmt.Errorf("demo draft %s %s: %w", o.Code, m.Format("2006-01"), err)
				}
				continue
			case age == 1 && rng.IntN(6) == 0:
				continue // not submitted: late
			case age == 1 && rng.IntN(5) == 0:
				due = m.AddDate(0, 1, 14) // submitted after the deadline
			}
			at(due)
			if err := s.SaveReturn(ctx, actor, o.Code, m, entries, true, true); err != nil {
				return fmt.Errorf("demo return %s %s: %w", o.Code, m.Format("2006-01"), err)
			}
		}
		if age >= 1 {
			if err := review(ctx, s, m, age == 1, today, rng, at); err != nil {
				return err
			}
		}
		// Two completed payment runs: the month three back (paying all
		// approved until then) and the month two back.
		if age == 3 || age == 2 {
			at(m.AddDate(0, 1, 24))
			if _, err := s.RunPayments(ctx, actor, PlaceCode, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// review deals with the claims for periods ending in month m: older months
// are approved (and approved by finance) three weeks after they end; last
// month's are left in a mix of states, as a real review queue is.
func review(ctx context.Context, s *store.Store, m time.Time, recent bool, today time.Time, rng *rand.Rand, at func(time.Time)) error {
	end := m.AddDate(0, 1, -1)
	for _, status := range []claims.Status{claims.Submitted, claims.Approved} {
		list, _, err := s.Claims(ctx, store.ClaimQuery{Commissioners: []string{PlaceCode}, Status: status, Limit: 100000})
		if err != nil {
			return err
		}
		for _, cl := range list {
			if !cl.Period.End.Equal(end) {
				continue
			}
			at(end.AddDate(0, 0, 20))
			action := claims.ActApprove
			if status == claims.Approved {
				action = claims.ActFinance
			}
			if recent {
				at(today)
				if status == claims.Submitted {
					switch rng.IntN(6) {
					case 0:
						action = claims.ActQuery
					case 1:
						continue // still waiting for review
					case 2:
						if rng.IntN(3) == 0 {
							action = claims.ActReject
						}
					}
				}
			}
			msg := map[claims.Action]string{claims.ActQuery: "The count is well above your usual month. Please check it against the clinical system report.",
				claims.ActReject: "This activity was claimed under another scheme this month."}[action]
			who := "commissioner@onepc.example"
			if action == claims.ActFinance {
				who = "finance@onepc.example" // duties apart: another person approves for finance
			}
			if err := s.Review(ctx, who, PlaceCode, []int64{cl.ID}, nil, action, msg); err != nil {
				return fmt.Errorf("demo review %d: %w", cl.ID, err)
			}
		}
	}
	return nil
}

// activity makes plausible figures for a line, scaled to the list size.
func activity(sv claims.Service, o orgs.Org, rng *rand.Rand) map[string]string {
	list := max(o.ListSize, 3000)
	n := func(mean int) string { return strconv.Itoa(max(0, mean*(85+rng.IntN(31))/100)) }
	switch sv.Code {
	case "LES-ANTICOAG":
		return map[string]string{"inr_tests": n(list / 90)}
	case "LES-PHLEB":
		return map[string]string{"samples": n(list / 25)}
	case "LIS-DIABETES":
		den := list * 65 / 1000
		num := den * (45 + rng.IntN(35)) / 100
		return map[string]string{"numerator": strconv.Itoa(num), "denominator": strconv.Itoa(den)}
	case "CB-BACKFILL":
		return map[string]string{"sessions": strconv.Itoa(2 + rng.IntN(7))}
	}
	return map[string]string{}
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}
