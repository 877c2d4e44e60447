package audit

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Entry {
	prev := Genesis
	var out []Entry
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: time.Date(2026, 1, 1, 9, 0, i, 123456000, time.UTC), Actor: "a@example.org",
			Action: "org.save", Entity: "org", EntityID: "A1", After: Marshal(map[string]int{"n": i}), PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestVerifier(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]Entry) []Entry
		wantSeq int64 // 0 for a sound chain
	}{
		{"sound", func(e []Entry) []Entry { return e }, 0},
		{"edited", func(e []Entry) []Entry { e[2].Actor = "intruder"; return e }, 3},
		{"edited JSON", func(e []Entry) []Entry { e[1].After = []byte(`{"n":99}`); return e }, 2},
		{"deleted", func(e []Entry) []Entry { return append(e[:1], e[2:]...) }, 3},
		{"rehashed but not relinked", func(e []Entry) []Entry { e[1].Actor = "x"; e[1].Hash = e[1].ComputeHash(); return e }, 3},
		{"JSON reformatted", func(e []Entry) []Entry { e[0].After = []byte(`{ "n" : 1 }`); return e }, 0},
	}
	for _, tc := range tests {
		v := NewVerifier()
		var err error
		for _, e := range tc.tamper(chain(4)) {
			if err = v.Check(e); err != nil {
				break
			}
		}
		var b Break
		switch {
		case tc.wantSeq == 0 && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantSeq != 0 && (!errors.As(err, &b) || b.Seq != tc.wantSeq):
			t.Errorf("%s: got %v, want a break at %d", tc.name, err, tc.wantSeq)
		}
	}
}

func TestWords(t *testing.T) {
	e := Entry{Action: "claim.approve", Entity: "claim", EntityID: "42",
		Before: json.RawMessage(`{"status":"submitted","pence":2500,"activity":{"n":1},"message":""}`),
		After:  json.RawMessage(`{"status":"finance_approved","pence":2500,"activity":{"n":2},"message":"ok","approved_by":"comm@x"}`)}
	if got := e.Words(); got != "approved claim 42" {
		t.Errorf("words: %q", got)
	}
	got := e.Changes(10)
	// A record of plain values is worded (it read "(a list or record)").
	want := []string{"activity: n 1 → n 2", "approved by: comm@x", "message: (none) → ok", "status: submitted → finance_approved"}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%q\nwant\n%q", got, want)
	}
	for raw, want := range map[string]string{
		`{"inr_tests":12,"visits":3}`: "inr tests 12, visits 3",
		`["Y00001","Y00002"]`:         "Y00001, Y00002",
		`{"a":{"b":1}}`:               "(a list or record)",
		`{}`:                          "(none)",
		`{"note":"` + strings.Repeat("x", 80) + `"}`: "note " + strings.Repeat("x", 54) + "…",
	} {
		if got := short(json.RawMessage(raw)); got != want {
			t.Errorf("short(%s) = %q, want %q", raw, got, want)
		}
	}
	if got := e.Changes(2); len(got) != 3 || got[2] != "and 2 more" {
		t.Errorf("at most 2: %q", got)
	}
	if got := (Entry{Action: "frob.nicate", Entity: "thing", EntityID: "7"}).Words(); got != "frob nicate thing 7" {
		t.Errorf("an action with no words: %q", got)
	}
}
