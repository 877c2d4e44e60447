// Command mustdo measures must-dos at national scale: 6,300 practices in
// PCNs of eight, four keepers and two GPs a practice, the shipped
// catalogue plus 40 monthly obligations (so more than 6,300 × 40 × 12
// instances a year), and two months of history done. It times working out
// who owes what for a new year, the commissioner's heat map for an ICB of 200
// practices and a person's calendar feed under concurrent load, and a
// reminder run for the whole country written to the outbox, on SQLite and
// PostgreSQL, and prints a table beside the goals.
//
//	go run ./bench/mustdo [-postgres URL] [-practices 6300] [-monthly 40] [-load 10s] [-clients 50]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/onepc/onepc/bench/benchkit"
	"github.com/onepc/onepc/internal/mailer"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

func main() {
	pg := flag.String("postgres", os.Getenv("ONEPC_TEST_POSTGRES"), "PostgreSQL server URL (a database is created and dropped); empty skips PostgreSQL")
	practices := flag.Int("practices", 6300, "practices in the country")
	monthly := flag.Int("monthly", 40, "monthly obligations added to the shipped catalogue")
	load := flag.Duration("load", 10*time.Second, "how long each page load runs")
	clients := flag.Int("clients", 50, "concurrent clients in each load")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the heat map's load to this file")
	flag.Parse()
	profilePath = *cpuProfile
	if err := run(*pg, *practices, *monthly, *load, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// profilePath, when set, names where to write a CPU profile of the first
// heat map load.
var profilePath string

const (
	icbPractices = 200 // the size of the ICB whose heat map is loaded
	keepers      = 4   // people at a practice who keep its must-dos (manager, deputy, two partners)
)

type row struct{ what, engine, value, goal string }

func run(pg string, practices, monthly int, load time.Duration, clients int) error {
	ctx := context.Background()
	engines := benchkit.Engines(pg, "")
	var rows []row
	for _, engine := range engines {
		s, cleanup, err := benchkit.Open(ctx, engine, pg)
		if err != nil {
			return err
		}
		got, err := measure(ctx, s, engine, practices, monthly, load, clients)
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
		rows = append(rows, got...)
		for _, r := range got {
			fmt.Fprintf(os.Stderr, "%s: %s: %s\n", r.engine, r.what, r.value)
		}
	}
	fmt.Printf("\nMust-dos at national scale: %d practices, shipped catalogue + %d monthly obligations; %d cores, %s\n\n",
		practices, monthly, runtime.NumCPU(), runtime.Version())
	fmt.Printf("%-58s %-11s %-42s %s\n", "what", "engine", "measured", "goal")
	for _, r := range rows {
		fmt.Printf("%-58s %-11s %-42s %s\n", r.what, r.engine, r.value, r.goal)
	}
	return nil
}

func measure(ctx context.Context, s *store.Store, engine string, practices, monthly int, load time.Duration, clients int) ([]row, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	start := time.Now()
	if err := seed(ctx, s, practices, monthly, today); err != nil {
		return nil, err
	}
	if err := s.Analyze(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "%s: seeded in %s\n", engine, time.Since(start).Round(time.Millisecond))
	var out []row

	// A new financial year for every organisation in the country: read
	// what it needs and work out every item, as a reminder run or an
	// export would.
	fy := today.Year()
	if today.Month() < time.April {
		fy--
	}
	fy++
	start = time.Now()
	cat, err := s.MustDoCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.AllMustDoOrgs(ctx)
	if err != nil {
		return nil, err
	}
	dates, err := s.MustDoDates(ctx)
	if err != nil {
		return nil, err
	}
	states, err := s.AllMustDoStates(ctx)
	if err != nil {
		return nil, err
	}
	items, err := mustdo.Owed(cat, all, time.Date(fy, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(fy+1, 3, 31, 0, 0, 0, 0, time.UTC), mustdo.England(), dates, states)
	if err != nil {
		return nil, err
	}
	out = append(out, row{fmt.Sprintf("who owes what, %d/%02d, %d items", fy, (fy+1)%100, len(items)), engine, time.Since(start).Round(time.Millisecond).String(), "under 5s"})
	items = nil

	// The commissioner's heat map and a practice manager's calendar feed,
	// each under concurrent loopback load through the real router.
	token, err := benchkit.Session(ctx, s, people.Commissioner, "QNN")
	if err != nil {
		return nil, err
	}
	srv, err := web.New(web.Config{Store: s, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	if profilePath != "" {
		f, err := os.Create(profilePath)
		if err != nil {
			return nil, err
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
	}
	got, err := benchkit.Load(ts.URL+"/orgs/QNN/mustdos/overview", token, clients, load)
	if profilePath != "" {
		pprof.StopCPUProfile()
		profilePath = ""
	}
	if err != nil {
		return nil, err
	}
	out = append(out, row{fmt.Sprintf("heat map, ICB of %d practices, %d clients", icbPractices, clients), engine, got, "p99 under 50ms"})
	keeper, err := s.UserByEmail(ctx, keeperEmail(1, 0))
	if err != nil {
		return nil, err
	}
	feed, err := s.CreateFeed(ctx, keeper.ID, keeper.Email)
	if err != nil {
		return nil, err
	}
	if got, err = benchkit.Load(ts.URL+"/calendar/"+feed, "", clients, load); err != nil {
		return nil, err
	}
	out = append(out, row{fmt.Sprintf("calendar feed, practice manager, %d clients", clients), engine, got, "p99 under 50ms"})

	// The whole country's reminders for a busy day, into the outbox (no
	// SMTP: sending is the outbox's own, leased, work): a Monday, when
	// items fall due that day, in 3 days and in 14, a week on from the
	// history, so some are overdue and escalate.
	day := today.AddDate(0, 0, 7)
	for day.Weekday() != time.Monday || !mustdo.England().WorkingDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	r := &mailer.Reminders{Store: s, Base: "https://onepc.example", Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return day.Add(7*time.Hour + 30*time.Minute) }}
	start = time.Now()
	queued, _, err := r.RunOnce(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, row{fmt.Sprintf("reminder run, whole country, %d reminders", queued), engine, time.Since(start).Round(time.Millisecond).String(), "≈250,000 under 10s"})
	start = time.Now()
	again, _, err := r.RunOnce(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, row{fmt.Sprintf("same run again (%d new: each reminder once)", again), engine, time.Since(start).Round(time.Millisecond).String(), ""})
	return out, nil
}

func practiceCode(i int) string   { return fmt.Sprintf("P%05d", i) }
func pcnCode(i int) string        { return fmt.Sprintf("U%05d", i) }
func keeperEmail(i, k int) string { return fmt.Sprintf("pm%d.p%05d@bench.example", k, i) }
func gpEmail(i, k int) string     { return fmt.Sprintf("gp%d.p%05d@bench.example", k, i) }

// seed writes the country: ICB QNN (Place 98N) holds the first 200
// practices, ICB QMM (Place 99N) the rest; PCNs of eight; per practice
// four keepers (practice managers) and two GPs, per PCN a manager; the catalogue; and the
// last two months' items done (one in a hundred left overdue).
func seed(ctx context.Context, s *store.Store, practices, monthly int, today time.Time) error {
	cat, err := s.MustDoCatalogue(ctx)
	if err != nil {
		return err
	}
	for i := 1; i <= monthly; i++ {
		cat = append(cat, mustdo.Obligation{Code: fmt.Sprintf("BENCH-M%02d", i), Title: fmt.Sprintf("Monthly return %d", i), Owner: mustdo.Practice,
			Recurrence: mustdo.Monthly, Nth: 1 + i%10, Source: "bench", Checked: today.Format(time.DateOnly)})
	}
	if err := s.ImportMustDoCatalogue(ctx, "bench", cat); err != nil {
		return err
	}
	now := time.Now()
	pcns := (practices + 7) / 8
	return s.Load(ctx, func(l store.Loader) error {
		list := []orgs.Org{
			{Code: "Y98", Kind: orgs.Region, Name: "BENCH REGION", Status: "A"},
			{Code: "QNN", Kind: orgs.ICB, Name: "BENCH ICB", ParentCode: "Y98", Status: "A"},
			{Code: "98N", Kind: orgs.Place, Name: "BENCH PLACE", ParentCode: "QNN", Status: "A"},
			{Code: "QMM", Kind: orgs.ICB, Name: "REST OF ENGLAND", ParentCode: "Y98", Status: "A"},
			{Code: "99N", Kind: orgs.Place, Name: "REST OF ENGLAND PLACE", ParentCode: "QMM", Status: "A"},
		}
		place := func(i int) string {
			if i <= icbPractices {
				return "98N"
			}
			return "99N"
		}
		for p := 1; p <= pcns; p++ {
			list = append(list, orgs.Org{Code: pcnCode(p), Kind: orgs.PCN, Name: "BENCH PCN " + pcnCode(p), ParentCode: place((p-1)*8 + 1), Status: "A"})
		}
		for i := 1; i <= practices; i++ {
			list = append(list, orgs.Org{Code: practiceCode(i), Kind: orgs.Practice, Name: "BENCH PRACTICE " + practiceCode(i), ParentCode: place(i),
				Status: "A", Setting: orgs.SettingGPPractice, ListSize: 2000 + i%28000})
		}
		if err := benchkit.InsertOrgs(ctx, l, list, now); err != nil {
			return err
		}
		if err := l.Insert(ctx, "pcn_memberships", []string{"practice_code", "pcn_code", "start_date"}, practices, func(i int) []any {
			return []any{practiceCode(i + 1), pcnCode(i/8 + 1), "2020-04-01"}
		}); err != nil {
			return err
		}
		type person struct {
			email, org string
			role       people.Role
		}
		var staff []person
		for i := 1; i <= practices; i++ {
			for k := range keepers {
				staff = append(staff, person{keeperEmail(i, k), practiceCode(i), people.PracticeManager})
			}
			staff = append(staff, person{gpEmail(i, 0), practiceCode(i), people.GP}, person{gpEmail(i, 1), practiceCode(i), people.GP})
		}
		for p := 1; p <= pcns; p++ {
			staff = append(staff, person{fmt.Sprintf("manager.u%05d@bench.example", p), pcnCode(p), people.PCNManager})
		}
		if err := l.Insert(ctx, "users", []string{"email", "name", "password_hash", "created_at"}, len(staff), func(i int) []any {
			return []any{staff[i].email, staff[i].email, "x", l.Timestamp(now)}
		}); err != nil {
			return err
		}
		ids := map[string]int64{}
		var first int64
		if err := l.QueryRow(ctx, "SELECT MIN(id) FROM users WHERE email LIKE '%@bench.example'").Scan(&first); err != nil {
			return err
		}
		for i, p := range staff { // ids were given in insertion order
			ids[p.email] = first + int64(i)
		}
		if err := l.Insert(ctx, "grants", []string{"user_id", "role", "org_code", "granted_at", "granted_by"}, len(staff), func(i int) []any {
			return []any{ids[staff[i].email], string(staff[i].role), staff[i].org, l.Timestamp(now), "bench"}
		}); err != nil {
			return err
		}
		// History: every practice's items of the last two months, done
		// but one in a hundred, left overdue.
		var orgList []mustdo.Org
		for i := 1; i <= practices; i++ {
			orgList = append(orgList, mustdo.Org{Code: practiceCode(i), Kind: orgs.Practice, GPs: []string{gpEmail(i, 0), gpEmail(i, 1)}})
		}
		past, err := mustdo.Owed(cat, orgList, today.AddDate(0, -2, 0), today.AddDate(0, 0, -1), mustdo.England(), nil, nil)
		if err != nil {
			return err
		}
		var done []mustdo.Item
		for i, it := range past {
			if i%100 != 0 {
				done = append(done, it)
			}
		}
		return l.Insert(ctx, "mustdo_states", []string{"code", "org_code", "person", "period", "done", "done_by", "done_at"}, len(done), func(i int) []any {
			k := done[i].Key()
			return []any{k.Code, k.Org, k.Person, k.Period.Format(time.DateOnly), 1, "bench", l.Timestamp(done[i].Due)}
		})
	})
}
