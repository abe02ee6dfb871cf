package supervise

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plinth-os/plinth/internal/backoff"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/health"
	"github.com/plinth-os/plinth/internal/servicestate"
	"golang.org/x/sys/unix"
)

// Restart says when a service that exited is started again.
type Restart string

// Restart policies (as productspec spells them).
const (
	RestartOnFailure Restart = "on-failure" // after a non-zero exit, a signal, or a failed start
	RestartAlways    Restart = "always"     // after any exit
	RestartNever     Restart = "never"      // a one-shot job
)

// again reports whether a run that ended (failed: non-zero exit, killed
// by a signal, or could not start) is followed by another.
func (r Restart) again(failed bool) bool {
	switch r {
	case RestartAlways:
		return true
	case RestartNever:
		return false
	}
	return failed
}

// Spec describes one service.
type Spec struct {
	Name string   // unique; also the log file name
	Path string   // executable; also argv[0]
	Args []string // argv[1:]
	Env  []string // the whole environment, KEY=VALUE
	Dir  string   // working directory; "" means /

	// UID, GID and Groups are who it runs as; Capabilities those it
	// keeps when UID is not 0 (see StartAs).
	UID, GID     uint32
	Groups       []uint32
	Capabilities []int

	Restart        Restart       // "" means RestartOnFailure
	BackoffInitial time.Duration // first restart delay (0: 1 s), doubling per failure
	BackoffMax     time.Duration // its cap (0: 1 min)
	StableAfter    time.Duration // a run this long resets the backoff (0: 30 s)
	StopSignal     unix.Signal   // sent to stop it (0: SIGTERM)
	StopTimeout    time.Duration // stop signal to SIGKILL (0: 10 s)

	// After names services (earlier in the list given to New) that must
	// be running, and healthy if they have a health check, before this
	// one starts for the first time; a one-shot service that ended as
	// its restart policy allows counts as done.
	After []string
	// Health is the service's health check; nil: healthy once it has
	// run for Options.MinUp.
	Health *health.Check
}

func (s Spec) withDefaults() Spec {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.BackoffInitial, time.Second)
	def(&s.BackoffMax, time.Minute)
	def(&s.StableAfter, 30*time.Second)
	def(&s.StopTimeout, 10*time.Second)
	s.BackoffMax = max(s.BackoffMax, s.BackoffInitial)
	if s.Dir == "" {
		s.Dir = "/"
	}
	if s.Restart == "" {
		s.Restart = RestartOnFailure
	}
	if s.StopSignal == 0 {
		s.StopSignal = unix.SIGTERM
	}
	return s
}

func (s Spec) cred() Credential {
	return Credential{UID: s.UID, GID: s.GID, Groups: s.Groups, Capabilities: s.Capabilities}
}

// Status is a snapshot of a service.
type Status struct {
	Name     string              `json:"name"`
	State    servicestate.State  `json:"state"`
	Health   servicestate.Health `json:"health"`
	Reason   string              `json:"reason,omitempty"` // why: the last check, how it ended, what it waits for
	PID      int                 `json:"pid,omitempty"`
	Restarts int                 `json:"restarts"`           // starts after the first
	Since    time.Time           `json:"since"`              // when State began
	LastExit string              `json:"lastExit,omitempty"` // e.g. "exit status 2"
	Waiting  []string            `json:"waiting,omitempty"`  // services it waits for before its first start
}

type service struct {
	spec       Spec
	sup        *Supervisor
	log        io.WriteCloser // nil when the log could not be opened
	health     *health.Monitor
	deps       []*service    // After
	dependents []*service    // services that start after this one
	stop       chan struct{} // closed to stop it
	done       chan struct{} // closed when it is stopped

	mu     sync.Mutex
	status Status // Health and Reason come from health
}

// set changes the status and, if it changed, tells the supervisor.
func (s *service) set(f func(st *Status)) {
	s.mu.Lock()
	before := s.status
	before.Waiting = append([]string(nil), before.Waiting...)
	f(&s.status)
	changed := !reflect.DeepEqual(before, s.status)
	s.mu.Unlock()
	if changed {
		s.sup.notify()
	}
}

func (s *service) snapshot() Status {
	s.mu.Lock()
	st := s.status
	st.Waiting = append([]string(nil), st.Waiting...)
	s.mu.Unlock()
	st.Health, st.Reason = s.health.Health()
	return st
}

// say reports the supervisor's own news about the service to the console
// and the service's log.
func (s *service) say(format string, args ...any) {
	msg := "supervisor: " + fmt.Sprintf(format, args...)
	writeLine([]byte(msg), s.spec.Name, s.log, s.sup.cons, s.sup.now)
}

// outcome is how one run ended.
type outcome struct {
	desc    string // "exit status 2", "cannot start: ..."
	exit    *Exit  // nil when it could not start
	ranFor  time.Duration
	stopped bool // stopped by Stop: no more runs
}

func (o outcome) failed() bool { return o.exit == nil || o.exit.Code() != 0 }

// run waits for the services it starts after, then starts the service
// and restarts it as its policy says, until it is stopped.
func (s *service) run() {
	defer close(s.done)
	if !s.waitDeps() {
		s.set(func(st *Status) { st.State, st.Since, st.Waiting = servicestate.Stopped, time.Now(), nil })
		return
	}
	policy := backoff.Policy{Initial: s.spec.BackoffInitial, Max: s.spec.BackoffMax}
	failures := 0
	for run := 0; ; run++ {
		o := s.runOnce(run)
		if o.stopped {
			return
		}
		if !s.spec.Restart.again(o.failed()) {
			s.ended(o, run)
			return
		}
		if o.ranFor >= s.spec.StableAfter {
			failures = 0 // it ran long enough: this is a new problem, start the backoff over
		}
		delay := policy.Delay(failures)
		failures++
		s.exited(o, run, delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			s.health.Close()
			s.set(func(st *Status) { st.State, st.Since = servicestate.Stopped, time.Now() })
			return
		}
	}
}

// waitDeps waits until every service of After is ready, saying what it
// waits for; false if it was stopped first.
func (s *service) waitDeps() bool {
	said := false
	for {
		changed := s.sup.changed()
		var names, pending []string
		for _, d := range s.deps {
			if ok, why := d.ready(); !ok {
				names, pending = append(names, d.spec.Name), append(pending, fmt.Sprintf("%s (%s)", d.spec.Name, why))
			}
		}
		if len(pending) == 0 {
			return true
		}
		reason := "waiting for " + strings.Join(pending, ", ")
		if !said {
			s.say("%s before starting", reason)
			said = true
		}
		s.set(func(st *Status) {
			if st.State != servicestate.Waiting {
				st.Since = time.Now()
			}
			st.State, st.Waiting = servicestate.Waiting, names
		})
		s.health.Waiting(reason)
		select {
		case <-changed:
		case <-s.stop:
			return false
		}
	}
}

// ready reports whether services that start after s may start, or else
// what s is doing.
func (s *service) ready() (bool, string) {
	st := s.snapshot()
	switch {
	case st.Health == servicestate.HealthHealthy:
		return true, ""
	case s.spec.Health == nil && st.State == servicestate.Running:
		return true, ""
	case st.State == servicestate.Running:
		return false, string(st.Health)
	}
	return false, string(st.State)
}

// runOnce starts the service and waits for it to exit or be stopped.
func (s *service) runOnce(run int) outcome {
	started := time.Now()
	pid, exited, err := s.start()
	if err != nil {
		return outcome{desc: "cannot start: " + err.Error()}
	}
	s.set(func(st *Status) {
		st.State, st.PID, st.Since, st.Restarts, st.Waiting = servicestate.Running, pid, started, run, nil
	})
	s.say("started %s as process %d (uid %d)", s.spec.Path, pid, s.spec.UID)
	s.sup.emit(event.ServiceStart{Service: s.spec.Name, PID: pid, Restarts: run})
	s.health.Started()
	select {
	case ex := <-exited:
		return outcome{desc: ex.String(), exit: &ex, ranFor: time.Since(started)}
	case <-s.stop:
		s.health.Close()
		s.stopProcess(pid, exited)
		return outcome{stopped: true}
	}
}

// exited reports a run that ended and is followed by another in delay.
func (s *service) exited(o outcome, run int, delay time.Duration) {
	s.set(func(st *Status) {
		st.State, st.PID, st.Since, st.LastExit = servicestate.Backoff, 0, time.Now(), o.desc
	})
	s.say("%s after %s; restarting in %s", o.desc, o.ranFor.Round(time.Millisecond), delay)
	s.sup.emit(s.exitEvent(o, run, delay))
	s.health.Ended(fmt.Sprintf("%s; restarting in %s", o.desc, delay), false)
}

// ended reports a run that ended and, by the restart policy, is the last.
func (s *service) ended(o outcome, run int) {
	s.set(func(st *Status) { st.State, st.PID, st.Since, st.LastExit = servicestate.Exited, 0, time.Now(), o.desc })
	s.say("%s after %s; not restarted (restart: %s)", o.desc, o.ranFor.Round(time.Millisecond), s.spec.Restart)
	s.sup.emit(s.exitEvent(o, run, -1))
	s.health.Ended(fmt.Sprintf("%s; not restarted (restart: %s)", o.desc, s.spec.Restart), !o.failed())
}

// exitEvent is the service-exit event; delay < 0: not restarted.
func (s *service) exitEvent(o outcome, run int, delay time.Duration) event.ServiceExit {
	ev := event.ServiceExit{Service: s.spec.Name, Status: o.desc, RanFor: o.ranFor.Seconds(), Restarting: delay >= 0, RestartIn: max(0, delay.Seconds()), Restarts: run}
	if o.exit != nil {
		ev.ProcessExit = &event.ProcessExit{PID: o.exit.PID, Code: o.exit.Code()}
		if sig := o.exit.Signal(); sig != 0 {
			ev.Signal = unix.SignalName(sig)
		}
	}
	return ev
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
	pid, exited, err := s.sup.reaper.StartAs(s.spec.Path, argv, attr, s.spec.cred())
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

// stopProcess sends the stop signal to the service's process group, then
// SIGKILL after StopTimeout, and waits for the exit.
func (s *service) stopProcess(pid int, exited <-chan Exit) {
	s.set(func(st *Status) { st.State, st.Since = servicestate.Stopping, time.Now() })
	s.sup.reaper.Signal(pid, s.spec.StopSignal)
	t := time.NewTimer(s.spec.StopTimeout)
	defer t.Stop()
	var ex Exit
	select {
	case ex = <-exited:
	case <-t.C:
		s.say("still running %s after %s; sending SIGKILL", s.spec.StopTimeout, unix.SignalName(s.spec.StopSignal))
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
