package main

import (
	"context"
	"fmt"
	"io"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/population"
)

// importPopulation loads registered-patient files, each CSV (alone or in a
// zip) in its own transaction: a bad file keeps nothing of itself and stops
// the run, files before it stay loaded.
func (c cli) importPopulation(ctx context.Context, args []string) error {
	fs := c.flags("import registered-patients", "import registered-patients [--db onepc.db] FILE…\n\n"+
		"Loads NHS England's \"Patients Registered at a GP Practice\" files: the practice totals file, the five-year\n"+
		"age band by sex file, or the single-year-of-age files, as .csv or as the published .zip. Re-importing an\n"+
		"extract replaces it.")
	dsn := c.dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, path := range fs.Args() {
		err := nhsfile.Each(path, func(name string, r io.Reader, size int64) error {
			p := startProgress(c.stderr, name, size)
			e, err := population.Parse(p.reader(r), name, p.setRows)
			p.finish()
			if err != nil {
				return err
			}
			res, err := s.ImportPopulation(ctx, cliActor(), name, e)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s: extract of %s: %d practices (%d with age bands, %d suppressed); %d created; %d other rows skipped.\n",
				name, res.Extract.Format("2 January 2006"), res.Practices, res.WithBands, res.Suppressed, res.Created, res.Skipped)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
