package supervise

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func fixedNow() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }

func TestPump(t *testing.T) {
	var log, cons syncBuf
	q := newConsoleQueue(&cons, 16)
	in := "one\r\ntwo\n" + strings.Repeat("x", maxLine+10) + "\nlast without newline"
	pump(strings.NewReader(in), "svc", &log, q, fixedNow)
	q.Close()
	wantLog := "2024-05-01T12:00:00.000Z one\n2024-05-01T12:00:00.000Z two\n" +
		"2024-05-01T12:00:00.000Z " + strings.Repeat("x", maxLine) + "\n" +
		"2024-05-01T12:00:00.000Z " + strings.Repeat("x", 10) + "\n" +
		"2024-05-01T12:00:00.000Z last without newline\n"
	if log.String() != wantLog {
		t.Errorf("log =\n%q\nwant\n%q", log.String(), wantLog)
	}
	if !strings.HasPrefix(cons.String(), "[svc] one\r\n[svc] two\r\n[svc] xxx") || !strings.HasSuffix(cons.String(), "[svc] last without newline\r\n") {
		t.Errorf("console = %q", cons.String())
	}
}

// blockingWriter blocks every Write until released, like a slow serial port.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	b       bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestConsoleQueueDropsInsteadOfBlocking(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	q := newConsoleQueue(w, 4)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			q.Println("line")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Println blocked on a stuck console")
	}
	close(w.release)
	q.Println("after") // dropped lines are announced before the next line written
	q.Close()
	q.Println("after close") // must not panic
	out := w.b.String()
	if !strings.Contains(out, "lines of service output not shown on the console") {
		t.Errorf("no drop notice:\n%s", out)
	}
	if n := strings.Count(out, "line\r\n"); n < 4 || n > 6 {
		t.Errorf("%d lines written, want the queue's worth", n)
	}
}
