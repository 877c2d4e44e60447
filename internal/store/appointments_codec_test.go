package store

import (
	"encoding/binary"
	"testing"

	"github.com/onepc/onepc/internal/access"
)

// encodeCounts packs counts as migration 005 stored them, for tests of the
// migration that reads them back.
func encodeCounts(c *access.Counts) []byte {
	out := make([]byte, 0, 256)
	last := -1
	for i, n := range c {
		if n != 0 {
			out = binary.AppendUvarint(out, uint64(i-last))
			out = binary.AppendUvarint(out, uint64(n))
			last = i
		}
	}
	return out
}

// EncodeCountsForTest packs counts as migration 005 stored them.
func EncodeCountsForTest(c *access.Counts) []byte { return encodeCounts(c) }

func TestDecodeCounts(t *testing.T) {
	var c access.Counts
	c[0], c[7], c[access.Cells-1] = 1, 1<<40, 3
	back, err := decodeCounts(encodeCounts(&c))
	if err != nil || *back != c {
		t.Errorf("counts round trip: %v", err)
	}
	for _, bad := range [][]byte{{0x00, 0x01}, {0x80}, {0x01}, {0xff, 0x03, 0x01}} {
		if _, err := decodeCounts(bad); err == nil {
			t.Errorf("% x decoded without error", bad)
		}
	}
}

// FuzzStoredCounts feeds damaged bytes to the decoder of 005's stored
// counts: an error, never a panic, and what decodes re-encodes the same.
func FuzzStoredCounts(f *testing.F) {
	var c access.Counts
	c[3], c[200] = 9, 12
	f.Add(encodeCounts(&c))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := decodeCounts(b); err == nil {
			if again, err := decodeCounts(encodeCounts(c)); err != nil || *again != *c {
				t.Fatalf("counts do not survive a round trip")
			}
		}
	})
}
