package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/nhsfile"
)

// importGPAD loads practice-level "Appointments in General Practice" files,
// .csv or the published .zip (its Mapping.csv is skipped), each CSV in its
// own transaction.
func (c cli) importGPAD(ctx context.Context, args []string) error {
	fs := c.flags("import gpad", "import gpad [--db onepc.db] FILE…\n\n"+
		"Loads NHS England's practice-level \"Appointments in General Practice\" files (Practice_Level_Crosstab_*.csv\n"+
		"or the published .zip). Re-importing a month replaces it for the practices the file holds.")
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
			if strings.Contains(strings.ToLower(name), "mapping") || strings.Contains(strings.ToLower(name), "coverage") {
				fmt.Fprintf(c.stderr, "%s: not a practice-level appointments file; skipped\n", name)
				return nil
			}
			p := startProgress(c.stderr, name, size)
			res, err := s.ImportAppointments(ctx, cliActor(), name, func(add func(access.Row) error) (access.Summary, error) {
				return access.Parse(p.reader(r), name, add, func(n int64) { p.setRows(int(n)) })
			})
			p.finish()
			if err != nil {
				return err
			}
			var months []string
			for _, m := range res.Months {
				months = append(months, m.Format("January 2006"))
			}
			fmt.Fprintf(c.stdout, "%s: %s rows for %d practices in %s; %d organisations created", name, formatCount(res.Rows),
				res.Practices, strings.Join(months, ", "), res.Created)
			if res.Blank > 0 {
				fmt.Fprintf(c.stdout, "; %s rows with a blank or suppressed count left out", formatCount(res.Blank))
			}
			fmt.Fprintln(c.stdout, ".")
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
