package supervise

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/rotlog"
	"github.com/plinth-os/plinth/internal/servicestate"
)

// Emitter receives machine-readable events (internal/event's Emitter).
type Emitter interface {
	Emit(event.Event) error
}

// Options configure a Supervisor.
type Options struct {
	Reaper     *Reaper
	Console    io.Writer // service output, prefixed "[name] "; nil: none
	LogDir     string    // per-service logs <LogDir>/<name>.log; "": none
	LogMaxSize int64     // per file; 0: rotlog.DefaultMaxSize (10 MiB)
	LogKeep    int       // rotated files kept; 0: rotlog.DefaultKeep (5)
	Events     Emitter   // service-start, service-exit, service-stop; nil: none
	Now        func() time.Time
}

// Supervisor runs a fixed set of services.
type Supervisor struct {
	reaper   *Reaper
	cons     *consoleQueue
	events   Emitter
	now      func() time.Time
	services []*service

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New prepares services (opening their logs) without starting them. A
// log that cannot be opened is reported on the console and the service
// runs without one.
func New(o Options, specs []Spec) (*Supervisor, error) {
	if o.Reaper == nil {
		return nil, fmt.Errorf("supervise: no Reaper")
	}
	s := &Supervisor{reaper: o.Reaper, events: o.Events, now: o.Now, stop: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	s.cons = newConsoleQueue(o.Console, 256)
	keep := o.LogKeep
	if keep == 0 {
		keep = rotlog.DefaultKeep
	}
	seen := map[string]bool{}
	for _, sp := range specs {
		if sp.Name == "" || seen[sp.Name] {
			return nil, fmt.Errorf("supervise: service name %q empty or repeated", sp.Name)
		}
		seen[sp.Name] = true
		svc := &service{spec: sp.withDefaults(), sup: s, status: Status{Name: sp.Name, State: servicestate.Starting, Since: time.Now()}}
		if o.LogDir != "" {
			l, err := rotlog.Open(logPath(o.LogDir, sp.Name), o.LogMaxSize, keep)
			if err != nil {
				s.cons.Println(fmt.Sprintf("[%s] supervisor: no log file: %v", sp.Name, err))
			} else {
				svc.log = l
			}
		}
		s.services = append(s.services, svc)
	}
	return s, nil
}

// Start starts every service.
func (s *Supervisor) Start() {
	for _, svc := range s.services {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			svc.run(s.stop)
		}()
	}
}

// Stop stops every service (SIGTERM, then SIGKILL after its StopTimeout),
// waits for them, and closes the logs. It is safe to call more than once.
func (s *Supervisor) Stop() {
	s.stopOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		for _, svc := range s.services {
			if svc.log != nil {
				svc.log.Close()
			}
		}
		s.cons.Close()
	})
}

// Status returns a snapshot of every service, in the order given to New.
func (s *Supervisor) Status() []Status {
	out := make([]Status, len(s.services))
	for i, svc := range s.services {
		out[i] = svc.snapshot()
	}
	return out
}

// WaitRunning waits until every service has been running for at least
// minUp (started, and not crashed since), or ctx ends. It reports whether
// they all were.
func (s *Supervisor) WaitRunning(ctx context.Context, minUp time.Duration) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		all := true
		for _, st := range s.Status() {
			if st.State != servicestate.Running || time.Since(st.Since) < minUp {
				all = false
			}
		}
		if all {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

func (s *Supervisor) emit(ev event.Event) {
	if s.events != nil {
		s.events.Emit(ev)
	}
}
