package main

import (
	"bytes"
	"fmt"
	"sync"
	"time"
)

// journalLimit bounds the installer's own log kept for Export logs.
const journalLimit = 4 << 20

// journal keeps what the installer said (log lines and events) in
// memory: the installer has no writable disk of its own, and this is
// what goes into the log bundle.
type journal struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	start time.Time
}

func newJournal() *journal { return &journal{start: time.Now()} }

// Write records event lines (it sits behind the event emitter).
func (j *journal) Write(p []byte) (int, error) {
	j.add(string(bytes.TrimRight(p, "\r\n")))
	return len(p), nil
}

// Logf records a message.
func (j *journal) Logf(format string, args ...any) { j.add(fmt.Sprintf(format, args...)) }

func (j *journal) add(line string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fmt.Fprintf(&j.buf, "[%9.3f] %s\n", time.Since(j.start).Seconds(), line)
	if j.buf.Len() > journalLimit {
		// Keep the newest half: the failure is at the end.
		b := j.buf.Bytes()
		rest := append([]byte("[...]\n"), b[len(b)-journalLimit/2:]...)
		j.buf.Reset()
		j.buf.Write(rest)
	}
}

// Bytes returns a copy of the journal.
func (j *journal) Bytes() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	return bytes.Clone(j.buf.Bytes())
}
