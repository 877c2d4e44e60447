package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/onepc/onepc/internal/ssoclient"
)

// ssoClients reads the providers file, if one is given. Providers need the
// public URL: the address they send people back to is made from it, never
// from what a request says its host is.
func (c cli) ssoClients(path, publicURL string) ([]*ssoclient.Client, error) {
	if path == "" {
		return nil, nil
	}
	if u, err := url.Parse(publicURL); publicURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sign-in providers need --public-url (or ONEPC_PUBLIC_URL): this site's address as browsers see it, such as https://onepc.example.nhs.uk")
	}
	providers, err := ssoclient.LoadConfigFile(path, c.getenv)
	if err != nil {
		return nil, err
	}
	var out []*ssoclient.Client
	for _, p := range providers {
		cl, err := ssoclient.NewClient(p)
		if err != nil {
			return nil, err
		}
		out = append(out, cl)
		fmt.Fprintf(c.stderr, "sign-in through %s (%s) is on\n", p.Name, p.Issuer)
	}
	return out, nil
}

func (c cli) ssoCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(c.stderr, "Usage: onepc sso test ISSUER\n\nPrints a provider's discovery document and whether OnePC can use it.")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	fs := c.flags("sso test", "sso test ISSUER")
	if err := parse(fs, args[1:]); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	issuer := fs.Arg(0)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	d, err := ssoclient.Fetch(ctx, &http.Client{Timeout: 15 * time.Second}, issuer)
	if err != nil {
		return fmt.Errorf("cannot read the discovery document: %w", err)
	}
	var pretty any
	json.Unmarshal(d.RawDocument, &pretty)
	doc, _ := json.MarshalIndent(pretty, "", "  ")
	fmt.Fprintf(c.stdout, "Discovery document from %s:\n%s\n\n", d.DiscoveryURL, doc)
	blocked := false
	for _, f := range d.Assess(issuer) {
		mark := "ok  "
		switch {
		case !f.OK && f.Blocks:
			mark, blocked = "FAIL", true
		case !f.OK:
			mark = "note"
		}
		fmt.Fprintf(c.stdout, "%s  %s\n", mark, f.Message)
	}
	if blocked {
		return fmt.Errorf("OnePC cannot use %s as it stands", issuer)
	}
	fmt.Fprintf(c.stdout, "\nOnePC can use this provider. Register the redirect address <public URL>/login/sso/<id>/callback with it.\n")
	return nil
}
