package watchdog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeDevice plays a watchdog driver at the ioctl level.
type fakeDevice struct {
	calls   []string // "ioctl 0x...=value", "write V", "close"
	timeout int32
	adjust  func(int32) int32 // what the driver makes of a timeout
	info    unix.WatchdogInfo
	status  int32
	fail    map[uint]error // per request
}

func (d *fakeDevice) ioctl(req uint, arg unsafe.Pointer) error {
	if err := d.fail[req]; err != nil {
		d.calls = append(d.calls, fmt.Sprintf("ioctl %#x failed", req))
		return err
	}
	switch req {
	case unix.WDIOC_GETSUPPORT:
		*(*unix.WatchdogInfo)(arg) = d.info
		d.calls = append(d.calls, fmt.Sprintf("ioctl %#x", req))
		return nil
	case unix.WDIOC_SETTIMEOUT:
		p := (*int32)(arg)
		d.calls = append(d.calls, fmt.Sprintf("ioctl %#x=%d", req, *p))
		d.timeout = *p
		if d.adjust != nil {
			d.timeout = d.adjust(*p)
		}
		*p = d.timeout
	case unix.WDIOC_GETTIMEOUT:
		*(*int32)(arg) = d.timeout
	case unix.WDIOC_GETBOOTSTATUS:
		*(*int32)(arg) = d.status
	case unix.WDIOC_KEEPALIVE:
	default:
		return unix.ENOTTY
	}
	if req != unix.WDIOC_SETTIMEOUT {
		d.calls = append(d.calls, fmt.Sprintf("ioctl %#x", req))
	}
	return nil
}

func (d *fakeDevice) write(b []byte) error {
	d.calls = append(d.calls, "write "+string(b))
	return nil
}

func (d *fakeDevice) close() error {
	d.calls = append(d.calls, "close")
	return nil
}

func onFake(d *fakeDevice) *Watchdog { return &Watchdog{path: "/dev/watchdog0", dev: d} }

func TestIdentity(t *testing.T) {
	d := &fakeDevice{}
	d.info.Options = unix.WDIOF_SETTIMEOUT | unix.WDIOF_MAGICCLOSE | unix.WDIOF_KEEPALIVEPING
	d.info.Version = 7
	copy(d.info.Identity[:], "iTCO_wdt")
	info, err := onFake(d).Identity()
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Identity: "iTCO_wdt", FirmwareVersion: 7, Options: FlagSetTimeout | FlagMagicClose | FlagKeepalivePing}
	if info != want {
		t.Errorf("Identity = %+v, want %+v", info, want)
	}
	if s := info.Options.String(); s != "SETTIMEOUT|MAGICCLOSE|KEEPALIVEPING" {
		t.Errorf("Options.String() = %q", s)
	}
	// A full 32-byte identity has no NUL.
	copy(d.info.Identity[:], strings.Repeat("x", 32))
	if info, _ := onFake(d).Identity(); len(info.Identity) != 32 {
		t.Errorf("Identity of a full name = %q", info.Identity)
	}
}

func TestSetTimeout(t *testing.T) {
	tests := []struct {
		ask     time.Duration
		adjust  func(int32) int32
		sent    string
		want    time.Duration
		wantErr string
	}{
		{30 * time.Second, nil, "ioctl 0xc0045706=30", 30 * time.Second, ""},
		{1500 * time.Millisecond, nil, "ioctl 0xc0045706=2", 2 * time.Second, ""},
		// The driver counts in units of 4 s.
		{30 * time.Second, func(v int32) int32 { return (v + 3) / 4 * 4 }, "ioctl 0xc0045706=30", 32 * time.Second, ""},
		{0, nil, "", 0, "want at least 1 s"},
		{-time.Second, nil, "", 0, "want at least 1 s"},
	}
	for _, tt := range tests {
		d := &fakeDevice{adjust: tt.adjust}
		got, err := onFake(d).SetTimeout(tt.ask)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(d.calls) != 0 {
				t.Errorf("SetTimeout(%v): err %v, calls %q; want %q and no ioctl", tt.ask, err, d.calls, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || !slices.Equal(d.calls, []string{tt.sent}) {
			t.Errorf("SetTimeout(%v) = %v, %v, calls %q; want %v, calls [%s]", tt.ask, got, err, d.calls, tt.want, tt.sent)
		}
		if got, err := onFake(d).Timeout(); err != nil || got != tt.want {
			t.Errorf("Timeout() = %v, %v; want %v", got, err, tt.want)
		}
	}
}

func TestRequests(t *testing.T) {
	d := &fakeDevice{status: unix.WDIOF_CARDRESET}
	w := onFake(d)
	if err := w.Keepalive(); err != nil {
		t.Fatal(err)
	}
	if st, err := w.BootStatus(); err != nil || st != FlagCardReset {
		t.Errorf("BootStatus = %v, %v; want CARDRESET", st, err)
	}
	want := []string{"ioctl 0x80045705", "ioctl 0x80045702"}
	if !slices.Equal(d.calls, want) {
		t.Errorf("calls %q, want %q", d.calls, want)
	}
}

func TestErrors(t *testing.T) {
	d := &fakeDevice{fail: map[uint]error{unix.WDIOC_SETTIMEOUT: unix.EOPNOTSUPP, unix.WDIOC_KEEPALIVE: unix.EIO}}
	w := onFake(d)
	_, err := w.SetTimeout(10 * time.Second)
	if !errors.Is(err, unix.EOPNOTSUPP) || !strings.Contains(err.Error(), "/dev/watchdog0: set timeout 10 s") ||
		!strings.Contains(err.Error(), "does not support") {
		t.Errorf("SetTimeout: err = %v", err)
	}
	if err := w.Keepalive(); !errors.Is(err, unix.EIO) {
		t.Errorf("Keepalive: err = %v, want EIO", err)
	}
}

func TestCloseAndDisarm(t *testing.T) {
	tests := []struct {
		name  string
		close func(*Watchdog) error
		want  []string
	}{
		{"close", (*Watchdog).Close, []string{"close"}},
		{"disarm", (*Watchdog).Disarm, []string{"write V", "close"}},
	}
	for _, tt := range tests {
		d := &fakeDevice{}
		if err := tt.close(onFake(d)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.calls, tt.want) {
			t.Errorf("%s: calls %q, want %q", tt.name, d.calls, tt.want)
		}
	}
}

// ioc encodes an ioctl request as the asm-generic header does
// (include/uapi/asm-generic/ioctl.h): nr in bits 0-7, type 8-15, size
// 16-29, direction 30-31 (1 write, 2 read).
func ioc(dir, typ, nr, size uint) uint {
	return dir<<30 | size<<16 | typ<<8 | nr
}

func TestRequestEncoding(t *testing.T) {
	switch runtime.GOARCH {
	case "amd64", "386", "arm64", "arm", "riscv64", "loong64", "s390x":
	default:
		t.Skipf("%s does not use the asm-generic ioctl encoding", runtime.GOARCH)
	}
	const read, write = 2, 1
	info := uint(unsafe.Sizeof(unix.WatchdogInfo{}))
	if info != 40 {
		t.Fatalf("sizeof(struct watchdog_info) = %d, want 40 (u32 options, u32 firmware_version, u8 identity[32])", info)
	}
	// From include/uapi/linux/watchdog.h.
	tests := []struct {
		name   string
		got    uint
		header uint // the value the header's macro gives on x86_64
		want   uint
	}{
		{"WDIOC_GETSUPPORT _IOR('W', 0, struct watchdog_info)", reqGetSupport, 0x80285700, ioc(read, 'W', 0, info)},
		{"WDIOC_GETBOOTSTATUS _IOR('W', 2, int)", reqGetBootStatus, 0x80045702, ioc(read, 'W', 2, 4)},
		{"WDIOC_KEEPALIVE _IOR('W', 5, int)", reqKeepalive, 0x80045705, ioc(read, 'W', 5, 4)},
		{"WDIOC_SETTIMEOUT _IOWR('W', 6, int)", reqSetTimeout, 0xc0045706, ioc(read|write, 'W', 6, 4)},
		{"WDIOC_GETTIMEOUT _IOR('W', 7, int)", reqGetTimeout, 0x80045707, ioc(read, 'W', 7, 4)},
	}
	for _, tt := range tests {
		if tt.got != tt.want || tt.got != tt.header {
			t.Errorf("%s = %#x, want %#x (header %#x)", tt.name, tt.got, tt.want, tt.header)
		}
	}
	if unix.WDIOF_MAGICCLOSE != 0x0100 || unix.WDIOF_KEEPALIVEPING != 0x8000 || unix.WDIOF_CARDRESET != 0x0020 {
		t.Error("WDIOF_ bits differ from include/uapi/linux/watchdog.h")
	}
}

// TestRealDeviceFile runs the real device code on /dev/null, which is no
// watchdog: the ioctls must reach the kernel and come back ENOTTY. The
// host's /dev/watchdog* are never touched: opening one would start it.
func TestRealDeviceFile(t *testing.T) {
	w, err := Open("/dev/null")
	if err != nil {
		t.Skip(err)
	}
	if _, err := w.Identity(); !errors.Is(err, unix.ENOTTY) || !strings.Contains(err.Error(), "does not support") {
		t.Errorf("Identity on /dev/null: err = %v, want ENOTTY", err)
	}
	if err := w.Keepalive(); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Keepalive on /dev/null: err = %v, want ENOTTY", err)
	}
	if err := w.Disarm(); err != nil {
		t.Errorf("Disarm: %v", err)
	}
	if err := w.Keepalive(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Keepalive after Disarm: err = %v, want os.ErrClosed", err)
	}
	missing := filepath.Join(t.TempDir(), "watchdog9")
	if _, err := Open(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(%s): err = %v", missing, err)
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, "0"},
		{FlagCardReset, "CARDRESET"},
		{FlagOverheat | FlagAlarmOnly | 0x10000, "OVERHEAT|ALARMONLY|0x10000"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint32(tt.f), got, tt.want)
		}
	}
}
