package nhsfile

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// endless is a reader of one byte for ever: a file of one endless line.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// TestLineLimit: a file holding one enormous line is refused after a
// megabyte, never read into memory (issue 15's bombs reached gigabytes).
func TestLineLimit(t *testing.T) {
	err := EachRecord(io.MultiReader(strings.NewReader("A,B\n1,2\n"), endless('x')), "bomb.csv", func(int, []string) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrLineTooLong) || fe.File != "bomb.csv" || fe.Line != 3 {
		t.Errorf("endless line: %v, want ErrLineTooLong at bomb.csv line 3", err)
	}
	ch := NewChunker(io.MultiReader(strings.NewReader("A,B\n"), endless('y')))
	buf := make([]byte, 0, 1<<20)
	var cerr error
	for i := 0; i < 100 && cerr == nil; i++ {
		_, cerr = ch.Next(buf)
	}
	if !errors.Is(cerr, ErrLineTooLong) {
		t.Errorf("chunker on an endless line: %v, want ErrLineTooLong", cerr)
	}
	// Ordinary files pass, whatever their line ends.
	n := 0
	if err := EachRecord(strings.NewReader("A,B\r\n1,2\r\n3,4"), "ok.csv", func(int, []string) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("an ordinary file: %d records, %v", n, err)
	}
}

// TestZipBomb: a zip entry that expands far beyond what NHS files do is
// refused before it is read.
func TestZipBomb(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("Practice_Level_Crosstab.csv")
	if _, err := io.CopyN(w, endless('a'), 64<<20); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	f.Close()
	called := false
	err = Each(path, func(string, io.Reader, int64) error { called = true; return nil })
	if called || err == nil || !strings.Contains(err.Error(), "zip bomb") {
		t.Errorf("64 MB of one letter zipped: called %v, %v", called, err)
	}
	if err := checkExpansion(5<<20, 150<<20); err != nil {
		t.Errorf("a real month's zip (30 times over): %v", err)
	}
	if err := checkExpansion(1<<30, 5<<30); err == nil {
		t.Error("5 GB expanded passes")
	}
}

// TestExpansionLimit: an entry that yields more than its header declared is
// refused.
func TestExpansionLimit(t *testing.T) {
	r := &expansionLimit{r: endless('z'), left: 10}
	b, err := io.ReadAll(r)
	if len(b) != 10 || err == nil {
		t.Errorf("read %d bytes, %v; want 10 and an error", len(b), err)
	}
}
