package supervise

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/health"
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
	// Events receives service-start, service-exit, service-stop and
	// service-health; nil: none.
	Events Emitter
	// MinUp is how long a service without health check must run to
	// count as healthy ("started and not immediately crashed").
	MinUp time.Duration
	Now   func() time.Time
}

// Overall is the health of all services together.
type Overall struct {
	// Health is healthy when every service is (also when there are
	// none), unhealthy when any is, and starting otherwise.
	Health   servicestate.Health
	Services []Status
}

// NotHealthy returns the services that are not healthy.
func (o Overall) NotHealthy() []Status {
	var out []Status
	for _, s := range o.Services {
		if s.Health != servicestate.HealthHealthy {
			out = append(out, s)
		}
	}
	return out
}

// Supervisor runs a fixed set of services.
type Supervisor struct {
	reaper   *Reaper
	cons     *consoleQueue
	events   Emitter
	now      func() time.Time
	services []*service
	closed   chan struct{} // closed when Stop is done

	mu       sync.Mutex
	changeCh chan struct{} // closed and replaced at every change
	last     servicestate.Health
	watchers []*watcher
	started  bool
	stopping bool
	stopOnce sync.Once
}

// New prepares services (opening their logs) without starting them. A
// log that cannot be opened is reported on the console and the service
// runs without one. Every name of a service's After must be a service
// listed before it.
func New(o Options, specs []Spec) (*Supervisor, error) {
	if o.Reaper == nil {
		return nil, fmt.Errorf("supervise: no Reaper")
	}
	s := &Supervisor{reaper: o.Reaper, events: o.Events, now: o.Now, closed: make(chan struct{}), changeCh: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	s.cons = newConsoleQueue(o.Console, 256)
	byName := map[string]*service{}
	for _, sp := range specs {
		if sp.Name == "" || byName[sp.Name] != nil {
			return nil, fmt.Errorf("supervise: service name %q empty or repeated", sp.Name)
		}
		svc, err := s.newService(o, sp.withDefaults(), byName)
		if err != nil {
			return nil, err
		}
		byName[sp.Name] = svc
		s.services = append(s.services, svc)
	}
	s.last = s.overall().Health
	return s, nil
}

func (s *Supervisor) newService(o Options, sp Spec, earlier map[string]*service) (*service, error) {
	svc := &service{spec: sp, sup: s, stop: make(chan struct{}), done: make(chan struct{}),
		status: Status{Name: sp.Name, State: servicestate.Starting, Since: time.Now()}}
	for _, name := range sp.After {
		d := earlier[name]
		if d == nil {
			return nil, fmt.Errorf("supervise: service %s starts after %q, which is not a service listed before it", sp.Name, name)
		}
		svc.deps, d.dependents = append(svc.deps, d), append(d.dependents, svc)
	}
	svc.health = health.New(health.Options{Service: sp.Name, Check: sp.Health, MinUp: o.MinUp,
		Run: svc.runCheck, Events: o.Events, OnChange: s.notify})
	if o.LogDir != "" {
		keep := o.LogKeep
		if keep == 0 {
			keep = rotlog.DefaultKeep
		}
		l, err := rotlog.Open(logPath(o.LogDir, sp.Name), o.LogMaxSize, keep)
		if err != nil {
			s.cons.Println(fmt.Sprintf("[%s] supervisor: no log file: %v", sp.Name, err))
		} else {
			svc.log = l
		}
	}
	return svc, nil
}

// Start starts every service (each once the services it starts after
// are ready).
func (s *Supervisor) Start() {
	s.mu.Lock()
	if s.started || s.stopping {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	for _, svc := range s.services {
		go svc.run()
	}
}

// Stop stops every service (its stop signal, then SIGKILL after its
// StopTimeout), each after the services that start after it, waits for
// them, and closes the logs. Health no longer changes once Stop began.
// It is safe to call more than once.
func (s *Supervisor) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		started := s.started
		s.mu.Unlock()
		if !started {
			for _, svc := range s.services {
				close(svc.done)
			}
		}
		var wg sync.WaitGroup
		for _, svc := range s.services {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, d := range svc.dependents {
					<-d.done
				}
				close(svc.stop)
				<-svc.done
			}()
		}
		wg.Wait()
		for _, svc := range s.services {
			svc.health.Close()
			if svc.log != nil {
				svc.log.Close()
			}
		}
		close(s.closed)
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

// Overall returns the services' health together.
func (s *Supervisor) Overall() Overall { return s.overall() }

func (s *Supervisor) overall() Overall {
	o := Overall{Health: servicestate.HealthHealthy, Services: s.Status()}
	for _, st := range o.Services {
		switch {
		case st.Health == servicestate.HealthUnhealthy:
			o.Health = servicestate.HealthUnhealthy
		case st.Health == servicestate.HealthStarting && o.Health == servicestate.HealthHealthy:
			o.Health = servicestate.HealthStarting
		}
	}
	return o
}

// WaitHealthy waits until every service is healthy, or ctx ends; it
// reports whether they all were.
func (s *Supervisor) WaitHealthy(ctx context.Context) bool {
	for {
		ch := s.changed()
		if s.overall().Health == servicestate.HealthHealthy {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// Watch returns a channel that receives the overall health now and then
// at every change of Overall.Health, each change in order (none is
// dropped, however slowly the channel is read). It is closed when Stop
// is done; changes while Stop runs are not sent.
func (s *Supervisor) Watch() <-chan Overall {
	w := &watcher{kick: make(chan struct{}, 1), out: make(chan Overall)}
	s.mu.Lock()
	w.push(s.overall())
	s.watchers = append(s.watchers, w)
	s.mu.Unlock()
	go w.run(s.closed)
	return w.out
}

// changed returns a channel closed at the next change of any service's
// status or health.
func (s *Supervisor) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changeCh
}

// notify is called after every change of a service's status or health,
// with no service's lock held.
func (s *Supervisor) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changeCh)
	s.changeCh = make(chan struct{})
	if s.stopping {
		return
	}
	o := s.overall()
	if o.Health == s.last {
		return
	}
	s.last = o.Health
	for _, w := range s.watchers {
		w.push(o)
	}
}

func (s *Supervisor) emit(ev event.Event) {
	if s.events != nil {
		s.events.Emit(ev)
	}
}

// watcher queues Overall values for one reader of Watch.
type watcher struct {
	mu    sync.Mutex
	queue []Overall
	kick  chan struct{}
	out   chan Overall
}

func (w *watcher) push(o Overall) {
	w.mu.Lock()
	w.queue = append(w.queue, o)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watcher) run(closed <-chan struct{}) {
	defer close(w.out)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.kick:
				continue
			case <-closed:
				return
			}
		}
		o := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		select {
		case w.out <- o:
		case <-closed:
			return
		}
	}
}
