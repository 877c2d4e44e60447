package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/onepc/onepc/internal/people"
	"github.com/onepc/onepc/internal/problem"
	"github.com/onepc/onepc/internal/store"
)

const userUsage = `Usage:
  onepc user add --email EMAIL --name NAME [--db …]   (password from ONEPC_PASSWORD, or the first line of standard input)
  onepc user list [--db …]
  onepc user grant EMAIL ROLE ORG [--db …]
  onepc user revoke EMAIL ROLE ORG [--db …]

Roles: practice_manager, practice_staff (at a practice); pcn_manager,
pcn_clinical_director (at a PCN); commissioner (at a Place or ICB); admin (anywhere).
A role reaches the organisation it is given at and everything below it.
`

func (c cli) userCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(c.stderr, userUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := c.flags("user "+sub, "user "+sub+" …\n\n"+userUsage)
	dsn := c.dbFlag(fs)
	email := fs.String("email", "", "the user's email address (add)")
	name := fs.String("name", "", "the user's full name (add)")
	if err := parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	s, err := c.open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	actor := cliActor()
	switch sub {
	case "add":
		password := c.getenv("ONEPC_PASSWORD")
		if password == "" {
			fmt.Fprint(c.stderr, "Password for the new user: ")
			line, _ := bufio.NewReader(c.stdin).ReadString('\n')
			password = strings.TrimRight(line, "\r\n")
		}
		u, err := people.NewUser(*email, *name, password)
		if err != nil {
			return fieldsError(err)
		}
		hash, err := people.HashPassword(password)
		if err != nil {
			return err
		}
		if u, err = s.AddUser(ctx, actor, u, hash); err != nil {
			return fieldsError(err)
		}
		fmt.Fprintf(c.stdout, "Added %s <%s>. Give them a role with: onepc user grant %s ROLE ORG\n", u.Name, u.Email, u.Email)
	case "list":
		users, _, err := s.Users(ctx, store.UserQuery{Limit: 1 << 30})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLES")
		for _, u := range users {
			var roles []string
			for _, g := range u.Grants {
				roles = append(roles, string(g.Role)+"@"+g.OrgCode)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Email, u.Name, strings.Join(roles, " "))
		}
		return tw.Flush()
	case "grant", "revoke":
		if fs.NArg() != 3 {
			fmt.Fprint(c.stderr, userUsage)
			return errUsage
		}
		u, err := s.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		role, err := people.ParseRole(fs.Arg(1))
		if err != nil {
			return err
		}
		org := strings.ToUpper(fs.Arg(2))
		if sub == "grant" {
			err = s.GrantRole(ctx, actor, u.ID, role, org)
		} else {
			err = s.RevokeRole(ctx, actor, u.ID, role, org)
		}
		if err != nil {
			return fieldsError(err)
		}
		verb := map[string]string{"grant": "is now", "revoke": "is no longer"}[sub]
		fmt.Fprintf(c.stdout, "%s %s %s at %s.\n", u.Email, verb, role.Label(), org)
	default:
		fmt.Fprintf(c.stderr, "onepc: unknown user command %q\n\n%s", sub, userUsage)
		return errUsage
	}
	return nil
}

// fieldsError words field problems for a terminal: --email: …
func fieldsError(err error) error {
	f := problem.FieldsOf(err)
	if len(f) == 0 {
		return err
	}
	var lines []string
	for _, e := range f {
		lines = append(lines, "--"+e.Name+": "+e.Message)
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n       "))
}
