package nhsfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits that keep a hostile file from exhausting memory or disk. NHS
// England's files sit far inside them: a line is a few hundred bytes, a
// national month of appointments 160 MB and a year about 2 GB, and its zips
// expand some 30 times.
const (
	MaxLineBytes      = 1 << 20 // one line (or one record) of a CSV file
	MaxExpandedBytes  = 4 << 30 // one file, uncompressed
	MaxExpansionRatio = 200     // uncompressed size ÷ compressed size of a zip entry
)

// ErrLineTooLong is a line longer than MaxLineBytes.
var ErrLineTooLong = errors.New("has a line longer than 1 MB, which no NHS file has: it is refused whole")

// lineLimit passes r through, failing with ErrLineTooLong (and the line it
// was on) as soon as a line runs past MaxLineBytes, so a file holding one
// enormous line is refused after a megabyte rather than read into memory.
type lineLimit struct {
	r    io.Reader
	run  int // bytes since the last line end
	line int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += len(b)
			break
		}
		if l.run += i; l.run > MaxLineBytes {
			break
		}
		l.run, l.line, b = 0, l.line+1, b[i+1:]
	}
	if l.run > MaxLineBytes {
		return 0, &FileError{Line: l.line + 1, Err: ErrLineTooLong}
	}
	return n, err
}

// expansionLimit passes a zip entry through, failing once more comes out
// than the entry's header declared (a header can lie about its size).
type expansionLimit struct {
	r    io.Reader
	left int64
}

func (e *expansionLimit) Read(p []byte) (int, error) {
	if e.left <= 0 {
		var one [1]byte
		if n, _ := e.r.Read(one[:]); n > 0 {
			return 0, errors.New("expands to more than its zip header says: it is refused as damaged or hostile")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	return n, err
}

// checkExpansion refuses a zip entry that would expand past the limits.
func checkExpansion(compressed, uncompressed uint64) error {
	switch {
	case uncompressed > MaxExpandedBytes:
		return fmt.Errorf("expands to %d MB, more than the %d MB an NHS file takes: it is refused", uncompressed>>20, MaxExpandedBytes>>20)
	case uncompressed > 1<<20 && uncompressed/max(compressed, 1) > MaxExpansionRatio:
		return fmt.Errorf("expands %d times over, far more than an NHS file does (at most %d): it is refused as a zip bomb",
			uncompressed/max(compressed, 1), MaxExpansionRatio)
	}
	return nil
}
