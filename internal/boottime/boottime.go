// Package boottime says where a boot's time went, as the kernel counts
// it: the seconds since the kernel started (CLOCK_BOOTTIME) and the
// moment PID 1 began (its start time in /proc/1/stat). The difference is
// what init and the program it started did; the start time is what the
// kernel did, unpacking the initramfs included. The time before the
// kernel (firmware, reading the UKI, decompressing the kernel) is not the
// kernel's to know: the boot benchmark reads it from the serial console.
package boottime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of proc(5)'s start times: USER_HZ, 100 on every
// Linux architecture Plinth runs on (sysconf(_SC_CLK_TCK) needs libc).
const userHZ = 100

// startTimeField is the 1-based number of starttime in /proc/PID/stat
// (proc(5)).
const startTimeField = 22

// Times are a boot's milestones in seconds since the kernel started.
type Times struct {
	Uptime      float64 // now
	InitStarted float64 // when PID 1 began
}

// Read returns the times now; procRoot is where procfs is mounted.
func Read(procRoot string) (Times, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return Times{}, fmt.Errorf("boottime: CLOCK_BOOTTIME: %w", err)
	}
	stat, err := os.ReadFile(filepath.Join(procRoot, "1", "stat"))
	if err != nil {
		return Times{}, fmt.Errorf("boottime: %w", err)
	}
	ticks, err := StartTicks(stat)
	if err != nil {
		return Times{}, fmt.Errorf("boottime: %s/1/stat: %w", procRoot, err)
	}
	return Times{Uptime: float64(ts.Nano()) / 1e9, InitStarted: float64(ticks) / userHZ}, nil
}

// StartTicks parses the start time, in USER_HZ ticks since the kernel
// started, from the text of /proc/PID/stat. The command name (field 2)
// is in parentheses and may hold spaces and parentheses itself, so the
// fields are counted from the last ')'.
func StartTicks(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	fields := bytes.Fields(stat[end+1:]) // from field 3 on
	i := startTimeField - 3
	if len(fields) <= i {
		return 0, fmt.Errorf("%d fields after the command name, want at least %d", len(fields), i+1)
	}
	n, err := strconv.ParseUint(string(fields[i]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("start time %q: %w", fields[i], err)
	}
	return n, nil
}
