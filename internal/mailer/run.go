package mailer

import (
	"context"
	"log/slog"
	"time"

	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/store"
)

// Reminders plans the day's reminders into the outbox and sends what it
// holds, once a minute. Several servers may run it on one database: the
// outbox's keys make each reminder once, and its leases send each once.
type Reminders struct {
	Store  *store.Store
	Sender Sender // nil: reminders stay in the outbox, where administrators see them
	Base   string // this site's address, for links
	Log    *slog.Logger
	Now    func() time.Time
}

// RunOnce plans and queues the reminders due now, then sends what waits.
// It returns how many were queued and sent.
func (r *Reminders) RunOnce(ctx context.Context) (queued, sent int, err error) {
	now := r.Now()
	local := now.In(mustdo.London())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	cat, err := r.Store.MustDoCatalogue(ctx)
	if err != nil {
		return 0, 0, err
	}
	os, err := r.Store.AllMustDoOrgs(ctx)
	if err != nil {
		return 0, 0, err
	}
	dates, err := r.Store.MustDoDates(ctx)
	if err != nil {
		return 0, 0, err
	}
	states, err := r.Store.AllMustDoStates(ctx)
	if err != nil {
		return 0, 0, err
	}
	items, err := mustdo.Owed(cat, os, today.AddDate(0, 0, -60), today.AddDate(0, 0, 14), mustdo.England(), dates, states)
	if err != nil {
		return 0, 0, err
	}
	to, err := r.Store.ReminderRecipients(ctx, today)
	if err != nil {
		return 0, 0, err
	}
	prefs, err := r.Store.ReminderPrefs(ctx)
	if err != nil {
		return 0, 0, err
	}
	choose := func(p string) mustdo.Prefs {
		if c, ok := prefs[p]; ok {
			return c
		}
		return mustdo.DefaultPrefs
	}
	if queued, err = r.Store.QueueReminders(ctx, mustdo.Plan(items, to, choose, now, r.Base)); err != nil {
		return queued, 0, err
	}
	if r.Sender == nil {
		return queued, 0, nil
	}
	sent, err = (&Outbox{Store: r.Store, Sender: r.Sender}).Flush(ctx, 500)
	return queued, sent, err
}

// Loop runs RunOnce every interval until ctx ends, logging what it did.
func (r *Reminders) Loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		queued, sent, err := r.RunOnce(ctx)
		if err != nil {
			r.Log.Error("reminders", "err", err)
		} else if queued+sent > 0 {
			r.Log.Info("reminders", "queued", queued, "sent", sent)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
