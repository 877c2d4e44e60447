package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

// LoadMustDos gives the demo Place a year of must-dos in every state: the
// past year's done (with evidence) but for two overdue items, what is coming
// up given to practice staff with a deputy at Riverside, personal pension
// items for two GPs, and an outbox of sent digests. It does nothing where
// any item already has a state.
func LoadMustDos(ctx context.Context, s *store.Store, now time.Time) error {
	if have, err := s.AllMustDoStates(ctx); err != nil || len(have) > 0 {
		return err
	}
	today := orgs.Today(now)
	// A second GP, at Bridge Street Surgery, beside the demo's GP login.
	hash, err := people.HashPassword(Password)
	if err != nil {
		return err
	}
	u, err := s.UserByEmail(ctx, "gp2@onepc.example")
	if problem.KindOf(err) == problem.NotFound {
		u, err = s.AddUser(ctx, actor, people.User{Email: "gp2@onepc.example", Name: "Dr Sam Okafor"}, hash)
	}
	if err != nil {
		return err
	}
	if err := s.GrantRole(ctx, actor, u.ID, people.GP, "Y00002"); err != nil && problem.KindOf(err) != problem.Conflict {
		return err
	}
	cat, err := s.MustDoCatalogue(ctx)
	if err != nil {
		return err
	}
	os, err := s.AllMustDoOrgs(ctx)
	if err != nil {
		return err
	}
	dates, err := s.MustDoDates(ctx)
	if err != nil {
		return err
	}
	items, err := mustdo.Owed(cat, os, today.AddDate(-1, 0, 0), today.AddDate(0, 2, 0), mustdo.England(), dates, nil)
	if err != nil {
		return err
	}
	overdue := map[[2]string]bool{{"Y00001", "FIRE-RISK"}: true, {"Y00002", "DSPT"}: true}
	states := map[mustdo.Key]mustdo.State{}
	for _, it := range items {
		switch {
		case it.Due.Before(today) && !overdue[[2]string{it.Org, it.Code}]:
			by := "manager." + it.Org + "@demo.onepc.example"
			if it.Person != "" {
				by = it.Person
			}
			states[it.Key()] = mustdo.State{Done: true, DoneBy: by, DoneAt: it.Due.Add(-36 * time.Hour), Note: "Done and filed"}
		case it.Org == "Y00001" && it.Code == "FFT" && it.Person == "":
			states[it.Key()] = mustdo.State{Assignee: "practice.staff@onepc.example", Deputy: "deputy.manager@onepc.example"}
		}
	}
	if err := s.SeedMustDoStates(ctx, actor, states); err != nil {
		return fmt.Errorf("demo must-dos: %w", err)
	}
	// Last week's digests, sent.
	var sent []mustdo.Reminder
	for d := 7; d >= 1; d-- {
		day := today.AddDate(0, 0, -d)
		sent = append(sent, mustdo.Reminder{Key: "digest/" + day.Format(time.DateOnly) + "/practice.manager@onepc.example", To: "practice.manager@onepc.example",
			Subject: "OnePC: must-dos this week", Body: "What you owe that is overdue or due within 7 days (demo)."})
	}
	if _, err := s.QueueReminders(ctx, sent); err != nil {
		return err
	}
	for _, r := range sent {
		if err := s.MarkSent(ctx, r.Key); err != nil {
			return err
		}
	}
	return nil
}
