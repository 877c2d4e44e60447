package mailer

import (
	"context"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/onepc/onepc/internal/demo"
	"github.com/onepc/onepc/internal/mustdo"
	"github.com/onepc/onepc/internal/store"
	"github.com/onepc/onepc/internal/store/storetest"
)

// inbox is a real SMTP server in-process that keeps what it is sent.
type inbox struct {
	mu   sync.Mutex
	msgs []*mail.Message
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct{ b *inbox }

func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(m.Body)
	m.Body = strings.NewReader(string(body))
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, m)
	s.b.mu.Unlock()
	return nil
}

func (b *inbox) byID() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for _, m := range b.msgs {
		out[m.Header.Get("Message-Id")]++
	}
	return out
}

func startInbox(t *testing.T) (*inbox, string) {
	t.Helper()
	b := &inbox{}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b, "smtp://" + ln.Addr().String() + "?tls=none"
}

// TestNoLostNoDoubledMail stops a send at each step, as a crash there
// would, and starts again: no reminder is lost; none is created twice; one
// is sent twice only when the server took it before the crash, and then
// with the same Message-ID.
func TestNoLostNoDoubledMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 11, 30, 7, 30, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return clock })
		box, addr := startInbox(t)
		sender, err := NewSMTP(addr, "onepc@example.nhs.uk")
		if err != nil {
			t.Fatal(err)
		}
		rs := []mustdo.Reminder{{Key: "digest/2026-11-30/a@x.nhs.uk", To: "a@x.nhs.uk", Subject: "A", Body: "a"},
			{Key: "digest/2026-11-30/b@x.nhs.uk", To: "b@x.nhs.uk", Subject: "B", Body: "b"},
			{Key: "single/3/DSPT/A1//2027-06-30/c@x.nhs.uk", To: "c@x.nhs.uk", Subject: "C", Body: "c"}}
		if n, err := s.QueueReminders(ctx, rs); err != nil || n != 3 {
			t.Fatalf("queue: %d %v", n, err)
		}
		if n, _ := s.QueueReminders(ctx, rs); n != 0 { // planned again, on this server or another
			t.Errorf("queued again: %d new", n)
		}
		// Crash after taking the messages, before sending any.
		o := &Outbox{Store: s, Sender: sender, stop: func(st step, m store.OutboxMessage) bool { return st == afterClaim }}
		if _, err := o.Flush(ctx, 10); err != errCrash {
			t.Fatalf("first run: %v", err)
		}
		// Another sender at once finds them taken.
		if n, _ := (&Outbox{Store: s, Sender: sender}).Flush(ctx, 10); n != 0 || len(box.byID()) != 0 {
			t.Errorf("taken messages sent by another sender: %d", n)
		}
		// The lease ends; the next run crashes after the server took the
		// second message, before recording it.
		clock = clock.Add(Lease + time.Second)
		o.stop = func(st step, m store.OutboxMessage) bool { return st == afterSend && m.To == "b@x.nhs.uk" }
		if _, err := o.Flush(ctx, 10); err != errCrash {
			t.Fatalf("second run: %v", err)
		}
		// And again after the lease: everything goes.
		clock = clock.Add(Lease + time.Second)
		o.stop = nil
		if _, err := o.Flush(ctx, 10); err != nil {
			t.Fatal(err)
		}
		ids := box.byID()
		if len(ids) != 3 {
			t.Fatalf("%d distinct messages, want 3: %v", len(ids), ids)
		}
		twice := 0
		for id, n := range ids {
			if n == 2 {
				twice++
			} else if n != 1 {
				t.Errorf("%s sent %d times", id, n)
			}
		}
		if twice != 1 {
			t.Errorf("%d messages sent twice, want the one taken before the crash: %v", twice, ids)
		}
		if n, _ := o.Flush(ctx, 10); n != 0 {
			t.Errorf("sent again after all were recorded: %d", n)
		}
		out, total, _ := s.Outbox(ctx, nil, 10)
		if total != 3 || out[0].SentAt.IsZero() {
			t.Errorf("outbox: %d %+v", total, out)
		}
	})
}

// TestReminderRun: on the demo Place at 07:30 on a Monday, a run plans the
// digests and single reminders, sends them, and a second run sends nothing
// more.
func TestReminderRun(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 7, 30, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	if _, err := demo.Load(ctx, s, now); err != nil {
		t.Fatal(err)
	}
	box, addr := startInbox(t)
	sender, err := NewSMTP(addr, "onepc@example.nhs.uk")
	if err != nil {
		t.Fatal(err)
	}
	r := &Reminders{Store: s, Sender: sender, Base: "https://onepc.example.nhs.uk", Now: func() time.Time { return now }}
	queued, sent, err := r.RunOnce(ctx)
	if err != nil || queued == 0 || sent != queued {
		t.Fatalf("run: queued %d, sent %d, %v", queued, sent, err)
	}
	var digest *mail.Message
	box.mu.Lock()
	for _, m := range box.msgs {
		if strings.Contains(m.Header.Get("To"), "practice.manager@onepc.example") && strings.Contains(m.Header.Get("Subject"), "must-dos this week") {
			digest = m
		}
	}
	box.mu.Unlock()
	if digest == nil {
		t.Fatal("no digest for the practice manager")
	}
	body, _ := io.ReadAll(digest.Body)
	if !strings.Contains(string(body), "Annual electronic practice self-declaration") || !strings.Contains(string(body), "/my-week") {
		t.Errorf("digest:\n%s", body)
	}
	if queued, sent, _ := r.RunOnce(ctx); queued != 0 || sent != 0 {
		t.Errorf("second run: queued %d, sent %d", queued, sent)
	}
	// Before 07:00 the next day, no digest is planned yet.
	now = time.Date(2026, 12, 1, 6, 30, 0, 0, time.UTC)
	if _, _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	out, _, _ := s.Outbox(ctx, nil, 1000)
	for _, m := range out {
		if strings.HasPrefix(m.Key, "digest/2026-12-01") {
			t.Errorf("a digest before 07:00: %s", m.Key)
		}
	}
}
