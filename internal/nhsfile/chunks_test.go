package nhsfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// chunked reads data as the parallel importers do: in chunks of size bytes,
// each decoded and split into records, with lines counted across chunks.
func chunked(data []byte, size int) ([]string, error) {
	var out []string
	ch := NewChunker(bytes.NewReader(data))
	base := 0
	for {
		chunk, err := ch.Next(make([]byte, 0, size))
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rs := NewRecords(DecodeChunk(chunk))
		for {
			rec, line, err := rs.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var fe *FileError
				if errors.As(err, &fe) {
					fe.Line += base
				}
				return out, err
			}
			out = append(out, fmt.Sprintf("%d:%q", base+line, rec))
		}
		base += rs.Lines()
	}
}

// whole reads data with EachRecord (encoding/csv), the reference.
func whole(data []byte) ([]string, error) {
	var out []string
	err := EachRecord(bytes.NewReader(data), "", func(line int, rec []string) error {
		b := make([][]byte, len(rec))
		for i, s := range rec {
			b[i] = []byte(s)
		}
		out = append(out, fmt.Sprintf("%d:%q", line, b))
		return nil
	})
	return out, err
}

func TestChunkedMatchesEncodingCSV(t *testing.T) {
	tests := []string{
		"a,b,c\r\n1,2,3\r\n",
		"a,b\n\n\r\n1,2",
		"\xEF\xBB\xBFh1,h2\nx,\"y, z\"\n",
		"h\n\"two\nlines\",x\nnext,row\n",
		"h\n\"say \"\"hi\"\"\",1\n",
		"h\nnaïve,caf\xe9\n", // UTF-8 and a Windows-1252 byte in one file
		"h\r\nlast\r",
		"h\nbare\"quote,1\nx\n",
		"h\n\"unclosed,1\nx\ny\n",
		"h\n\"a\"b,1\n",
	}
	for _, in := range tests {
		want, wantErr := whole([]byte(in))
		for _, size := range []int{1, 3, 8, 1 << 20} {
			got, err := chunked([]byte(in), size)
			if (err == nil) != (wantErr == nil) || (err != nil && !sameLine(err, wantErr)) {
				t.Errorf("%q in chunks of %d: error %v, want %v", in, size, err, wantErr)
				continue
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%q in chunks of %d:\n got %v\nwant %v", in, size, got, want)
			}
		}
	}
}

func sameLine(a, b error) bool {
	if errors.Is(a, ErrEncoding) || errors.Is(b, ErrEncoding) {
		return true // a NUL byte: both refuse the file, perhaps after different records
	}
	var fa, fb *FileError
	if !errors.As(a, &fa) || !errors.As(b, &fb) {
		return false
	}
	return fa.Line == fb.Line
}

func TestChunkerRefusesUTF16(t *testing.T) {
	_, err := NewChunker(bytes.NewReader([]byte("\xFF\xFEh\x00"))).Next(nil)
	if !errors.Is(err, ErrEncoding) {
		t.Errorf("UTF-16: %v", err)
	}
}

func TestChunksEndOnRecords(t *testing.T) {
	in := "h\n\"a\nb\",1\nc,2\n"
	ch := NewChunker(strings.NewReader(in))
	var parts []string
	for {
		c, err := ch.Next(make([]byte, 0, 4))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(c))
	}
	if want := []string{"h\n", "\"a\nb\",1\n", "c,2\n"}; strings.Join(parts, "|") != strings.Join(want, "|") {
		t.Errorf("chunks %q, want %q", parts, want)
	}
}

// FuzzChunked checks the chunked reader against encoding/csv: the same
// records on the same lines, and an error where encoding/csv has one.
func FuzzChunked(f *testing.F) {
	f.Add([]byte("a,b\r\n\"x\ny\",2\n"), uint8(3))
	f.Add([]byte("h\n\"q\"\"q\",1\nbad\"q\n"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		want, wantErr := whole(data)
		got, err := chunked(data, int(size)+1)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, encoding/csv %v", err, wantErr)
		}
		if err != nil {
			if !sameLine(err, wantErr) {
				t.Fatalf("error %v, encoding/csv %v", err, wantErr)
			}
			return
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	})
}

// TestSplitCommas compares the eight-bytes-at-a-time splitter with
// bytes.Split on every placement of commas in short records, with the
// bytes next to ',' in value ('+', '-') that fool the shorter zero-byte test.
func TestSplitCommas(t *testing.T) {
	for n := 0; n <= 19; n++ {
		for mask := 0; mask < 1<<min(n, 12); mask++ {
			rec := make([]byte, n)
			for i := range rec {
				rec[i] = "-+a"[i%3]
				if mask>>(i%12)&1 == 1 {
					rec[i] = ','
				}
			}
			got := splitCommas(nil, rec)
			want := bytes.Split(rec, []byte{','})
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("%q: %q, want %q", rec, got, want)
			}
		}
	}
}

// brokenReader yields its text, then an error that is not the end of it.
type brokenReader struct {
	text string
	err  error
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.text == "" {
		return 0, b.err
	}
	n := copy(p, b.text)
	b.text = b.text[n:]
	return n, nil
}

func TestChunkerPassesOnBrokenStreams(t *testing.T) {
	for _, cause := range []error{io.ErrUnexpectedEOF, errors.New("zip: checksum error")} {
		ch := NewChunker(&brokenReader{"a,b\n1,2\n3,", cause})
		var err error
		for err == nil {
			_, err = ch.Next(make([]byte, 0, 4))
		}
		if !errors.Is(err, cause) {
			t.Errorf("a stream failing with %v ended with %v", cause, err)
		}
	}
}
