package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/numfmt"
	"github.com/onepc/onepc/internal/store"
)

// importGPAD loads practice-level "Appointments in General Practice" files;
// a published zip's Mapping.csv and coverage file are skipped.
func (c cli) importGPAD(ctx context.Context, args []string) error {
	return c.importFiles(ctx, "import gpad", "import gpad [--db onepc.db] FILE…\n\n"+
		"Loads NHS England's practice-level \"Appointments in General Practice\" files (Practice_Level_Crosstab_*.csv\n"+
		"or the published .zip). Re-importing a month replaces it for the practices the file holds.",
		args, func(s *store.Store, name string, r io.Reader, p *progress) error {
			if lower := strings.ToLower(name); strings.Contains(lower, "mapping") || strings.Contains(lower, "coverage") {
				fmt.Fprintf(c.stderr, "%s: not a practice-level appointments file; skipped\n", name)
				return nil
			}
			res, err := s.ImportAppointments(ctx, cliActor(), name, func(emit func([]access.PracticeMonth) error) (access.Summary, error) {
				return access.Aggregate(r, name, access.Options{Progress: func(n int64) { p.setRows(int(n)) }}, emit)
			})
			if err != nil {
				return err
			}
			var months []string
			for _, m := range res.Months {
				months = append(months, m.Format("January 2006"))
			}
			fmt.Fprintf(c.stdout, "%s: %s rows for %s practices in %s; %s organisations created", name, numfmt.Count(res.Rows),
				numfmt.Count(int64(res.Practices)), strings.Join(months, ", "), numfmt.Count(int64(res.Created)))
			if res.Blank > 0 {
				fmt.Fprintf(c.stdout, "; %s rows with a blank or suppressed count left out", numfmt.Count(res.Blank))
			}
			fmt.Fprintln(c.stdout, ".")
			return nil
		})
}
