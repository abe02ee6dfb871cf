// Command appliance is the supervisor of an installed Plinth system: the
// uinit of the runtime image, started by u-root's init on the console.
// It never returns (init would panic "Attempted to kill init").
//
// At boot it
//
//  1. finds the ESP it booted from (LoaderDevicePartUUID, else the first
//     ESP holding \EFI\plinth\plinth.json), mounts it at /boot/efi
//     (read-write: the updater writes its slots) and reads the config
//     (internal/appconfig);
//  2. reads the product's services from /etc/plinth/product.json
//     (internal/productspec) and substitutes the machine's settings
//     from the config into them; opens the A/B slots (internal/updater,
//     internal/abslot): reports a trial of another version that did not
//     commit, repairs the boot entries, BootOrder and the fallback
//     loader, and learns whether this boot is itself a trial;
//  3. sets the hostname and /etc/machine-id;
//  4. finds the data partition by PARTUUID (or label), checks its ext4
//     superblock and mounts it at /data, creating wal, snapshots,
//     metadata and log;
//  5. makes the filesystem safe for services that are not root: the
//     runtime image's directories writable by root only, /data root
//     0755, /data/log root 0750, /tmp and /dev/shm 1777, and the
//     product's data directories created with their owner and mode;
//  6. brings the network up (DHCP or static, internal/netup);
//  7. runs the services (internal/supervise) as their users, in their
//     order, restarting them as their policy says, logging to
//     /data/log/<name>.log, and follows their health (internal/health);
//  8. emits runtime-ready once every service is healthy (the first time
//     with the addresses it has, waiting at most 20 s for one), and
//     runtime-degraded when one becomes unhealthy; runtime-ready again
//     once all are healthy again;
//  9. on a trial boot, commits the new version once every service has
//     been healthy for the product's commit-after time, or gives up and
//     reboots into the committed one; then checks the product's update
//     channel and applies newer bundles (download, verify, stage, trial
//     reboot); keeps a hardware watchdog fed while it is sound.
//
// Any failure in steps 1 to 5 is shown on the console with what to do
// and emitted as an "error" event (code, message); the supervisor then
// stays up, repeating the message every minute, until it is powered off.
//
// Power: the ACPI power button, SIGTERM, SIGINT or SIGPWR power off;
// SIGHUP, and the updater, reboot. Either way the services are stopped (their stop
// signal, SIGKILL after their stop timeout; a service before those it
// starts after), stray processes are killed, /data and
// /boot/efi are unmounted, and reboot(2) is called (see internal/power).
// The supervisor gives up its controlling terminal first, so keys typed
// on the console never send it signals.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/console"
	"github.com/plinth-os/plinth/internal/event"
	"github.com/plinth-os/plinth/internal/power"
	"github.com/plinth-os/plinth/internal/supervise"
)

func main() {
	var out, ev io.Writer = os.Stderr, os.Stderr // init's own console output
	// With a framebuffer the screen shows the status screen and the
	// console text goes to the serial ports only.
	screen, screenErr := openStatusScreen(brand.Dir)
	if cons, err := console.Open("/sys", "/dev"); err == nil {
		if screen != nil {
			cons = cons.Serial()
		}
		out, ev = cons.Text(), cons.Events()
	} else {
		fmt.Fprintf(os.Stderr, "appliance: %v\n", err)
	}
	a := &appliance{out: out, events: event.New(ev), paths: systemPaths(), sys: realSystem(), screen: screen, reboots: make(chan string)}
	if screenErr != nil {
		a.say("No status screen: %v", screenErr)
	}
	a.run()
}

// appliance is the supervisor's state.
type appliance struct {
	out    io.Writer
	events *event.Emitter
	paths  paths
	sys    system

	reaper *supervise.Reaper
	screen *statusScreen // nil without a framebuffer

	mu  sync.Mutex
	sup *supervise.Supervisor // nil until services start

	reboots chan string // clean reboots the updater asks for, with why
	// unfinished is boot work a clean shutdown lets finish first (the
	// repair of the boot entries and the fallback loader), up to
	// finishWait.
	unfinished sync.WaitGroup
}

// finishWait bounds how long a shutdown waits for unfinished boot work:
// what is not done then is done at the next boot.
const finishWait = 30 * time.Second

func (a *appliance) setSupervisor(s *supervise.Supervisor) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sup = s
}

func (a *appliance) supervisor() *supervise.Supervisor {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sup
}

func (a *appliance) say(format string, args ...any) {
	fmt.Fprintf(a.out, format+"\r\n", args...)
}

func (a *appliance) run() {
	if err := power.DetachTerminal(); err != nil {
		a.say("Warning: %v", err)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, power.Signals()...)
	if err := supervise.SetSubreaper(); err != nil {
		a.say("Warning: %v", err)
	}
	ctx := context.Background()
	a.reaper = supervise.NewReaper()
	go a.reaper.Run(ctx)
	presses := make(chan struct{}, 1)
	go power.ButtonWatcher{SysRoot: a.paths.Sys, DevRoot: a.paths.Dev, Log: a.say}.Watch(ctx, presses)

	rel := readRelease(a.paths.Release)
	if a.screen != nil {
		go a.runStatusScreen(ctx, a.screen, rel)
	}
	a.say("")
	a.say("%s %s starting", rel.Product, rel.Version)
	// Boot runs beside the power handling: waiting for disks can take a
	// while, and the power button must work all along.
	bctx, cancelBoot := context.WithCancel(ctx)
	booted := make(chan *failure, 1)
	go func() { booted <- a.boot(bctx, rel) }()
	a.wait(sigs, presses, booted, cancelBoot)
}

// wait handles power requests forever, and repeats a boot failure every
// minute so that someone who attaches a screen later still sees it.
func (a *appliance) wait(sigs <-chan os.Signal, presses <-chan struct{}, booted <-chan *failure, cancelBoot func()) {
	var f *failure
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		var act power.Action
		var reason string
		select {
		case f = <-booted:
			booted = nil
			if f != nil {
				a.report(f)
				if a.screen != nil {
					a.screen.SetMessage(plainText(f.text()))
				}
			} else if a.screen != nil {
				a.screen.Kick()
			}
			continue
		case sig := <-sigs:
			ok := false
			if act, ok = power.ActionForSignal(sig); !ok {
				continue
			}
			reason = sig.String()
		case <-presses:
			act, reason = power.PowerOff, "power button"
		case reason = <-a.reboots:
			act = power.Reboot
		case <-t.C:
			if f != nil {
				a.say("%s", f.text())
			}
			continue
		}
		if booted != nil {
			cancelBoot() // stop waiting for disks; let boot finish what it is doing
			select {
			case <-booted:
			case <-time.After(5 * time.Second):
			}
		}
		a.shutdown(act, reason)
	}
}

// finishBootWork waits, up to finishWait, for a.unfinished.
func (a *appliance) finishBootWork() {
	done := make(chan struct{})
	go func() {
		a.unfinished.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(finishWait):
		a.say("Warning: shutting down before the boot's repair of the boot entries finished; the next boot repairs them.")
	}
}

func (a *appliance) shutdown(act power.Action, reason string) {
	a.say("")
	a.say("%s requested (%s).", act, reason)
	a.events.Emit(event.Shutdown{Action: act.String(), Reason: reason})
	a.finishBootWork()
	var stop func() // nil: no services to stop
	if sup := a.supervisor(); sup != nil {
		stop = sup.Stop
	}
	steps := power.SystemSteps(a.out, stop, a.paths.Data, a.paths.ESP)
	steps.Mount, steps.Unmount = a.sys.mount, a.sys.unmount
	err := power.Shutdown(act, steps)
	a.say("%v", err)
	for {
		time.Sleep(time.Hour) // returning would make init panic
	}
}
