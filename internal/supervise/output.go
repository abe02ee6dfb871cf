package supervise

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// maxLine bounds a line; longer output is cut into several lines.
const maxLine = 4096

// pump copies a service's output, line by line, to its log (with a UTC
// timestamp) and to the console (prefixed with the service name), until r
// reaches EOF, that is until every process holding the pipe's write end
// has closed it.
func pump(r io.Reader, name string, log io.Writer, cons *consoleQueue, now func() time.Time) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			writeLine(line, name, log, cons, now)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func writeLine(line []byte, name string, log io.Writer, cons *consoleQueue, now func() time.Time) {
	text := string(trimEOL(line))
	if log != nil {
		// One Write per line: rotlog rotates between whole lines.
		fmt.Fprintf(log, "%s %s\n", now().UTC().Format("2006-01-02T15:04:05.000Z"), text)
	}
	cons.Println(fmt.Sprintf("[%s] %s", name, text))
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// consoleQueue writes lines to the console from one goroutine, dropping
// lines (and saying how many) when the console cannot keep up: a serial
// console at 115200 baud takes about 11 kB/s, and a chatty service must
// not be slowed down by it. The log file keeps every line.
type consoleQueue struct {
	w       io.Writer
	lines   chan string
	mu      sync.Mutex // guards dropped and closed, and sends on lines
	dropped int
	closed  bool
	done    chan struct{}
}

func newConsoleQueue(w io.Writer, size int) *consoleQueue {
	q := &consoleQueue{w: w, lines: make(chan string, size), done: make(chan struct{})}
	go q.run()
	return q
}

// Println queues one line; it never blocks.
func (q *consoleQueue) Println(s string) {
	if q == nil || q.w == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return // a grandchild may still write after Stop
	}
	select {
	case q.lines <- s:
	default:
		q.dropped++
	}
}

func (q *consoleQueue) run() {
	defer close(q.done)
	for s := range q.lines {
		q.mu.Lock()
		n := q.dropped
		q.dropped = 0
		q.mu.Unlock()
		if n > 0 {
			fmt.Fprintf(q.w, "[supervisor] %d lines of service output not shown on the console (see /data/log)\r\n", n)
		}
		io.WriteString(q.w, s+"\r\n") // one Write per line: console lines stay whole
	}
}

// Close writes what is queued and stops the writer.
func (q *consoleQueue) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.lines)
	}
	q.mu.Unlock()
	<-q.done
}
