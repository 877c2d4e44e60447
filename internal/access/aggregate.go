package access

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/onepc/onepc/internal/nhsfile"
)

// Aggregate reads a practice-level appointments file and adds up its counts
// per practice and month (over national category, which no measure uses).
// The file is cut into chunks of whole records that several goroutines
// parse at once; their sums are merged and handed to emit in batches of at
// most opt.Batch practice-months, sorted by practice and month, so memory is
// bounded however large the file. A practice-month may come in more than
// one batch (its rows fell either side of a batch); emit adds them up.
//
// A missing column, an unknown vocabulary value, a bad date or a count that
// is not a number stops the read with the file, line, column and field of
// the first such problem in the file.
func Aggregate(r io.Reader, file string, opt Options, emit func([]PracticeMonth) error) (Summary, error) {
	opt = opt.withDefaults()
	ch := nhsfile.NewChunker(r)
	first, err := ch.Next(make([]byte, 0, opt.ChunkSize))
	if err == io.EOF {
		return Summary{}, &nhsfile.FileError{File: file, Err: errEmpty}
	}
	if err != nil {
		return Summary{}, &nhsfile.FileError{File: file, Err: err}
	}
	first = nhsfile.DecodeChunk(first)
	head, _, err := nhsfile.NewRecords(first).Next()
	if err == io.EOF {
		return Summary{}, &nhsfile.FileError{File: file, Err: errEmpty}
	}
	if err != nil {
		return Summary{}, inFile(err, file, 0)
	}
	cols, err := readHeader(head, file)
	if err != nil {
		return Summary{}, err
	}

	a := &aggregation{cols: cols, file: file, opt: opt, emit: emit, sums: map[key]*Counts{}, practices: map[string]Practice{}}
	sum, err := a.run(ch, first)
	if err != nil {
		return sum, err
	}
	if sum.Rows == 0 {
		return sum, &nhsfile.FileError{File: file, Err: errNoRows}
	}
	return sum, nil
}

// errNoRows and errEmpty are a file with nothing to load.
var (
	errEmpty  = errors.New("is empty")
	errNoRows = errors.New("has a header but no rows")
)

// Options tunes Aggregate; the zero value is right for the command line.
type Options struct {
	Workers   int              // goroutines parsing at once; 0: one per CPU
	ChunkSize int              // bytes a goroutine parses at a time; 0: 1 MB
	Batch     int              // practice-months held before emit is called; 0: 2,048
	Progress  func(rows int64) // hears the rows read so far, now and then
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 1 << 20
	}
	if o.Batch <= 0 {
		o.Batch = 2048
	}
	return o
}

// MaxPractices bounds the practices one file may name (England has about
// 6,300): the file's practices are held in memory while it is read.
const MaxPractices = 50_000

// aggregation is one Aggregate call: chunks go out to workers, their sums
// come back and are merged on the caller's goroutine, and full batches go
// to one writer goroutine that calls emit, so that merging goes on while a
// batch is written. emit is never called after Aggregate returns.
type aggregation struct {
	cols      *columns
	file      string
	opt       Options
	emit      func([]PracticeMonth) error
	sums      map[key]*Counts
	practices map[string]Practice
	batches   chan []PracticeMonth
	writeErr  atomic.Pointer[error] // emit's error, once it has failed
}

type job struct {
	seq     int
	data    []byte
	buf     []byte // to give back when done
	decoded bool   // data is UTF-8 already
}

type result struct {
	seq       int
	lines     int
	rows      int64
	blank     int64
	counts    map[key]*Counts
	practices map[string]Practice
	err       error
}

func (a *aggregation) run(ch *nhsfile.Chunker, first []byte) (Summary, error) {
	jobs := make(chan job, a.opt.Workers)
	results := make(chan result, a.opt.Workers)
	free := make(chan []byte, 2*a.opt.Workers+1)
	stop := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	a.batches = make(chan []PracticeMonth, 1)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for b := range a.batches {
			if a.writeErr.Load() == nil {
				if err := a.emit(b); err != nil {
					a.writeErr.Store(&err)
				}
			}
		}
	}()
	// finish hands over what is left (unless the read failed) and waits
	// for the writer.
	finish := func(flush bool) error {
		if flush {
			a.flush()
		}
		close(a.batches)
		<-written
		if err := a.writeErr.Load(); err != nil {
			return *err
		}
		return nil
	}

	// The reader hands out chunks in file order until the file ends or a
	// problem stops it.
	go func() {
		defer close(jobs)
		jobs <- job{seq: 0, data: first, decoded: true}
		for seq := 1; ; seq++ {
			var buf []byte
			select {
			case buf = <-free:
			default:
				buf = make([]byte, 0, a.opt.ChunkSize)
			}
			data, err := ch.Next(buf)
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = err
				return
			}
			select {
			case jobs <- job{seq: seq, data: data, buf: data}:
			case <-stop:
				return
			}
		}
	}()
	for range a.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- a.parseChunk(j)
				if j.buf != nil {
					select {
					case free <- j.buf[:0]:
					default:
					}
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var sum Summary
	lines := map[int]int{}
	var firstErr error
	errSeq := -1
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
		}
	}
	for res := range results {
		lines[res.seq] = res.lines
		if res.err != nil {
			if errSeq < 0 || res.seq < errSeq {
				firstErr, errSeq = res.err, res.seq
			}
			halt()
			continue
		}
		if firstErr != nil {
			continue
		}
		sum.Rows += res.rows
		sum.Blank += res.blank
		if a.opt.Progress != nil {
			a.opt.Progress(sum.Rows)
		}
		if err := a.merge(res); err != nil {
			firstErr, errSeq = err, -1
			halt()
		}
	}
	if firstErr == nil && readErr != nil {
		finish(false)
		return sum, &nhsfile.FileError{File: a.file, Err: readErr}
	}
	if firstErr != nil {
		finish(false)
		if errSeq < 0 {
			return sum, firstErr
		}
		base := 0
		for s := range errSeq {
			base += lines[s]
		}
		return sum, inFile(firstErr, a.file, base)
	}
	return sum, finish(true)
}

// parseChunk sums one chunk's rows.
func (a *aggregation) parseChunk(j job) result {
	p := chunkParser{cols: a.cols, file: a.file, counts: map[key]*Counts{}, practices: map[string]Practice{}, dims: a.cols.dimensions()}
	data := j.data
	if !j.decoded {
		data = nhsfile.DecodeChunk(data)
	}
	rs := nhsfile.NewRecords(data)
	if j.seq == 0 {
		rs.Next() // the header, read already
	}
	res := result{seq: j.seq}
	for {
		rec, line, err := rs.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = p.row(rec, line)
		}
		if err != nil {
			res.err = err
			break
		}
	}
	res.lines, res.rows, res.blank, res.counts, res.practices = rs.Lines(), p.rows, p.blank, p.counts, p.practices
	return res
}

func (a *aggregation) merge(res result) error {
	for k, c := range res.counts {
		if have, ok := a.sums[k]; ok {
			have.Add(c)
		} else {
			a.sums[k] = c
		}
	}
	for code, p := range res.practices {
		if _, ok := a.practices[code]; !ok {
			a.practices[code] = p
		}
	}
	if len(a.practices) > MaxPractices {
		return &nhsfile.FileError{File: a.file, Err: fmt.Errorf("names more than %d practices, far more than England has: it is refused", MaxPractices)}
	}
	if len(a.sums) >= a.opt.Batch {
		a.flush()
	}
	if err := a.writeErr.Load(); err != nil {
		return *err
	}
	return nil
}

func (a *aggregation) flush() {
	if len(a.sums) == 0 {
		return
	}
	batch := make([]PracticeMonth, 0, len(a.sums))
	for k, c := range a.sums {
		batch = append(batch, PracticeMonth{Practice: a.practices[k.code], Month: k.month, Counts: c})
	}
	slices.SortFunc(batch, func(x, y PracticeMonth) int {
		return cmp.Or(cmp.Compare(x.Practice.Code, y.Practice.Code), x.Month.Compare(y.Month))
	})
	clear(a.sums)
	a.batches <- batch
}

// inFile names the file in a chunk's error and moves its line on by the
// lines of the chunks before it.
func inFile(err error, file string, base int) error {
	var fe *nhsfile.FileError
	if errors.As(err, &fe) {
		fe.File = file
		if fe.Line > 0 {
			fe.Line += base
		}
		return fe
	}
	return &nhsfile.FileError{File: file, Err: err}
}
