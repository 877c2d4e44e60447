// Package audit defines OnePC's append-only audit log: every write records
// who did what, when, and the values before and after, and each entry
// carries the hash of the one before it so that any edit or deletion shows.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Entry is one write. Before and After are JSON (null when the thing did not
// exist before, or no longer exists after).
type Entry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`  // user email, or "cli:<os user>" for commands
	Action   string          `json:"action"` // e.g. "org.import", "user.grant"
	Entity   string          `json:"entity"` // e.g. "org", "user"
	EntityID string          `json:"entity_id"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Genesis is the previous hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the entry's hash over its sequence number, time (to the
// microsecond, as both databases keep it), fields and previous hash.
func (e Entry) ComputeHash() string {
	h := sha256.New()
	for _, part := range []string{
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		e.Actor, e.Action, e.Entity, e.EntityID,
		string(canonical(e.Before)), string(canonical(e.After)),
		e.PrevHash,
	} {
		// Length-prefix every part so that no two entries hash alike by
		// moving text between fields.
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonical re-encodes JSON so that PostgreSQL's jsonb-free text and SQLite
// give the same bytes; nil stays empty.
func canonical(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// Marshal encodes a before or after value; nil gives nil.
func Marshal(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("audit: cannot encode %T: %v", v, err))
	}
	if string(b) == "null" {
		return nil
	}
	return b
}

// Break describes where a chain stops being consistent.
type Break struct {
	Seq    int64
	Reason string
}

func (b Break) Error() string { return fmt.Sprintf("audit log entry %d: %s", b.Seq, b.Reason) }

// Verifier checks entries fed to it in sequence order.
type Verifier struct {
	prevHash string
	prevSeq  int64
	Checked  int
}

// NewVerifier starts a check at the genesis of the chain.
func NewVerifier() *Verifier { return &Verifier{prevHash: Genesis} }

// Check returns a Break if e does not follow the entries already checked.
func (v *Verifier) Check(e Entry) error {
	switch {
	case e.Seq != v.prevSeq+1:
		return Break{e.Seq, fmt.Sprintf("follows entry %d: entries are missing", v.prevSeq)}
	case e.PrevHash != v.prevHash:
		return Break{e.Seq, "its previous hash does not match the entry before it"}
	case e.ComputeHash() != e.Hash:
		return Break{e.Seq, "its contents do not match its hash: it was changed after it was written"}
	}
	v.prevHash, v.prevSeq = e.Hash, e.Seq
	v.Checked++
	return nil
}
