// Package servicestate names the states of an appliance service, as the
// supervisor (internal/supervise) tracks them and the events report
// them: where a service is in its life (State) and whether it does its
// job (Health).
package servicestate

import "fmt"

// State is where a service is in its life.
type State string

// States of a service.
const (
	Starting State = "starting" // not started yet
	Waiting  State = "waiting"  // not started yet: waits for the services it starts after
	Running  State = "running"
	Backoff  State = "backoff" // exited (or failed to start), waiting to restart
	Exited   State = "exited"  // exited, and its restart policy does not start it again
	Stopping State = "stopping"
	Stopped  State = "stopped"
)

// All returns every state.
func All() []State { return []State{Starting, Waiting, Running, Backoff, Exited, Stopping, Stopped} }

// UnmarshalText accepts only the states in All, so that decoding an
// event checks its states.
func (s *State) UnmarshalText(b []byte) error {
	for _, k := range All() {
		if State(b) == k {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("servicestate: unknown state %q", b)
}

// Health is whether a service does its job, as its health check (or,
// without one, its process) shows.
type Health string

// Health states of a service.
const (
	// HealthStarting: started (or about to be) and not yet found
	// healthy; within its start period failed checks do not count.
	HealthStarting Health = "starting"
	// HealthHealthy: the last check passed (or, without a check, it is
	// running); a one-shot service that exited as its restart policy
	// allows stays healthy.
	HealthHealthy Health = "healthy"
	// HealthUnhealthy: Retries checks in a row failed, or it is not
	// running (crashed, waiting to restart, or ended in failure).
	HealthUnhealthy Health = "unhealthy"
)

// AllHealth returns every health state.
func AllHealth() []Health { return []Health{HealthStarting, HealthHealthy, HealthUnhealthy} }

// UnmarshalText accepts only the health states in AllHealth.
func (h *Health) UnmarshalText(b []byte) error {
	for _, k := range AllHealth() {
		if Health(b) == k {
			*h = k
			return nil
		}
	}
	return fmt.Errorf("servicestate: unknown health %q", b)
}
