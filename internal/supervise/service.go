package supervise

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/servicestate"
	"golang.org/x/sys/unix"
)

// Spec describes one service.
type Spec struct {
	Name string   // unique; also the log file name
	Path string   // executable; also argv[0]
	Args []string // argv[1:]
	Env  []string // the whole environment, KEY=VALUE
	Dir  string   // working directory; "" means /

	RestartDelay    time.Duration // first restart delay (0: 1 s)
	MaxRestartDelay time.Duration // cap (0: 1 min)
	StableAfter     time.Duration // a run this long resets the backoff (0: 30 s)
	StopTimeout     time.Duration // SIGTERM to SIGKILL (0: 10 s)
}

func (s Spec) withDefaults() Spec {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.RestartDelay, time.Second)
	def(&s.MaxRestartDelay, time.Minute)
	def(&s.StableAfter, 30*time.Second)
	def(&s.StopTimeout, 10*time.Second)
	if s.Dir == "" {
		s.Dir = "/"
	}
	return s
}

// Status is a snapshot of a service.
type Status struct {
	Name     string             `json:"name"`
	State    servicestate.State `json:"state"`
	PID      int                `json:"pid,omitempty"`
	Restarts int                `json:"restarts"`           // starts after the first
	Since    time.Time          `json:"since"`              // when State began
	LastExit string             `json:"lastExit,omitempty"` // e.g. "exit status 2"
}

type service struct {
	spec Spec
	sup  *Supervisor
	log  io.WriteCloser // nil when the log could not be opened

	mu     sync.Mutex
	status Status
}

func (s *service) set(f func(st *Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status)
}

func (s *service) snapshot() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// say reports the supervisor's own news about the service to the console
// and the service's log.
func (s *service) say(format string, args ...any) {
	msg := "supervisor: " + fmt.Sprintf(format, args...)
	writeLine([]byte(msg), s.spec.Name, s.log, s.sup.cons, s.sup.now)
}

// run starts the service and restarts it until stop is closed.
func (s *service) run(stop <-chan struct{}) {
	policy := backoff.Policy{Initial: s.spec.RestartDelay, Max: s.spec.MaxRestartDelay}
	failures := 0
	for run := 0; ; run++ {
		started := time.Now()
		pid, exited, err := s.start()
		var desc string
		var ex Exit
		if err != nil {
			desc = "cannot start: " + err.Error()
		} else {
			s.set(func(st *Status) { st.State, st.PID, st.Since, st.Restarts = servicestate.Running, pid, started, run })
			s.say("started %s as process %d", s.spec.Path, pid)
			s.sup.emit(event.ServiceStart{Service: s.spec.Name, PID: pid, Restarts: run})
			select {
			case ex = <-exited:
				desc = ex.String()
			case <-stop:
				s.stop(pid, exited)
				return
			}
		}
		ranFor := time.Since(started)
		if ranFor >= s.spec.StableAfter {
			failures = 0 // it ran long enough: this is a new problem, start the backoff over
		}
		delay := policy.Delay(failures)
		failures++
		s.set(func(st *Status) { st.State, st.PID, st.Since, st.LastExit = servicestate.Backoff, 0, time.Now(), desc })
		s.say("%s after %s; restarting in %s", desc, ranFor.Round(time.Millisecond), delay)
		ev := event.ServiceExit{Service: s.spec.Name, Status: desc, RanFor: ranFor.Seconds(), RestartIn: delay.Seconds(), Restarts: run}
		if err == nil {
			ev.ProcessExit = &event.ProcessExit{PID: ex.PID, Code: ex.Code()}
			if sig := ex.Signal(); sig != 0 {
				ev.Signal = unix.SignalName(sig)
			}
		}
		s.sup.emit(ev)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			s.set(func(st *Status) { st.State, st.Since = servicestate.Stopped, time.Now() })
			return
		}
	}
}

// start starts one run of the service, its output going through a pipe
// to the log and console.
func (s *service) start() (int, <-chan Exit, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, err
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, nil, err
	}
	attr := &os.ProcAttr{
		Dir:   s.spec.Dir,
		Env:   s.spec.Env,
		Files: []*os.File{devnull, w, w},
		// Own session: no controlling terminal, and a process group we can
		// signal as a whole at stop.
		Sys: &syscall.SysProcAttr{Setsid: true},
	}
	argv := append([]string{s.spec.Path}, s.spec.Args...)
	pid, exited, err := s.sup.reaper.Start(s.spec.Path, argv, attr)
	w.Close() // the child has its copy; EOF comes when it (and its children) are done
	if err != nil {
		r.Close()
		return 0, nil, err
	}
	go func() {
		defer r.Close()
		pump(r, s.spec.Name, s.log, s.sup.cons, s.sup.now)
	}()
	return pid, exited, nil
}

// stop sends SIGTERM to the service's process group, then SIGKILL after
// StopTimeout, and waits for the exit.
func (s *service) stop(pid int, exited <-chan Exit) {
	s.set(func(st *Status) { st.State, st.Since = servicestate.Stopping, time.Now() })
	s.sup.reaper.Signal(pid, unix.SIGTERM)
	t := time.NewTimer(s.spec.StopTimeout)
	defer t.Stop()
	var ex Exit
	select {
	case ex = <-exited:
	case <-t.C:
		s.say("still running %s after SIGTERM; sending SIGKILL", s.spec.StopTimeout)
		s.sup.reaper.Signal(pid, unix.SIGKILL)
		select {
		case ex = <-exited:
		case <-time.After(5 * time.Second):
			// Stuck in the kernel (e.g. I/O on a dead disk): give up waiting.
			s.say("process %d did not die after SIGKILL", pid)
			s.set(func(st *Status) { st.State, st.Since, st.LastExit = servicestate.Stopped, time.Now(), "did not exit" })
			return
		}
	}
	s.say("stopped: %s", ex)
	s.sup.emit(event.ServiceStop{Service: s.spec.Name, PID: pid, Status: ex.String()})
	s.set(func(st *Status) {
		st.State, st.PID, st.Since, st.LastExit = servicestate.Stopped, 0, time.Now(), ex.String()
	})
}

func logPath(dir, name string) string { return filepath.Join(dir, name+".log") }
