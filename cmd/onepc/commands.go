package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onepc/onepc/internal/audit"
	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/mailer"
	"github.com/onepc/onepc/internal/orgs"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/web"
)

var errUsage = errors.New("usage")

const usage = `OnePC: one primary care platform for practices, PCNs, Places and ICBs.

Usage:
  onepc serve [--addr :8080] [--db onepc.db] [--demo]   run the web app
  onepc migrate [--db …]                                 bring the database schema up to date
  onepc demo [--db …]                                    load the demo Place and its users
  onepc import ods-practices [--db …] FILE               load GP practices from ODS epraccur.csv
  onepc import pcn-members [--db …] FILE                 load PCN membership (epcncorepartnerdetails CSV or ePCN.xlsx)
  onepc import registered-patients [--db …] FILE…       load "Patients Registered at a GP Practice" (.csv or .zip)
  onepc import gpad [--db …] FILE…                      load practice-level "Appointments in General Practice" (.csv or .zip)
  onepc import retention-schedule [--apply] FILE         compare a retention schedule (CSV, or the Code's table as HTML) with the one in force; --apply makes it a new version
  onepc user add|list|grant|revoke …                     manage users and roles
  onepc audit verify [--db …] [--checkpoint FILE]        check the audit log's hash chain (and earlier checkpoints)
  onepc audit checkpoint [--db …]                        print a signed checkpoint of the log's head, to keep elsewhere
  onepc sso test ISSUER                                  print a provider's discovery document and whether OnePC can use it

Every command takes --help. --db is an SQLite file path (default onepc.db) or a
postgres:// URL; ONEPC_DB and ONEPC_ADDR are used when the flags are not given.
`

func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	c := cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmds := map[string]func(context.Context, []string) error{
		"serve": c.serve, "migrate": c.migrate, "demo": c.demo, "import": c.importCmd,
		"user": c.userCmd, "audit": c.auditCmd, "sso": c.ssoCmd,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "onepc: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
	return cmd(ctx, args[1:])
}

// flags makes a flag set whose --help prints the command's own usage.
func (c cli) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: onepc %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; --help is a success, not an error.
//
// Flags may come anywhere, before the arguments or after them, as people
// type them ("user grant EMAIL ROLE ORG --db x.db"); after "--", everything
// is an argument.
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		if err != nil {
			return errUsage
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	// Leave the arguments where fs.Args finds them.
	return fs.Parse(append([]string{"--"}, positional...))
}

var errHelp = errors.New("help shown")

func (c cli) dbFlag(fs *flag.FlagSet) *string {
	def := c.getenv("ONEPC_DB")
	if def == "" {
		def = "onepc.db"
	}
	return fs.String("db", def, "SQLite file or postgres:// URL (env ONEPC_DB)")
}

// open connects and migrates, so that every command works on a fresh database.
func (c cli) open(ctx context.Context, dsn string) (*store.Store, error) {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	for _, m := range applied {
		fmt.Fprintf(c.stderr, "applied migration %s\n", m)
	}
	return s, nil
}

// cliActor names a command-line user in the audit log.
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "cli:" + name
}

func (c cli) serve(ctx context.Context, args []string) error {
	fs := c.flags("serve", "serve [--addr :8080] [--db onepc.db] [--demo] [--secure-cookies] [--sso FILE] [--public-url URL] [--smtp URL] [--mail-from ADDRESS]")
	addrDef := c.getenv("ONEPC_ADDR")
	if addrDef == "" {
		addrDef = ":8080"
	}
	addr := fs.String("addr", addrDef, "address to listen on (env ONEPC_ADDR)")
	dsn := c.dbFlag(fs)
	withDemo := fs.Bool("demo", c.getenv("ONEPC_DEMO") == "1", "load the demo Place first and print its logins (env ONEPC_DEMO=1)")
	secure := fs.Bool("secure-cookies", c.getenv("ONEPC_SECURE_COOKIES") == "1", "always mark cookies Secure, for TLS ended at a proxy that sends no X-Forwarded-Proto")
	ssoFile := fs.String("sso", c.getenv("ONEPC_SSO_CONFIG"), "JSON file of OpenID Connect sign-in providers (env ONEPC_SSO_CONFIG); see the README")
	publicURL := fs.String("public-url", c.getenv("ONEPC_PUBLIC_URL"), "this site's address as browsers see it, for the providers' redirect addresses and links in emails (env ONEPC_PUBLIC_URL)")
	smtpURL := fs.String("smtp", c.getenv("ONEPC_SMTP_URL"), "mail server for reminders, smtp://user:password@host:587 (?tls=starttls, tls or none) (env ONEPC_SMTP_URL); without it reminders wait in the outbox")
	mailFrom := fs.String("mail-from", envOr(c.getenv("ONEPC_MAIL_FROM"), "onepc@localhost"), "From address of reminders (env ONEPC_MAIL_FROM)")
	if err := parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tuneServer()
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if *withDemo {
		if err := c.loadDemo(ctx, s); err != nil {
			return err
		}
	} else if n, err := s.CountUsers(ctx); err == nil && n == 0 {
		fmt.Fprintln(c.stderr, "There are no users yet: add one with `onepc user add`, or run with --demo.")
	}
	clients, err := c.ssoClients(*ssoFile, *publicURL)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{Store: s, Log: log, SecureCookies: *secure, SSO: clients, PublicURL: *publicURL, MailOn: *smtpURL != ""})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	reminders := &mailer.Reminders{Store: s, Base: envOr(*publicURL, "http://"+displayAddr(ln.Addr().String())), Log: log, Now: time.Now}
	if *smtpURL != "" {
		if reminders.Sender, err = mailer.NewSMTP(*smtpURL, *mailFrom); err != nil {
			return err
		}
	}
	go reminders.Loop(ctx, time.Minute)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	hs.RegisterOnShutdown(srv.Stop) // live streams end, so that shutdown need not wait for them
	log.Info("OnePC is listening", "url", "http://"+displayAddr(ln.Addr().String()), "db", s.Dialect().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

func displayAddr(a string) string {
	if strings.HasPrefix(a, "[::]:") {
		return "localhost:" + strings.TrimPrefix(a, "[::]:")
	}
	if strings.HasPrefix(a, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(a, "0.0.0.0:")
	}
	return a
}

func ignoreHelp(err error) error {
	if err == errHelp {
		return nil
	}
	return err
}

func (c cli) loadDemo(ctx context.Context, s *store.Store) error {
	logins, err := demo.LoadAll(ctx, s, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Demo Place loaded. Sign in with any of these (password %q):\n", demo.Password)
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	for _, l := range logins {
		fmt.Fprintf(tw, "  %s\t%s\tat %s\n", l.Email, l.Role.Label(), l.Org)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Guests without an account join the Place's planning round at /join with one of these codes (each works once):")
	for _, g := range demo.GuestCodes {
		fmt.Fprintf(c.stdout, "  %s  for %s\n", g.Code, g.Constituency.Label())
	}
	return nil
}

func (c cli) migrate(ctx context.Context, args []string) error {
	fs := c.flags("migrate", "migrate [--db onepc.db]")
	dsn := c.dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	s, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d migrations applied; the schema is up to date.\n", len(applied))
	return nil
}

func (c cli) demo(ctx context.Context, args []string) error {
	fs := c.flags("demo", "demo [--db onepc.db]")
	dsn := c.dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	return c.loadDemo(ctx, s)
}

func (c cli) importCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "registered-patients" {
		return c.importPopulation(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "gpad" {
		return c.importGPAD(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "retention-schedule" {
		return c.importSchedule(ctx, args[1:])
	}
	if len(args) == 0 || (args[0] != "ods-practices" && args[0] != "pcn-members") {
		fmt.Fprint(c.stderr, "Usage: onepc import ods-practices FILE | pcn-members FILE | registered-patients FILE… | gpad FILE… | retention-schedule FILE [--apply]\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	kind := args[0]
	fs := c.flags("import "+kind, "import "+kind+" [--db onepc.db] FILE")
	dsn := c.dbFlag(fs)
	if err := parse(fs, args[1:]); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	name := filepath.Base(path)
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	var res store.ImportResult
	switch kind {
	case "ods-practices":
		pf, err := orgs.ParseEpraccur(f, name)
		if err != nil {
			return err
		}
		if res, err = s.ImportPractices(ctx, cliActor(), pf, name); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: %d practices added, %d updated, %d unchanged; %d regions, ICBs or Places created.\n",
			name, res.Added, res.Updated, res.Unchanged, res.Created)
		if res.Skipped > 0 {
			var parts []string
			for setting, n := range res.BySetting {
				parts = append(parts, fmt.Sprintf("setting %d: %d", setting, n))
			}
			fmt.Fprintf(c.stdout, "%d rows were not GP practices (prescribing setting other than 4) and were skipped (%s).\n",
				res.Skipped, strings.Join(sorted(parts), ", "))
		}
	case "pcn-members":
		var ms []orgs.MembershipRecord
		if strings.EqualFold(filepath.Ext(name), ".xlsx") {
			ms, err = orgs.ParsePCNMembersXLSX(f, name)
		} else {
			ms, err = orgs.ParsePCNMembersCSV(f, name)
		}
		if err != nil {
			return err
		}
		if res, err = s.ImportMemberships(ctx, cliActor(), ms, name); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: %d membership spells added or changed, %d unchanged; %d PCNs, Places or practices created.\n",
			name, res.Added, res.Unchanged, res.Created)
	}
	return nil
}

// auditCmd verifies the audit log's chain, against checkpoints kept
// elsewhere where given, or prints a checkpoint of its head. Checkpoints are
// signed with the key in ONEPC_AUDIT_KEY (keep it out of the database).
func (c cli) auditCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "checkpoint") {
		fmt.Fprint(c.stderr, "Usage: onepc audit verify [--db onepc.db] [--checkpoint FILE] | onepc audit checkpoint [--db onepc.db]\n")
		return errUsage
	}
	fs := c.flags("audit "+args[0], "audit "+args[0]+" [--db onepc.db]")
	dsn := c.dbFlag(fs)
	cpFile := fs.String("checkpoint", "", "a file of checkpoints (one a line) that the log must still hold")
	if err := parse(fs, args[1:]); err != nil {
		return ignoreHelp(err)
	}
	key := []byte(c.getenv("ONEPC_AUDIT_KEY"))
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "checkpoint" {
		cp, err := s.AuditCheckpoint(ctx, key)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, cp)
		if len(key) == 0 {
			fmt.Fprintln(c.stderr, "note: ONEPC_AUDIT_KEY is not set, so this checkpoint is unsigned: keep it where the database's users cannot change it")
		}
		return nil
	}
	var anchors []audit.Checkpoint
	if *cpFile != "" {
		data, err := os.ReadFile(*cpFile)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			cp, err := audit.ParseCheckpoint(line)
			if err != nil {
				return fmt.Errorf("%s: line %d: %w", *cpFile, i+1, err)
			}
			if !cp.Authentic(key) {
				return fmt.Errorf("%s: line %d: the checkpoint's signature does not match ONEPC_AUDIT_KEY: it was not made with this key, or it was changed", *cpFile, i+1)
			}
			anchors = append(anchors, cp)
		}
	}
	n, err := s.VerifyAudit(ctx, anchors...)
	if err != nil {
		return fmt.Errorf("the audit log is NOT intact after %d good entries: %w", n, err)
	}
	fmt.Fprintf(c.stdout, "The audit log is intact: %d entries checked", n)
	if len(anchors) > 0 {
		fmt.Fprintf(c.stdout, ", and it still holds %d checkpoints", len(anchors))
	}
	fmt.Fprintln(c.stdout, ".")
	return nil
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func envOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
