package power

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawEvent encodes an input_event as the kernel does on this machine.
func rawEvent(typ, code uint16, value int32) []byte {
	b := make([]byte, EventSize)
	binary.NativeEndian.PutUint64(b, 1700000000) // tv_sec
	binary.NativeEndian.PutUint16(b[EventSize-8:], typ)
	binary.NativeEndian.PutUint16(b[EventSize-6:], code)
	binary.NativeEndian.PutUint32(b[EventSize-4:], uint32(value))
	return b
}

func TestParseEvents(t *testing.T) {
	if want := int(unsafe.Sizeof(unix.Timeval{})) + 8; EventSize != want {
		t.Fatalf("EventSize = %d, but struct input_event is %d bytes here", EventSize, want)
	}
	var b []byte
	b = append(b, rawEvent(EvKey, KeyPower, 1)...)
	b = append(b, rawEvent(0, 0, 0)...) // SYN_REPORT
	b = append(b, rawEvent(EvKey, KeyPower, 0)...)
	b = append(b, rawEvent(EvKey, KeyPower, 2)...)
	b = append(b, rawEvent(EvKey, 30, 1)...) // KEY_A
	b = append(b, rawEvent(0x04, 4, -5)...)  // EV_MSC, negative value
	evs, err := ParseEvents(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{EvKey, KeyPower, 1}, {0, 0, 0}, {EvKey, KeyPower, 0}, {EvKey, KeyPower, 2}, {EvKey, 30, 1}, {4, 4, -5}}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Errorf("ParseEvents = %v, want %v", evs, want)
	}
	presses := 0
	for _, e := range evs {
		if e.IsPowerPress() {
			presses++
		}
	}
	if presses != 1 {
		t.Errorf("%d power presses, want 1 (release and repeat do not count)", presses)
	}
	if _, err := ParseEvents(b[:30]); err == nil {
		t.Error("partial event accepted")
	}
	if evs, err := ParseEvents(nil); err != nil || len(evs) != 0 {
		t.Errorf("empty: %v, %v", evs, err)
	}
}

func TestHasBit(t *testing.T) {
	tests := []struct {
		bitmap string
		bit    int
		want   bool
		err    bool
	}{
		{"10000000000000 0", KeyPower, true, false}, // QEMU's ACPI power button
		{"10000000000000 0", 115, false, false},     // neighbour bit
		{"0", KeyPower, false, false},               // no keys
		{"", KeyPower, false, false},                // empty file
		{"4 0 0", 130, true, false},                 // word 2 bit 2
		{"1", 0, true, false},                       // bit 0
		{"8000000000000000 0", 127, true, false},    // top bit of word 1
		{"402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe", KeyPower, true, false}, // AT keyboard
		{"402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe", 0, false, false},
		{"xyz 0", KeyPower, false, true},
		{"10000000000000000 0", KeyPower, false, true}, // word wider than 64 bits
		{"1", -1, false, true},
	}
	for _, tt := range tests {
		got, err := HasBit(tt.bitmap, tt.bit)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("HasBit(%q, %d) = %v, %v; want %v, err %v", tt.bitmap, tt.bit, got, err, tt.want, tt.err)
		}
	}
}

// fakeInput creates sysfs capability files for event devices.
func fakeInput(t *testing.T, caps map[string]string) (sys, dev string) {
	sys, dev = t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(dev, "input"), 0o755)
	for name, c := range caps {
		dir := filepath.Join(sys, "class", "input", name, "device", "capabilities")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "key"), []byte(c+"\n"), 0o644)
	}
	return sys, dev
}

func TestPowerButtons(t *testing.T) {
	sys, _ := fakeInput(t, map[string]string{
		"event0": "10000000000000 0", // power button
		"event1": "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe",
		"event2": "0", // mouse
		"event3": "garbage",
	})
	if got := strings.Join(PowerButtons(sys), ","); got != "event0,event1" {
		t.Errorf("PowerButtons = %s", got)
	}
}

func TestWatch(t *testing.T) {
	sys, dev := fakeInput(t, map[string]string{"event0": "10000000000000 0"})
	fifo := filepath.Join(dev, "input", "event0")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	// O_RDWR on a FIFO does not block, and lets the watcher's open succeed.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	presses := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		ButtonWatcher{SysRoot: sys, DevRoot: dev, Rescan: 50 * time.Millisecond}.Watch(ctx, presses)
		close(done)
	}()
	w.Write(append(rawEvent(EvKey, 30, 1), rawEvent(EvKey, KeyPower, 0)...)) // not a press
	select {
	case <-presses:
		t.Fatal("press reported for other keys")
	case <-time.After(200 * time.Millisecond):
	}
	w.Write(append(rawEvent(EvKey, KeyPower, 1), rawEvent(0, 0, 0)...))
	select {
	case <-presses:
	case <-time.After(5 * time.Second):
		t.Fatal("power press not reported")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
}

func TestActionForSignal(t *testing.T) {
	tests := []struct {
		sig  os.Signal
		want Action
		ok   bool
	}{
		{unix.SIGTERM, PowerOff, true},
		{unix.SIGINT, PowerOff, true},
		{unix.SIGPWR, PowerOff, true},
		{unix.SIGHUP, Reboot, true},
		{unix.SIGUSR1, 0, false},
	}
	for _, tt := range tests {
		a, ok := ActionForSignal(tt.sig)
		if a != tt.want || ok != tt.ok {
			t.Errorf("ActionForSignal(%v) = %v, %v", tt.sig, a, ok)
		}
	}
	for _, s := range Signals() {
		if _, ok := ActionForSignal(s); !ok {
			t.Errorf("%v in Signals but not mapped", s)
		}
	}
}

// fakeSteps records every operation.
func fakeSteps(unmountErrs map[string][]error) (*[]string, Steps) {
	var calls []string
	s := Steps{
		StopServices: func() { calls = append(calls, "stop") },
		KillAll:      func(sig unix.Signal) { calls = append(calls, "kill "+unix.SignalName(sig)) },
		Sync:         func() { calls = append(calls, "sync") },
		Mount: func(source, target, fstype string, flags uintptr, data string) error {
			calls = append(calls, fmt.Sprintf("remount-ro %s %v", target, flags == unix.MS_REMOUNT|unix.MS_RDONLY))
			return nil
		},
		Unmount: func(target string, flags int) error {
			calls = append(calls, fmt.Sprintf("umount %s %d", target, flags))
			if errs := unmountErrs[target]; len(errs) > 0 && flags == 0 {
				err := errs[0]
				unmountErrs[target] = errs[1:]
				return err
			}
			return nil
		},
		Reboot:      func(cmd int) error { calls = append(calls, fmt.Sprintf("reboot %#x", cmd)); return nil },
		Sleep:       func(time.Duration) {},
		MountPoints: []string{"/data", "/boot/efi"},
	}
	return &calls, s
}

func TestShutdown(t *testing.T) {
	calls, s := fakeSteps(map[string][]error{"/boot/efi": {unix.EINVAL}})
	var out strings.Builder
	s.Out = &out
	if err := Shutdown(PowerOff, s); err != nil {
		t.Fatal(err)
	}
	want := "stop,kill SIGTERM,kill SIGKILL,sync,umount /data 0,umount /boot/efi 0,sync,reboot 0x4321fedc"
	if got := strings.Join(*calls, ","); got != want {
		t.Errorf("calls =\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(out.String(), "Powering off.") {
		t.Errorf("output: %q", out.String())
	}

	calls, s = fakeSteps(nil)
	Shutdown(Reboot, s)
	if last := (*calls)[len(*calls)-1]; last != fmt.Sprintf("reboot %#x", unix.LINUX_REBOOT_CMD_RESTART) {
		t.Errorf("reboot used %s", last)
	}
}

func TestShutdownBusyMount(t *testing.T) {
	calls, s := fakeSteps(map[string][]error{"/data": {unix.EBUSY, unix.EBUSY, unix.EBUSY}})
	var out strings.Builder
	s.Out = &out
	s.MountPoints = []string{"/data"}
	Shutdown(PowerOff, s)
	got := strings.Join(*calls, ",")
	if !strings.Contains(got, "umount /data 0,umount /data 0,umount /data 0,remount-ro /data true,umount /data 2,sync,reboot") {
		t.Errorf("calls = %s", got)
	}
	if !strings.Contains(out.String(), "remounted read-only") {
		t.Errorf("no warning: %q", out.String())
	}

	calls, s = fakeSteps(map[string][]error{"/data": {unix.EBUSY, nil}})
	s.MountPoints = []string{"/data"}
	Shutdown(PowerOff, s)
	if got := strings.Join(*calls, ","); strings.Contains(got, "remount") {
		t.Errorf("retry did not succeed quietly: %s", got)
	}
}

func TestShutdownRebootFails(t *testing.T) {
	_, s := fakeSteps(nil)
	s.Reboot = func(int) error { return unix.EPERM }
	if err := Shutdown(PowerOff, s); !errors.Is(err, unix.EPERM) {
		t.Errorf("Shutdown = %v", err)
	}
}
