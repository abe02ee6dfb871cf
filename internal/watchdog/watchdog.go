package watchdog

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultPath is the device Open uses for "": the first watchdog. (The
// older /dev/watchdog is the same device, without the sysfs name.)
const DefaultPath = "/dev/watchdog0"

// Requests of the watchdog API this package makes (include/uapi/linux/
// watchdog.h, from golang.org/x/sys/unix). Each takes a pointer: to a
// struct watchdog_info for GETSUPPORT, to an int for the others.
const (
	reqGetSupport    = unix.WDIOC_GETSUPPORT
	reqGetBootStatus = unix.WDIOC_GETBOOTSTATUS
	reqKeepalive     = unix.WDIOC_KEEPALIVE
	reqSetTimeout    = unix.WDIOC_SETTIMEOUT
	reqGetTimeout    = unix.WDIOC_GETTIMEOUT
)

// device is the device file as Watchdog uses it: ioctls and writes. Tests
// put a fake in its place.
type device interface {
	// ioctl calls ioctl(2) with req and arg, a pointer to an int32 or a
	// unix.WatchdogInfo as req says.
	ioctl(req uint, arg unsafe.Pointer) error
	write(b []byte) error
	close() error
}

// Watchdog is an open watchdog device. Its methods may be called from
// several goroutines (a Feeder's and the one that stops it).
type Watchdog struct {
	path string
	dev  device
}

// Open opens the watchdog device at path (DefaultPath if ""), which
// starts it.
func Open(path string) (*Watchdog, error) {
	if path == "" {
		path = DefaultPath
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, syscall.EBUSY) {
		return nil, fmt.Errorf("watchdog: %w (another process holds it: the device has one opener at a time)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	return &Watchdog{path: path, dev: fileDevice{f}}, nil
}

// Path returns the device's path.
func (w *Watchdog) Path() string { return w.path }

// Info is what a driver says of itself (WDIOC_GETSUPPORT).
type Info struct {
	// Identity is the driver's name, e.g. "iTCO_wdt" or "Software Watchdog".
	Identity string
	// FirmwareVersion is the version of the card's firmware, if it has one.
	FirmwareVersion uint32
	// Options are what the driver supports.
	Options Flags
}

// Identity asks the driver who it is and what it supports.
func (w *Watchdog) Identity() (Info, error) {
	var wi unix.WatchdogInfo
	if err := w.dev.ioctl(reqGetSupport, unsafe.Pointer(&wi)); err != nil {
		return Info{}, w.errorf("identity (WDIOC_GETSUPPORT)", err)
	}
	id, _, _ := bytes.Cut(wi.Identity[:], []byte{0})
	return Info{Identity: string(id), FirmwareVersion: wi.Version, Options: Flags(wi.Options)}, nil
}

// SetTimeout sets the timeout, rounded up to whole seconds, and returns
// the timeout the driver chose, which may differ: drivers round to what
// their hardware can count. Setting the timeout also feeds the dog.
func (w *Watchdog) SetTimeout(d time.Duration) (time.Duration, error) {
	secs := (d + time.Second - 1) / time.Second
	if d <= 0 || secs > math.MaxInt32 {
		return 0, fmt.Errorf("watchdog: %s: timeout %v: want at least 1 s", w.path, d)
	}
	v := int32(secs)
	if err := w.dev.ioctl(reqSetTimeout, unsafe.Pointer(&v)); err != nil {
		return 0, w.errorf(fmt.Sprintf("set timeout %d s (WDIOC_SETTIMEOUT)", secs), err)
	}
	return time.Duration(v) * time.Second, nil
}

// Timeout returns the timeout.
func (w *Watchdog) Timeout() (time.Duration, error) {
	var v int32
	if err := w.dev.ioctl(reqGetTimeout, unsafe.Pointer(&v)); err != nil {
		return 0, w.errorf("get timeout (WDIOC_GETTIMEOUT)", err)
	}
	return time.Duration(v) * time.Second, nil
}

// Keepalive feeds the dog: the timeout starts again.
func (w *Watchdog) Keepalive() error {
	var unused int32 // the kernel ignores the argument
	if err := w.dev.ioctl(reqKeepalive, unsafe.Pointer(&unused)); err != nil {
		return w.errorf("keepalive (WDIOC_KEEPALIVE)", err)
	}
	return nil
}

// BootStatus returns why the machine last reset as the driver knows it:
// FlagCardReset means the watchdog reset it.
func (w *Watchdog) BootStatus() (Flags, error) {
	var v int32
	if err := w.dev.ioctl(reqGetBootStatus, unsafe.Pointer(&v)); err != nil {
		return 0, w.errorf("boot status (WDIOC_GETBOOTSTATUS)", err)
	}
	return Flags(uint32(v)), nil
}

// Close closes the device and leaves the watchdog armed (unless the
// driver lacks FlagMagicClose; see the package documentation).
func (w *Watchdog) Close() error {
	if err := w.dev.close(); err != nil {
		return w.errorf("close", err)
	}
	return nil
}

// Disarm writes the magic character 'V' and closes the device, which
// stops the watchdog unless the kernel's nowayout forbids it. Call it
// only on a clean, intended stop. If the write fails the device is
// closed all the same and the watchdog stays armed.
func (w *Watchdog) Disarm() error {
	werr := w.dev.write([]byte("V"))
	cerr := w.dev.close()
	if werr != nil {
		return w.errorf("disarm: write 'V'", werr)
	}
	if cerr != nil {
		return w.errorf("disarm: close", cerr)
	}
	return nil
}

func (w *Watchdog) errorf(what string, err error) error {
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("watchdog: %s: %s: %w (the driver does not support it)", w.path, what, err)
	}
	return fmt.Errorf("watchdog: %s: %s: %w", w.path, what, err)
}

// fileDevice is a real device file.
type fileDevice struct{ f *os.File }

func (d fileDevice) ioctl(req uint, arg unsafe.Pointer) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
	})
	if err != nil {
		// Control fails only on a closed file; say so as os.File does.
		return os.ErrClosed
	}
	if errno != 0 {
		return errno
	}
	return nil
}

func (d fileDevice) write(b []byte) error {
	_, err := d.f.Write(b)
	return err
}

func (d fileDevice) close() error { return d.f.Close() }

// Flags are the WDIOF_ bits: what a driver supports (Info.Options) and
// why the machine last reset (BootStatus).
type Flags uint32

// The WDIOF_ bits.
const (
	FlagOverheat      Flags = unix.WDIOF_OVERHEAT      // reset due to CPU overheat
	FlagFanFault      Flags = unix.WDIOF_FANFAULT      // fan failed
	FlagExtern1       Flags = unix.WDIOF_EXTERN1       // external relay 1
	FlagExtern2       Flags = unix.WDIOF_EXTERN2       // external relay 2
	FlagPowerUnder    Flags = unix.WDIOF_POWERUNDER    // power bad, power fault
	FlagCardReset     Flags = unix.WDIOF_CARDRESET     // the watchdog reset the machine
	FlagPowerOver     Flags = unix.WDIOF_POWEROVER     // power over voltage
	FlagSetTimeout    Flags = unix.WDIOF_SETTIMEOUT    // the timeout can be set
	FlagMagicClose    Flags = unix.WDIOF_MAGICCLOSE    // only 'V' before close stops it
	FlagPretimeout    Flags = unix.WDIOF_PRETIMEOUT    // has a pretimeout
	FlagAlarmOnly     Flags = unix.WDIOF_ALARMONLY     // raises an alarm, does not reset
	FlagKeepalivePing Flags = unix.WDIOF_KEEPALIVEPING // WDIOC_KEEPALIVE works
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagOverheat, "OVERHEAT"}, {FlagFanFault, "FANFAULT"}, {FlagExtern1, "EXTERN1"},
	{FlagExtern2, "EXTERN2"}, {FlagPowerUnder, "POWERUNDER"}, {FlagCardReset, "CARDRESET"},
	{FlagPowerOver, "POWEROVER"}, {FlagSetTimeout, "SETTIMEOUT"}, {FlagMagicClose, "MAGICCLOSE"},
	{FlagPretimeout, "PRETIMEOUT"}, {FlagAlarmOnly, "ALARMONLY"}, {FlagKeepalivePing, "KEEPALIVEPING"},
}

// String names the bits as the header does, without WDIOF_, joined by
// '|'; unknown bits are given in hex.
func (f Flags) String() string {
	var names []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("0x%x", uint32(f)))
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}
