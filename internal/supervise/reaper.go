package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Exit is a child's exit.
type Exit struct {
	PID    int
	Status unix.WaitStatus
}

// Code is the exit status, or -1 when the process was killed by a signal.
func (e Exit) Code() int {
	if e.Status.Exited() {
		return e.Status.ExitStatus()
	}
	return -1
}

// Signal is the signal that killed the process, or 0.
func (e Exit) Signal() unix.Signal {
	if e.Status.Signaled() {
		return e.Status.Signal()
	}
	return 0
}

func (e Exit) String() string {
	if s := e.Signal(); s != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(s), unix.SignalName(s))
	}
	return fmt.Sprintf("exit status %d", e.Code())
}

// SetSubreaper makes the calling process a child subreaper
// (PR_SET_CHILD_SUBREAPER): orphaned descendants become its children
// instead of init's, so it can reap them and they cannot outlive their
// service unnoticed.
func SetSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("supervise: PR_SET_CHILD_SUBREAPER: %w", err)
	}
	return nil
}

// Reaper starts child processes and collects the exit of every child.
type Reaper struct {
	mu      sync.Mutex // held while starting (until registered) and while reaping
	waiting map[int]chan Exit
	orphans int
	kick    chan struct{}
}

// NewReaper returns a Reaper; call Run to make it reap.
func NewReaper() *Reaper {
	return &Reaper{waiting: map[int]chan Exit{}, kick: make(chan struct{}, 1)}
}

// Run reaps on every SIGCHLD (and every few seconds, in case a signal was
// coalesced away) until ctx ends.
func (r *Reaper) Run(ctx context.Context) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGCHLD)
	defer signal.Stop(sigs)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for ctx.Err() == nil {
		r.reap()
		select {
		case <-ctx.Done():
			return
		case <-sigs:
		case <-r.kick:
		case <-t.C:
		}
	}
}

func (r *Reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return // ECHILD: no children; 0: none has exited
		}
		if ch, ok := r.waiting[pid]; ok {
			ch <- Exit{PID: pid, Status: ws} // buffered: never blocks
			delete(r.waiting, pid)
		} else {
			r.orphans++
		}
	}
}

// Orphans returns how many processes the Reaper collected that it had not
// started.
func (r *Reaper) Orphans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.orphans
}

// Start starts a process (os.StartProcess arguments) and returns its PID
// and a channel that receives its Exit once. The process is registered
// before the reaper can see it exit, so no exit is lost.
func (r *Reaper) Start(path string, argv []string, attr *os.ProcAttr) (int, <-chan Exit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := os.StartProcess(path, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	pid := p.Pid // Release sets p.Pid to -1
	ch := make(chan Exit, 1)
	r.waiting[pid] = ch
	p.Release() // we wait with wait4, not through p
	select {
	case r.kick <- struct{}{}: // a child that exits at once may beat our SIGCHLD registration
	default:
	}
	return pid, ch, nil
}

// Signal sends sig to the process group led by pid (services are session
// and group leaders), provided pid is a child that has not been reaped:
// a reaped PID may already belong to someone else.
func (r *Reaper) Signal(pid int, sig unix.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.waiting[pid]; !ok {
		return fmt.Errorf("supervise: process %d has already exited", pid)
	}
	if err := unix.Kill(-pid, sig); err != nil {
		// Not a group leader after all (or the group is gone): the process itself.
		if err2 := unix.Kill(pid, sig); err2 != nil {
			return fmt.Errorf("supervise: kill %d: %w", pid, err2)
		}
	}
	return nil
}
