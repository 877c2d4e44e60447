package main

import (
	"context"
	"fmt"
	"io"

	"github.com/onepc/onepc/internal/population"
	"github.com/onepc/onepc/internal/store"
)

// importPopulation loads registered-patient files.
func (c cli) importPopulation(ctx context.Context, args []string) error {
	return c.importFiles(ctx, "import registered-patients", "import registered-patients [--db onepc.db] FILE…\n\n"+
		"Loads NHS England's \"Patients Registered at a GP Practice\" files: the practice totals file, the five-year\n"+
		"age band by sex file, or the single-year-of-age files, as .csv or as the published .zip. Re-importing an\n"+
		"extract replaces it.", args, func(s *store.Store, name string, r io.Reader, p *progress) error {
		e, err := population.Parse(r, name, p.setRows)
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
}
