package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/capability"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/store"
)

// LoadCapability gives the demo Place two years of capability reviews: the
// Place against the eleven World Class Commissioning competencies (showing
// improvement), six practices' quality improvement surveys (some shared
// with the Place, some kept private), one PCN's facilitated session with
// the spread of its team's scores, and actions from low scores. It does
// nothing where the Place already has a review.
func LoadCapability(ctx context.Context, s *store.Store, now time.Time) error {
	have, err := s.CapabilityReviews(ctx, PlaceCode)
	if err != nil || len(have) > 0 {
		return err
	}
	fws, err := capability.Shipped(nil)
	if err != nil {
		return err
	}
	fw := map[string]capability.Framework{}
	for _, f := range fws {
		fw[f.ID] = f
	}
	today := orgs.Today(now)
	y := today.Year()
	lead := "commissioner@onepc.example"

	// The Place, last year and this: better on most competencies.
	wcc := fw["wcc"]
	levels := map[int][]int{
		y - 1: {2, 2, 1, 2, 2, 2, 1, 2, 2, 2, 2},
		y:     {3, 3, 2, 3, 3, 2, 2, 3, 2, 3, 2},
	}
	for _, year := range []int{y - 1, y} {
		if err := wholeReview(ctx, s, wcc, PlaceCode, orgs.Place, year, capability.Solo, lead, levels[year], capability.WithICB, today); err != nil {
			return fmt.Errorf("demo WCC %d: %w", year, err)
		}
	}
	// Six practices' QI surveys this year: four shared with the Place, two private.
	qi := fw["qi-survey"]
	for i, code := range []string{"Y00001", "Y00002", "Y00004", "Y00005", "Y00007", "Y00008"} {
		var ls []int
		for j := range qi.Items() {
			ls = append(ls, 1+(i+j*2)%5)
		}
		share := capability.WithPlace
		if i >= 4 {
			share = capability.Private
		}
		if err := wholeReview(ctx, s, qi, code, orgs.Practice, y, capability.Solo, "manager."+code+"@demo.onepc.example", ls, share, today); err != nil {
			return fmt.Errorf("demo QI survey %s: %w", code, err)
		}
	}
	// Riverside PCN's facilitated session: three team members scored; the
	// leadership domain agreed, the rest still open.
	pcn := fw["pcn-development"]
	r, err := capability.NewReview(pcn, orgs.PCN, y, capability.Facilitated, today)
	if err != nil {
		return err
	}
	if r, err = s.StartReview(ctx, "clinical.director@onepc.example", "U00001", r); err != nil {
		return err
	}
	team := map[string][]int{"clinical.director@onepc.example": {2, 3, 2, 1, 2, 3, 2}, "pcn.manager@onepc.example": {3, 3, 1, 2, 2, 2, 3},
		"practice.manager@onepc.example": {1, 2, 2, 2, 1, 3, 2}}
	for person, ls := range team {
		for j, it := range pcn.Items() {
			if err := s.SetScore(ctx, person, "U00001", r.ID, pcn, it.Code, ls[j]); err != nil {
				return err
			}
		}
	}
	for _, it := range pcn.Domains[0].Items {
		if _, err := s.Agree(ctx, "clinical.director@onepc.example", "U00001", r.ID, pcn, capability.Agreed{Item: it.Code, Level: 2,
			Rationale: "The team's median; partners see the network as developing", Confidence: "medium"}, nil); err != nil {
			return err
		}
	}
	return nil
}

// wholeReview records a whole review: every item agreed at the levels given,
// closed, shared, with an action for each low item.
func wholeReview(ctx context.Context, s *store.Store, f capability.Framework, org string, kind orgs.Kind, year int, mode capability.Mode, who string, levels []int, share capability.Share, today time.Time) error {
	r, err := capability.NewReview(f, kind, year, mode, today)
	if err != nil {
		return err
	}
	if r, err = s.StartReview(ctx, who, org, r); err != nil {
		return err
	}
	agreed := map[string]capability.Agreed{}
	for i, it := range f.Items() {
		a := capability.Agreed{Item: it.Code, Level: levels[i], Rationale: "Agreed by the team against the level descriptors", Confidence: "medium"}
		if len(it.Measures) > 0 {
			a.Measure = it.Measures[0]
		}
		if a, err = s.Agree(ctx, who, org, r.ID, f, a, nil); err != nil {
			return err
		}
		agreed[it.Code] = a
	}
	if year == today.Year() {
		for _, item := range capability.LowItems(f, agreed) {
			if _, err := s.AddAction(ctx, who, org, r.ID, capability.Action{Item: item, Title: "Agree a plan to improve " + item + " with the team",
				Owner: "Practice manager", Due: today.AddDate(0, 4, 0)}); err != nil {
				return err
			}
		}
	}
	if err := s.CloseReview(ctx, who, org, r.ID, f, nil); err != nil {
		return err
	}
	if share != capability.Private {
		return s.ShareReview(ctx, who, org, r.ID, share)
	}
	return nil
}
