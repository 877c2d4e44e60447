package nhsfile

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
	"unicode/utf8"
)

// Chunker cuts CSV text into chunks of whole records, so that several
// goroutines can parse one large file at once. A line end is a record's end
// only outside quotes: a quoted field may hold line breaks.
type Chunker struct {
	r       io.Reader
	carry   []byte // the start of a record that did not fit the last chunk
	started bool
	done    bool
}

// maxChunk bounds a chunk that has no record end in it (a quote never
// closed): past it the chunk is handed over as it is, and parsing it reports
// the unclosed quote rather than reading the rest of the file into memory.
const maxChunk = 64 << 20

// NewChunker reads CSV from r, which need not be decoded: chunks are decoded
// by DecodeChunk where they are parsed.
func NewChunker(r io.Reader) *Chunker { return &Chunker{r: &lineLimit{r: r}} }

// Next fills buf (its capacity is the chunk size wanted; it grows only for a
// record longer than that) with whole records and returns them, or io.EOF
// after the last. The first chunk has any UTF-8 byte order mark removed, and
// a file in UTF-16 or holding NUL bytes is ErrEncoding.
func (c *Chunker) Next(buf []byte) ([]byte, error) {
	if c.done {
		return nil, io.EOF
	}
	size := cap(buf)
	if size == 0 {
		size = 1 << 20
	}
	buf = append(buf[:0], c.carry...)
	c.carry = c.carry[:0]
	if !c.started {
		size = max(size, 4) // room to see a byte order mark whole
	}
	for size <= len(buf) {
		size *= 2
	}
	for {
		if cap(buf) < size {
			buf = append(buf[:cap(buf)], make([]byte, size-cap(buf))...)[:len(buf)]
		}
		n, err := fill(c.r, buf[len(buf):size])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			c.done = true
		} else if err != nil {
			return nil, err
		}
		if !c.started {
			c.started = true
			if bytes.HasPrefix(buf, []byte{0xFF, 0xFE}) || bytes.HasPrefix(buf, []byte{0xFE, 0xFF}) {
				return nil, ErrEncoding
			}
			buf = bytes.TrimPrefix(buf, []byte{0xEF, 0xBB, 0xBF})
		}
		if bytes.IndexByte(buf, 0) >= 0 {
			return nil, ErrEncoding
		}
		if c.done {
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, nil
		}
		if end := lastRecordEnd(buf); end > 0 {
			c.carry = append(c.carry, buf[end:]...)
			return buf[:end], nil
		}
		if size >= maxChunk {
			return buf, nil
		}
		size *= 2
	}
}

// fill reads into b until it is full or r ends (io.EOF). Unlike
// io.ReadFull it passes on every other error as it is, io.ErrUnexpectedEOF
// from a cut-short zip included, so a broken stream is never taken for the
// end of the file.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// lastRecordEnd is the position just after the last line end in b that lies
// outside quotes (an even number of quotes before it), or 0.
func lastRecordEnd(b []byte) int {
	before := bytes.Count(b, []byte{'"'}) // quotes before position prev
	prev := len(b)
	for i := bytes.LastIndexByte(b, '\n'); i >= 0; i = bytes.LastIndexByte(b[:i], '\n') {
		if before > 0 {
			before -= bytes.Count(b[i:prev], []byte{'"'})
			prev = i
		}
		if before%2 == 0 {
			return i + 1
		}
	}
	return 0
}

// DecodeChunk returns chunk as UTF-8: as it is when it is ASCII or valid
// UTF-8 (nearly always), otherwise with every byte that is not UTF-8 read as
// Windows-1252, as NewReader does.
func DecodeChunk(chunk []byte) []byte {
	if isASCII(chunk) || utf8.Valid(chunk) {
		return chunk
	}
	out := make([]byte, 0, len(chunk)+len(chunk)/8)
	for len(chunk) > 0 {
		r, size := utf8.DecodeRune(chunk)
		if r == utf8.RuneError && size <= 1 {
			out = utf8.AppendRune(out, cp1252.DecodeByte(chunk[0]))
		} else {
			out = append(out, chunk[:size]...)
		}
		chunk = chunk[size:]
	}
	return out
}

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|
			uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Records reads the records of one chunk in order, as encoding/csv would
// (empty lines skipped, a CR before a line end dropped, quoted fields
// unquoted), without copying: fields point into the chunk. Only records
// holding a quote take the slower, copying path.
type Records struct {
	data   []byte
	line   int // lines of the chunk consumed so far
	fields [][]byte
}

// NewRecords reads data, a chunk of whole records.
func NewRecords(data []byte) *Records { return &Records{data: data} }

// Next returns the next record and the chunk line (1-based) it starts on;
// io.EOF at the end. Fields are valid until the next call. A CSV syntax
// error is a FileError with the chunk's line and column (File empty: the
// caller knows the file and where the chunk starts).
func (rs *Records) Next() (fields [][]byte, line int, err error) {
	for len(rs.data) > 0 {
		whole := rs.data
		nl := bytes.IndexByte(rs.data, '\n')
		var rec []byte
		if nl < 0 {
			rec, rs.data = rs.data, nil
		} else {
			rec, rs.data = rs.data[:nl], rs.data[nl+1:]
		}
		rs.line++
		if bytes.IndexByte(rec, '"') >= 0 {
			return rs.quoted(whole)
		}
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
		if len(rec) == 0 {
			continue
		}
		rs.fields = splitCommas(rs.fields[:0], rec)
		return rs.fields, rs.line, nil
	}
	return nil, 0, io.EOF
}

// quoted reads a record holding a quote, from the start of whole, with
// encoding/csv: its lines run on until the quotes balance (a quoted field
// may hold line breaks), as they do for encoding/csv.
func (rs *Records) quoted(whole []byte) ([][]byte, int, error) {
	start := rs.line
	n, quotes := 0, 0
	for {
		end := len(whole)
		if nl := bytes.IndexByte(whole[n:], '\n'); nl >= 0 {
			end = n + nl + 1
		}
		if n > 0 {
			rs.line++
		}
		quotes += bytes.Count(whole[n:end], []byte{'"'})
		n = end
		if quotes%2 == 0 || n == len(whole) {
			break
		}
	}
	rec := whole[:n]
	rs.data = whole[n:]
	cr := csv.NewReader(bytes.NewReader(rec))
	cr.FieldsPerRecord = -1
	strs, err := cr.Read()
	if err == nil {
		// One record is all rec can hold; anything after it means the
		// quotes were not what they seemed.
		if _, err = cr.Read(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("text after a closing quote")
		}
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, csvError(pe, start-1)
		}
		return nil, 0, &FileError{Line: start, Err: err}
	}
	rs.fields = rs.fields[:0]
	for _, s := range strs {
		rs.fields = append(rs.fields, []byte(s))
	}
	return rs.fields, start, nil
}

// Lines is how many lines of the chunk have been read.
func (rs *Records) Lines() int { return rs.line }

// splitCommas appends rec's comma-separated fields to fields, looking at
// eight bytes at a time (fields are short: one call each would cost more).
func splitCommas(fields [][]byte, rec []byte) [][]byte {
	const low7s, commas uint64 = 0x7F7F7F7F7F7F7F7F, ',' * 0x0101010101010101
	start, i := 0, 0
	for ; i+8 <= len(rec); i += 8 {
		x := binary.LittleEndian.Uint64(rec[i:]) ^ commas // a comma becomes a zero byte
		// The high bit of each byte that is zero, exactly (no borrow
		// between bytes, unlike the shorter (x-ones)&^x&highs).
		m := ^((x&low7s + low7s) | x | low7s)
		for m != 0 {
			at := i + bits.TrailingZeros64(m)/8
			fields = append(fields, rec[start:at])
			start = at + 1
			m &= m - 1
		}
	}
	for ; i < len(rec); i++ {
		if rec[i] == ',' {
			fields = append(fields, rec[start:i])
			start = i + 1
		}
	}
	return append(fields, rec[start:])
}
