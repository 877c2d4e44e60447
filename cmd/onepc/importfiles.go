package main

import (
	"context"
	"io"

	"github.com/onepc/onepc/internal/nhsfile"
	"github.com/onepc/onepc/internal/store"
)

// importFiles runs an import command over the files named: it reads the
// flags, opens the store, and calls load for every CSV (alone or inside a
// published zip) with a progress report around it. Each file is its own
// transaction: a bad one keeps nothing of itself and stops the run; files
// before it stay loaded.
func (c cli) importFiles(ctx context.Context, name, synopsis string, args []string,
	load func(s *store.Store, file string, r io.Reader, p *progress) error) error {
	fs := c.flags(name, synopsis)
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
		err := nhsfile.Each(path, func(file string, r io.Reader, size int64) error {
			p := startProgress(c.stderr, file, size)
			err := load(s, file, p.reader(r), p)
			if err != nil {
				p.fail()
				return err
			}
			p.finish()
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
