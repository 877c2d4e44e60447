package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Checkpoint anchors the log's head outside the database: the last entry's
// number and hash at a moment, signed with a key the database does not hold.
// Kept elsewhere (exported, mailed, printed), it lets a later check see what
// the chain alone cannot: entries deleted from the end, or a whole chain
// recomputed after an edit.
type Checkpoint struct {
	Seq  int64
	Hash string
	At   time.Time
	MAC  string // HMAC-SHA256 of the rest under the key; "" when made without one
}

const checkpointPrefix = "onepc-audit-checkpoint v1"

// NewCheckpoint signs the head (seq, hash) at a moment with key (none: unsigned).
func NewCheckpoint(seq int64, hash string, at time.Time, key []byte) Checkpoint {
	cp := Checkpoint{Seq: seq, Hash: hash, At: at.UTC().Truncate(time.Second)}
	if len(key) > 0 {
		cp.MAC = cp.mac(key)
	}
	return cp
}

func (cp Checkpoint) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%d:%s:%s", cp.Seq, cp.Hash, cp.At.Format(time.RFC3339))
	return hex.EncodeToString(m.Sum(nil))
}

// String writes a checkpoint as one line, to keep and compare.
func (cp Checkpoint) String() string {
	return fmt.Sprintf("%s seq=%d hash=%s at=%s mac=%s", checkpointPrefix, cp.Seq, cp.Hash, cp.At.Format(time.RFC3339), cp.MAC)
}

// ParseCheckpoint reads a line String wrote.
func ParseCheckpoint(line string) (Checkpoint, error) {
	var cp Checkpoint
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), checkpointPrefix+" ")
	if !ok {
		return cp, errors.New("is not an OnePC audit checkpoint")
	}
	for _, kv := range strings.Fields(rest) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "seq":
			cp.Seq, err = strconv.ParseInt(v, 10, 64)
		case "hash":
			cp.Hash = v
		case "at":
			cp.At, err = time.Parse(time.RFC3339, v)
		case "mac":
			cp.MAC = v
		}
		if err != nil {
			return cp, fmt.Errorf("checkpoint %s: %w", k, err)
		}
	}
	if cp.Seq < 0 || len(cp.Hash) != 64 {
		return cp, errors.New("checkpoint has no entry number or hash")
	}
	return cp, nil
}

// Authentic reports whether the checkpoint was signed with key (true for an
// unsigned one when no key is given).
func (cp Checkpoint) Authentic(key []byte) bool {
	if len(key) == 0 {
		return cp.MAC == ""
	}
	return hmac.Equal([]byte(cp.MAC), []byte(cp.mac(key)))
}

// Holds reports whether a verified chain still holds a checkpoint: the
// entry it names is there (nothing was deleted from the end), with the
// hash it had then (nothing was recomputed). hashes maps the chain's
// entries' numbers to their hashes.
func (cp Checkpoint) Holds(checked int64, hashOf func(seq int64) (string, bool)) error {
	if cp.Seq == 0 {
		return nil // the empty log: nothing to hold
	}
	if checked < cp.Seq {
		return Break{cp.Seq, fmt.Sprintf("a checkpoint of %s recorded entry %d, but the log now ends at %d: entries were deleted from its end", cp.At.Format("2 Jan 2006 15:04"), cp.Seq, checked)}
	}
	if h, ok := hashOf(cp.Seq); !ok || h != cp.Hash {
		return Break{cp.Seq, fmt.Sprintf("a checkpoint of %s recorded another hash for it: the chain was rewritten since", cp.At.Format("2 Jan 2006 15:04"))}
	}
	return nil
}
