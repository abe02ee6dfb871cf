package updater

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/abslot"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/servicestate"
	"github.com/plinth-os/plinth/internal/supervise"
)

// Boot does what every boot does before the services start: it reports a
// trial that did not commit (update-rolled-back) and returns the trial
// this boot is, if it is one (then call Confirm once the services run).
// Call Repair next; it may run beside the services.
func (u *Updater) Boot() (*abslot.TrialRecord, error) {
	s := u.o.Slots
	if s.Legacy() {
		u.o.Log("Updates: the ESP has the layout from before A/B slots; the first update converts it.")
		return nil, nil
	}
	if failed, err := s.RolledBack(u.o.Vars); err != nil {
		u.o.Log("Warning: updates: %v", err)
	} else if failed != nil {
		u.o.Events.Emit(event.UpdateRolledBack{Version: failed.Version, Running: u.o.Version, Reason: failed.Reason})
		u.o.Log("Update to %s rolled back: %s. Running %s.", failed.Version, failed.Reason, u.o.Version)
	}
	t, err := s.InTrial(u.o.Vars)
	u.trial.Store(t != nil)
	return t, err
}

// Repair checks and repairs the boot entries, BootOrder, the committed
// slot and the fallback loader, and logs what it changed. It reads the
// committed UKI whole, so it is kept off the way to the services; nothing
// else of the Updater may run before it returns (Confirm, Apply, Poll
// write the same files and variables).
func (u *Updater) Repair() {
	s := u.o.Slots
	if s.Legacy() {
		return
	}
	changes, err := s.Repair(u.o.Vars)
	for _, c := range changes {
		u.o.Log("Boot entries: %s", c)
	}
	if err != nil {
		u.o.Log("Warning: boot entries: %v", err)
	}
}

// Previous is the version the running one replaced, for services that
// migrate their data (PLINTH_PREVIOUS_VERSION): the trial's
// from-version, else the committed slot's; "" for the installed
// version. After a rollback it stays what it was: update-rolled-back
// says which version ran in between.
func (u *Updater) Previous(trial *abslot.TrialRecord) string {
	if trial != nil {
		return trial.FromVersion
	}
	st, err := u.o.Slots.State()
	if err != nil {
		return ""
	}
	return st.Slot(st.Committed).From
}

// Trial is how a version on trial decides.
type Trial struct {
	Record *abslot.TrialRecord
	// Watch is the supervisor's overall health, from Supervisor.Watch.
	Watch <-chan supervise.Overall
	// CommitAfter is how long every service must stay healthy;
	// Timeout how long the version has to get there from Started.
	CommitAfter, Timeout time.Duration
	Started              time.Time // boot time, for the timeout and the event
}

// Confirm commits the trial once every service has been healthy for
// CommitAfter, or, when Timeout passes first (or ctx ends), abandons it
// with the services' state as the reason (update-failed) and reboots
// into the committed version. It reports whether it committed.
func (u *Updater) Confirm(ctx context.Context, t Trial) bool {
	u.busy.Lock() // no other update while this one is undecided
	defer u.busy.Unlock()
	v := t.Record.Version
	u.o.Log("Version %s runs on trial: it commits after every service is healthy for %s (within %s).", v, t.CommitAfter, t.Timeout)
	why := waitHealthyFor(ctx, t)
	if why == "" {
		if err := u.o.Slots.Commit(u.o.Vars, t.Record.Slot); err != nil {
			why = fmt.Sprintf("commit: %v", err)
		} else {
			u.o.Events.Emit(event.UpdateCommitted{Version: v, Previous: t.Record.FromVersion, Slot: string(t.Record.Slot),
				Seconds: time.Since(t.Started).Seconds()})
			u.o.Log("Update to %s committed.", v)
			u.trial.Store(false)
			return true
		}
	}
	if _, err := u.o.Slots.Abandon(u.o.Vars, why); err != nil {
		u.o.Log("Warning: abandon the trial: %v", err)
	}
	u.o.Events.Emit(event.UpdateFailed{Version: v, Reason: why})
	u.o.Log("Version %s gives up: %s. Rebooting into %s.", v, why, t.Record.FromVersion)
	u.o.Reboot("trial of " + v + " failed")
	return false
}

// waitHealthyFor waits until the overall health has been healthy for
// t.CommitAfter without a break; it returns "" then, or why not by
// t.Timeout.
func waitHealthyFor(ctx context.Context, t Trial) string {
	deadline := time.NewTimer(time.Until(t.Started.Add(t.Timeout)))
	defer deadline.Stop()
	var hold <-chan time.Time
	last := supervise.Overall{}
	for {
		select {
		case o, ok := <-t.Watch:
			if !ok {
				return "the services were stopped"
			}
			last = o
			if o.Health != servicestate.HealthHealthy {
				hold = nil
			} else if hold == nil {
				hold = time.After(t.CommitAfter)
			}
		case <-hold:
			return ""
		case <-deadline.C:
			return "not every service was healthy for " + t.CommitAfter.String() + " within " + t.Timeout.String() + ": " + notHealthy(last)
		case <-ctx.Done():
			return "the trial was cut short: " + ctx.Err().Error()
		}
	}
}

// notHealthy names the services that were not healthy and why.
func notHealthy(o supervise.Overall) string {
	var out []string
	for _, s := range o.NotHealthy() {
		out = append(out, fmt.Sprintf("%s %s (%s)", s.Name, s.Health, s.Reason))
	}
	switch {
	case len(out) > 0:
	case o.Health == servicestate.HealthHealthy:
		return "they had only just become healthy"
	default:
		return "overall health " + string(o.Health)
	}
	return strings.Join(out, "; ")
}
