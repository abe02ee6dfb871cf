// Package servicestate names the states of an appliance service, as the
// supervisor (internal/supervise) tracks them and the "runtime-ready"
// event reports them.
package servicestate

import "fmt"

// State is where a service is in its life.
type State string

// States of a service.
const (
	Starting State = "starting" // not started yet
	Running  State = "running"
	Backoff  State = "backoff" // exited (or failed to start), waiting to restart
	Stopping State = "stopping"
	Stopped  State = "stopped"
)

// All returns every state.
func All() []State { return []State{Starting, Running, Backoff, Stopping, Stopped} }

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
