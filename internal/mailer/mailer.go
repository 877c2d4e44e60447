// Package mailer sends OnePC's reminder emails over SMTP (wneessen/go-mail)
// and runs the outbox: it takes messages for a while, sends each with its
// own Message-ID, and records it sent, so that a reminder is never lost and
// sent twice only when the mail server took it and the process died before
// recording that (the resend carries the same Message-ID).
package mailer

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/onepc/onepc/internal/store"
)

// Sender sends one message.
type Sender interface {
	Send(ctx context.Context, m store.OutboxMessage) error
}

// SMTP sends through a mail server.
type SMTP struct {
	client *mail.Client
	from   string
}

// NewSMTP reads a mail server's address, smtp://user:password@host:port
// with ?tls=starttls (the default, as NHSmail requires), tls (implicit TLS)
// or none (a development server such as Mailpit), and the From address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("ONEPC_SMTP_URL: give an address like smtp://user:password@smtp.example.nhs.uk:587")
	}
	port := 587
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("ONEPC_SMTP_URL: %q is not a port", p)
		}
	}
	opts := []mail.Option{mail.WithTimeout(20 * time.Second)}
	switch u.Query().Get("tls") {
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("ONEPC_SMTP_URL: tls is starttls, tls or none, not %q", u.Query().Get("tls"))
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	c, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("ONEPC_SMTP_URL: %w", err)
	}
	return &SMTP{client: c, from: from}, nil
}

// Send sends one message with its outbox Message-ID.
func (s *SMTP) Send(ctx context.Context, m store.OutboxMessage) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID())
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	return s.client.DialAndSendWithContext(ctx, msg)
}

// Lease is how long a sender holds messages it took: a sender that dies
// leaves them for another after this.
const Lease = 2 * time.Minute

// step names the points a test may stop a send at, to prove nothing is lost.
type step int

const (
	afterClaim step = iota + 1
	afterSend
)

// Outbox sends what the outbox holds.
type Outbox struct {
	Store  *store.Store
	Sender Sender
	// stop, in tests, ends a run at a step, as a crash there would.
	stop func(step, store.OutboxMessage) bool
}

// Flush sends up to n waiting messages, and returns how many were sent.
func (o *Outbox) Flush(ctx context.Context, n int) (int, error) {
	ms, err := o.Store.ClaimOutbox(ctx, n, Lease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range ms {
		if o.stop != nil && o.stop(afterClaim, m) {
			return sent, errCrash
		}
		if err := o.Sender.Send(ctx, m); err != nil {
			if err := o.Store.MarkFailed(ctx, m.Key, err.Error()); err != nil {
				return sent, err
			}
			continue
		}
		if o.stop != nil && o.stop(afterSend, m) {
			return sent, errCrash
		}
		if err := o.Store.MarkSent(ctx, m.Key); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

var errCrash = fmt.Errorf("stopped as a crash would")
