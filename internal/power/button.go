package power

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// PowerButtons lists the input devices (eventN names) that report
// KEY_POWER, from sysRoot/class/input/eventN/device/capabilities/key.
func PowerButtons(sysRoot string) []string {
	matches, _ := filepath.Glob(filepath.Join(sysRoot, "class", "input", "event*", "device", "capabilities", "key"))
	var names []string
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		if ok, err := HasBit(strings.TrimSpace(string(b)), KeyPower); err == nil && ok {
			names = append(names, filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(m)))))
		}
	}
	sort.Strings(names)
	return names
}

// ButtonWatcher reports power button presses.
type ButtonWatcher struct {
	SysRoot, DevRoot string        // "/sys", "/dev"
	Rescan           time.Duration // look for new devices this often; 0: 10 s
	// Log, if set, is told which devices are watched.
	Log func(format string, args ...any)
}

// Watch sends on presses (without blocking: a press while one is pending
// is dropped) for every KEY_POWER press on any power button device, until
// ctx ends. Devices are rescanned periodically, since input devices can
// appear after the supervisor starts.
func (w ButtonWatcher) Watch(ctx context.Context, presses chan<- struct{}) {
	every := w.Rescan
	if every <= 0 {
		every = 10 * time.Second
	}
	var mu sync.Mutex
	watching := map[string]bool{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, name := range PowerButtons(w.SysRoot) {
			mu.Lock()
			busy := watching[name]
			watching[name] = true
			mu.Unlock()
			if busy {
				continue
			}
			f, err := os.Open(filepath.Join(w.DevRoot, "input", name))
			if err != nil {
				mu.Lock()
				delete(watching, name)
				mu.Unlock()
				continue
			}
			if w.Log != nil {
				w.Log("power: watching %s for the power button", name)
			}
			go func() {
				readButton(ctx, f, presses)
				mu.Lock()
				delete(watching, name) // gone or failed: the next rescan may reopen it
				mu.Unlock()
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readButton reads events from f until an error or ctx ends.
func readButton(ctx context.Context, f *os.File, presses chan<- struct{}) {
	stop := context.AfterFunc(ctx, func() { f.Close() }) // unblocks Read
	defer stop()
	defer f.Close()
	buf := make([]byte, 64*EventSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			evs, _ := ParseEvents(buf[:n-n%EventSize])
			for _, e := range evs {
				if e.IsPowerPress() {
					select {
					case presses <- struct{}{}:
					default:
					}
				}
			}
		}
		if err != nil {
			return
		}
	}
}
