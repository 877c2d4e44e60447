package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onepc/onepc/internal/numfmt"
)

// progress reports an import as it runs: a bar redrawn in place on a
// terminal, plain log lines every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	name  string
	size  int64
	read  atomic.Int64
	rows  atomic.Int64
	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func startProgress(w io.Writer, name string, size int64) *progress {
	p := &progress{w: w, tty: isTerminal(w), name: name, size: size, start: time.Now(), stop: make(chan struct{})}
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.print(false)
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// reader counts the bytes read through it.
func (p *progress) reader(r io.Reader) io.Reader { return &countingReader{r: r, n: &p.read} }

// setRows records rows parsed so far.
func (p *progress) setRows(n int) { p.rows.Store(int64(n)) }

func (p *progress) print(final bool) {
	secs := max(time.Since(p.start).Seconds(), 0.001)
	rows, read := p.rows.Load(), p.read.Load()
	pct := 0.0
	if p.size > 0 {
		pct = min(100, 100*float64(read)/float64(p.size))
	}
	if final {
		pct = 100
	}
	line := fmt.Sprintf("%s %5.1f%% %s rows %s rows/s %.1f MB/s", p.name, pct, numfmt.Count(rows),
		numfmt.Count(int64(float64(rows)/secs)), float64(read)/secs/1e6)
	if p.tty {
		const width = 24
		filled := int(pct / 100 * width)
		bar := "[" + repeat('#', filled) + repeat('.', width-filled) + "] "
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r%s%s\033[K%s", bar, line, end)
		return
	}
	fmt.Fprintln(p.w, line)
}

// finish stops the reports and prints the last one.
func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	p.print(true)
}

// fail ends the report of an import that was refused: where it stopped,
// never "100%".
func (p *progress) fail() {
	close(p.stop)
	p.done.Wait()
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s refused after %s rows: nothing from it was loaded\n", p.name, numfmt.Count(p.rows.Load()))
		return
	}
	fmt.Fprintf(p.w, "%s refused after %s rows: nothing from it was loaded\n", p.name, numfmt.Count(p.rows.Load()))
}

func repeat(c byte, n int) string {
	b := make([]byte, max(n, 0))
	for i := range b {
		b[i] = c
	}
	return string(b)
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
