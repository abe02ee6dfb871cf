// Package background runs a function once, in its own goroutine, and
// keeps its result for whoever waits. The installer starts slow work
// (hashing the runtime UKI, looking at the disks, reading the payload)
// when it suits the screen and waits for it only when it needs it; an
// install reads the disk back while it goes on writing.
package background

import "sync"

// Job is a function run once in the background.
type Job struct {
	once sync.Once
	done chan struct{}
	f    func() error
	err  error
}

// Later returns a Job for f that runs at its first Start or Wait.
func Later(f func() error) *Job { return &Job{done: make(chan struct{}), f: f} }

// Go returns a Job for f, already started.
func Go(f func() error) *Job {
	j := Later(f)
	j.Start()
	return j
}

// Start runs f in the background unless it has started.
func (j *Job) Start() {
	j.once.Do(func() {
		go func() {
			defer close(j.done)
			j.err = j.f()
		}()
	})
}

// Wait starts f if need be and returns its result, as often as asked.
func (j *Job) Wait() error {
	j.Start()
	<-j.done
	return j.err
}
