package store

import (
	"context"
	"errors"
	"sync"
)

// writer runs SQLite's write transactions one after another on a goroutine
// of its own. SQLite takes one writer at a time; with the connection handed
// from request to request instead, each hand-over waited for the next
// request's goroutine to be scheduled among hundreds, and the connection sat
// idle for two thirds of a month-end rush (bench/rush: a save's transaction
// held it for 1 ms, yet saves queued for 120 ms). Here the next transaction
// starts as soon as the last commits, in the order they were asked for.
type writer struct {
	jobs     chan writeJob
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

type writeJob struct {
	ctx    context.Context
	fn     func() error
	result chan writeResult
}

type writeResult struct {
	err   error
	panic any // fn's panic, raised again on the caller's goroutine
}

var errStoreClosed = errors.New("the database is closed")

func newWriter() *writer {
	w := &writer{jobs: make(chan writeJob), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *writer) loop() {
	for {
		select {
		case job := <-w.jobs:
			w.serve(job)
		case <-w.quit:
			close(w.done)
			return
		}
	}
}

// serve runs one job and sends its result. A panic in the job's function
// goes back to the caller to be raised there; a function that ends its
// goroutine (runtime.Goexit: t.FailNow in a test) is reported, and a new
// goroutine takes the loop over.
func (w *writer) serve(job writeJob) {
	sent := false
	defer func() {
		if sent {
			return
		}
		if p := recover(); p != nil {
			job.result <- writeResult{panic: p}
			return
		}
		job.result <- writeResult{err: errors.New("a write transaction's function ended its goroutine")}
		go w.loop()
	}()
	err := job.ctx.Err() // the caller may have gone while it queued
	if err == nil {
		err = job.fn()
	}
	sent = true
	job.result <- writeResult{err: err}
}

// do runs fn on the writer's goroutine and returns its error.
func (w *writer) do(ctx context.Context, fn func() error) error {
	job := writeJob{ctx: ctx, fn: fn, result: make(chan writeResult, 1)}
	select {
	case w.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errStoreClosed
	}
	res := <-job.result
	if res.panic != nil {
		panic(res.panic) // the value itself, as on PostgreSQL (http.ErrAbortHandler stays itself)
	}
	return res.err
}

// stop ends the writer once the transaction running (if any) is done; it
// may be called more than once.
func (w *writer) stop() {
	w.stopOnce.Do(func() { close(w.quit) })
	<-w.done
}
