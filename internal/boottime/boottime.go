// Package boottime says where a boot's time went, as the kernel counts
// it: the seconds since the kernel started (CLOCK_BOOTTIME) and when it
// ran /init, which its own log records ("Run /init as init process",
// init/main.c). Before that is the kernel's work (drivers, the initramfs
// unpacked); after it, init's and the program's it started. The time
// before the kernel (firmware, reading the UKI, decompressing the kernel)
// is not the kernel's to know: the boot benchmark reads it from the
// serial console.
package boottime

import (
	"fmt"
	"strings"

	"github.com/plinth-os/plinth/internal/kmsg"
	"golang.org/x/sys/unix"
)

// Times are a boot's milestones in seconds since the kernel started.
type Times struct {
	Uptime      float64 // now
	InitStarted float64 // when the kernel ran /init; 0 if its log no longer says
}

// Read returns the times now; kmsgPath is the kernel log device
// (/dev/kmsg).
func Read(kmsgPath string) (Times, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return Times{}, fmt.Errorf("boottime: CLOCK_BOOTTIME: %w", err)
	}
	t := Times{Uptime: float64(ts.Nano()) / 1e9}
	r, ok, err := kmsg.First(kmsgPath, RunsInit)
	if err != nil {
		return t, fmt.Errorf("boottime: %w", err)
	}
	if ok {
		t.InitStarted = r.Time.Seconds()
	}
	return t, nil
}

// RunsInit matches the kernel's record of starting the init program:
// "Run /init as init process" (run_init_process in init/main.c).
func RunsInit(r kmsg.Record) bool {
	return strings.HasPrefix(r.Text, "Run ") && strings.HasSuffix(r.Text, " as init process")
}
