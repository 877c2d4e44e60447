// Package nhsfile reads files as NHS England, NHS Digital and ODS publish them:
// UTF-8 with or without a BOM, or Windows-1252; CRLF or LF; NHS date styles;
// header names with BOMs, trailing spaces and embedded line breaks.
package nhsfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// ErrEncoding reports a file in an encoding NHS files never use (UTF-16, binary).
var ErrEncoding = errors.New("file is not text in UTF-8 or Windows-1252 (is it UTF-16, a spreadsheet or a zip?)")

// EncodingError is a NUL character in what is otherwise text: where it is.
type EncodingError struct{ Line, Column int }

func (e *EncodingError) Error() string {
	return fmt.Sprintf("line %d, column %d: a NUL character, which text never holds (is the file UTF-16, a spreadsheet or a zip?)", e.Line, e.Column)
}

func (e *EncodingError) Unwrap() error { return ErrEncoding }

// NewReader returns a reader yielding UTF-8 text from r. A UTF-8 BOM is
// dropped; bytes that are not valid UTF-8 are read as Windows-1252, the other
// encoding published NHS CSV files use. It streams, holding one buffer.
func NewReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return nil, ErrEncoding
	}
	if i := bytes.IndexByte(head, 0); i > 1 { // past where UTF-16 text has one
		line := bytes.Count(head[:i], []byte{'\n'}) + 1
		return nil, &EncodingError{Line: line, Column: i - bytes.LastIndexByte(head[:i], '\n')}
	} else if i >= 0 {
		return nil, ErrEncoding
	}
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	// Lines ended by a carriage return alone, as Excel for Mac's "CSV
	// (Macintosh)" writes them, read as lines, not as one long line.
	if bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		return crLines{&mixedReader{src: br}}, nil
	}
	return &mixedReader{src: br}, nil
}

// crLines reads each carriage return as a line feed.
type crLines struct{ r io.Reader }

func (c crLines) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// mixedReader passes valid UTF-8 through and maps every invalid byte through
// Windows-1252, so one stray "£" or "é" in an otherwise UTF-8 file still reads right.
type mixedReader struct {
	src     *bufio.Reader
	pending []byte // decoded bytes not yet returned
}

var cp1252 = charmap.Windows1252

func (m *mixedReader) Read(p []byte) (int, error) {
	// Fast path: hand over a run of plain ASCII straight from the buffer.
	if len(m.pending) == 0 && len(p) > 0 {
		if m.src.Buffered() == 0 {
			if _, err := m.src.Peek(1); err != nil {
				return 0, err
			}
		}
		chunk, _ := m.src.Peek(min(m.src.Buffered(), len(p)))
		i := 0
		for i < len(chunk) && chunk[i] < utf8.RuneSelf && chunk[i] != 0 {
			i++
		}
		if i > 0 {
			copy(p, chunk[:i])
			m.src.Discard(i)
			return i, nil
		}
	}
	n := 0
	for n < len(p) {
		if len(m.pending) > 0 {
			c := copy(p[n:], m.pending)
			m.pending = m.pending[c:]
			n += c
			continue
		}
		b, err := m.src.ReadByte()
		if err != nil {
			if n > 0 && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		if b == 0 {
			return n, ErrEncoding
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		m.src.UnreadByte()
		head, _ := m.src.Peek(utf8.UTFMax)
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size <= 1 {
			m.src.ReadByte()
			r = cp1252.DecodeByte(b)
			m.pending = utf8.AppendRune(m.pending[:0], r)
			continue
		}
		raw := make([]byte, size)
		io.ReadFull(m.src, raw)
		m.pending = append(m.pending[:0], raw...)
	}
	return n, nil
}
