package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/records"
)

// importSchedule reads a retention schedule, shows how it differs from the
// one in force, and applies it as a new version only with --apply.
func (c cli) importSchedule(ctx context.Context, args []string) error {
	fs := c.flags("import retention-schedule", "import retention-schedule [--db onepc.db] [--apply] [--source TEXT] FILE")
	dsn := c.dbFlag(fs)
	apply := fs.Bool("apply", false, "make the file the schedule in force (without it, only show the differences)")
	source := fs.String("source", "", "where the file comes from, for rows that do not say (default: the file's name)")
	if err := parse(fs, args); err != nil {
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
	if *source == "" {
		*source = "Imported from " + filepath.Base(path)
	}
	cs, err := records.ParseSchedule(f, *source, time.Now().Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was changed)", filepath.Base(path), err)
	}
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	current, err := s.RetentionSchedule(ctx)
	if err != nil {
		return err
	}
	if cs, err = records.AdoptCodes(cs, current.Classes); err != nil {
		return fmt.Errorf("%s: %w (nothing was changed)", filepath.Base(path), err)
	}
	changes := records.Diff(current.Classes, cs)
	fmt.Fprintf(c.stdout, "%s: %d rows; against version %d in force: %d changes.\n", filepath.Base(path), len(cs), current.Version, len(changes))
	for _, ch := range changes {
		switch ch.Kind {
		case "added":
			fmt.Fprintf(c.stdout, "  + %-22s %s: %s, then %s\n", ch.Code, ch.New.RecordType, ch.New.Period(), ch.New.Action.Label())
		case "removed":
			fmt.Fprintf(c.stdout, "  - %-22s %s\n", ch.Code, ch.Old.RecordType)
		case "changed":
			fmt.Fprintf(c.stdout, "  ~ %-22s %s: %s (was %s)\n", ch.Code, strings.Join(ch.Fields, ", "), ch.New.Period(), ch.Old.Period())
		}
	}
	if len(changes) == 0 {
		fmt.Fprintln(c.stdout, "Nothing to change.")
		return nil
	}
	if !*apply {
		fmt.Fprintln(c.stdout, "Nothing was changed. Run again with --apply to make this the schedule in force.")
		return nil
	}
	v, err := s.ApplySchedule(ctx, cliActor(), *source, cs)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Applied as version %d.\n", v)
	return nil
}
