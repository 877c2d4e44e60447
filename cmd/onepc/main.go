// Command onepc is OnePC: the web app, its importers and its admin tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if err != errUsage {
			fmt.Fprintln(os.Stderr, "onepc:", err)
		}
		os.Exit(1)
	}
}

// env is how commands read ONEPC_* fallbacks; tests pass their own.
type env func(string) string

type cli struct {
	getenv env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}
