package supervise

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// outputTail is how much of a health command's output its error quotes.
const outputTail = 200

// runCheck runs a health check command as the service runs: its user,
// capabilities, environment and directory (health.CommandFunc).
func (s *service) runCheck(ctx context.Context, argv []string) error {
	return s.sup.reaper.RunCommand(ctx, argv, s.spec.Env, s.spec.Dir, s.spec.cred())
}

// RunCommand runs argv as c, in its own session, until it exits or ctx ends
// (then its process group is killed). It returns nil for exit status 0,
// else an error saying how it ended, with the end of its output:
// "exit status 1: not ready".
func (r *Reaper) RunCommand(ctx context.Context, argv []string, env []string, dir string, c Credential) error {
	if len(argv) == 0 {
		return errors.New("supervise: run: no command")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	attr := &os.ProcAttr{Dir: dir, Env: env, Files: []*os.File{devnull, pw, pw}, Sys: &syscall.SysProcAttr{Setsid: true}}
	pid, exited, err := r.StartAs(argv[0], argv, attr, c)
	pw.Close()
	if err != nil {
		pr.Close()
		return fmt.Errorf("cannot start: %w", err)
	}
	out := &tail{}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer pr.Close()
		io.Copy(out, pr)
	}()
	var ex Exit
	select {
	case ex = <-exited:
	case <-ctx.Done():
		r.Signal(pid, unix.SIGKILL)
		ex = <-exited
	}
	select {
	case <-read:
	case <-time.After(100 * time.Millisecond): // a child it left behind holds the pipe
	}
	if ex.Code() == 0 {
		return nil
	}
	if msg := out.lastLine(); msg != "" {
		return fmt.Errorf("%s: %s", ex, msg)
	}
	return errors.New(ex.String())
}

// tail keeps the end of what is written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4*outputTail {
		t.b = append([]byte(nil), t.b[len(t.b)-outputTail:]...)
	}
	return len(p), nil
}

// lastLine is the last non-empty line, at most outputTail bytes.
func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.b), []byte("\n"))
	s := strings.TrimSpace(string(lines[len(lines)-1]))
	if len(s) > outputTail {
		s = s[len(s)-outputTail:]
	}
	return s
}
