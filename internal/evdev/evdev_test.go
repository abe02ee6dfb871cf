package evdev

import (
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/keys"

	"golang.org/x/sys/unix"
)

// fakeDevice is an input device: the reader's end of a socket pair
// stands in for /dev/input/eventN, the test writes events into the other
// end and reads back what the reader writes (LED reports).
type fakeDevice struct {
	name  string
	codes []int // key codes in its EV_KEY bitmap
	leds  byte  // EVIOCGLED answer
	local *os.File
	peer  *os.File
}

type fakeInput struct {
	t       *testing.T
	devRoot string
	mu      sync.Mutex
	devices map[string]*fakeDevice // by event node name
	byFile  map[*os.File]*fakeDevice
}

func newFakeInput(t *testing.T, devices map[string]*fakeDevice) *fakeInput {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "input")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range append(slices.Sorted(maps.Keys(devices)), "mice", "by-id") {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeInput{t: t, devRoot: root, devices: devices, byFile: map[*os.File]*fakeDevice{}}
}

func (fi *fakeInput) system() system {
	return system{open: fi.open, ioctl: fi.ioctl}
}

func (fi *fakeInput) open(path string) (*os.File, error) {
	d, ok := fi.devices[filepath.Base(path)]
	if !ok {
		fi.t.Errorf("opened %s, which is not an event device", path)
		return nil, os.ErrNotExist
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	d.local = os.NewFile(uintptr(fds[0]), path)
	d.peer = os.NewFile(uintptr(fds[1]), path+" (test end)")
	fi.t.Cleanup(func() { d.peer.Close(); d.local.Close() })
	fi.mu.Lock()
	fi.byFile[d.local] = d
	fi.mu.Unlock()
	return d.local, nil
}

func (fi *fakeInput) ioctl(f *os.File, req uint, buf []byte) error {
	fi.mu.Lock()
	d := fi.byFile[f]
	fi.mu.Unlock()
	switch req {
	case eviocgname(len(buf)):
		copy(buf, d.name)
	case eviocgbit(evKey, len(buf)):
		for _, c := range d.codes {
			buf[c/8] |= 1 << (c % 8)
		}
	case eviocgled(len(buf)):
		buf[0] = d.leds
	default:
		return unix.ENOTTY
	}
	return nil
}

func (d *fakeDevice) send(t *testing.T, evs []event) {
	t.Helper()
	if _, err := d.peer.Write(stream(evs)); err != nil {
		t.Fatal(err)
	}
}

func (d *fakeDevice) closed() bool {
	_, err := d.local.Stat()
	return errors.Is(err, os.ErrClosed)
}

// fullKeyboard is the EV_KEY bitmap of a 105-key keyboard, near enough.
func fullKeyboard() []int {
	var codes []int
	for c := keyEsc; c <= keyKPDot; c++ {
		codes = append(codes, c)
	}
	return append(codes, keyKPEnter, keyRightCtrl, keyKPSlash, keyRightAlt, keyUp, keyLeft, keyDown)
}

func recv(t *testing.T, in <-chan keys.Key) keys.Key {
	t.Helper()
	select {
	case k, ok := <-in:
		if !ok {
			t.Fatal("Keys closed early")
		}
		return k
	case <-time.After(5 * time.Second):
		t.Fatal("no key within 5s")
	}
	return keys.Key{}
}

func waitClosed(t *testing.T, keys <-chan keys.Key) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-keys:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("Keys not closed within 5s")
		}
	}
}

func TestOpenFindsKeyboardsAndMergesThem(t *testing.T) {
	devs := map[string]*fakeDevice{
		"event0":  {name: "Power Button", codes: []int{keyPower}},
		"event1":  {name: "AT Translated Set 2 keyboard", codes: fullKeyboard()},
		"event2":  {name: "PC Speaker"},
		"event3":  {name: "ImExPS/2 Generic Explorer Mouse", codes: []int{btnLeft}},
		"event10": {name: "QEMU QEMU USB Keyboard", codes: fullKeyboard(), leds: 1 << ledCapsL},
	}
	fi := newFakeInput(t, devs)
	kb, err := open(fi.devRoot, fi.system())
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	want := []Device{
		{filepath.Join(fi.devRoot, "input", "event1"), "AT Translated Set 2 keyboard"},
		{filepath.Join(fi.devRoot, "input", "event10"), "QEMU QEMU USB Keyboard"},
	}
	if got := kb.Devices(); !slices.Equal(got, want) {
		t.Errorf("Devices %v, want %v", got, want)
	}
	for _, n := range []string{"event0", "event2", "event3"} {
		if !devs[n].closed() {
			t.Errorf("%s (%s) is not a keyboard but was left open", n, devs[n].name)
		}
	}

	devs["event1"].send(t, tap(keyA))
	if k := recv(t, kb.Keys()); k != (keys.Key{Kind: keys.Rune, Rune: 'a'}) {
		t.Errorf("PS/2 keyboard typed %v, want 'a'", k)
	}
	devs["event10"].send(t, tap(keyA)) // Caps Lock LED was on at Open
	if k := recv(t, kb.Keys()); k != (keys.Key{Kind: keys.Rune, Rune: 'A'}) {
		t.Errorf("USB keyboard typed %v, want 'A'", k)
	}
	devs["event10"].send(t, seq(tap(keyCapsLock), tap(keyEnter)))
	if k := recv(t, kb.Keys()); k != (keys.Key{Kind: keys.Enter}) {
		t.Errorf("got %v, want Enter", k)
	}
	led := make([]byte, 3*eventSize)
	devs["event10"].peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(devs["event10"].peer, led); err != nil {
		t.Fatalf("no LED report after Caps Lock: %v", err)
	}
	if want := (&decoder{}).ledReport(); !slices.Equal(led, want) {
		t.Errorf("LED report % x, want % x (Caps Lock off)", led, want)
	}

	if err := kb.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	waitClosed(t, kb.Keys())
	for _, n := range []string{"event1", "event10"} {
		if !devs[n].closed() {
			t.Errorf("%s still open after Close", n)
		}
	}
	if err := kb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Reads may split an event; the reader must put it back together.
func TestSplitEvents(t *testing.T) {
	devs := map[string]*fakeDevice{"event0": {name: "kbd", codes: fullKeyboard()}}
	fi := newFakeInput(t, devs)
	kb, err := open(fi.devRoot, fi.system())
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	b := stream(seq(tap(keyZ), tap(keyDot)))
	for _, part := range [][]byte{b[:5], b[5 : eventSize+3], b[eventSize+3 : 2*eventSize+23], b[2*eventSize+23:]} {
		if _, err := devs["event0"].peer.Write(part); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := []keys.Key{recv(t, kb.Keys()), recv(t, kb.Keys())}; !slices.Equal(got, runes("z.")) {
		t.Errorf("got %v, want z .", got)
	}
}

// Close must not hang when keys pile up unread.
func TestCloseWithUnreadKeys(t *testing.T) {
	devs := map[string]*fakeDevice{"event0": {name: "kbd", codes: fullKeyboard()}}
	fi := newFakeInput(t, devs)
	kb, err := open(fi.devRoot, fi.system())
	if err != nil {
		t.Fatal(err)
	}
	var evs []event
	for range 200 {
		evs = append(evs, tap(keyA)...)
	}
	devs["event0"].send(t, evs)
	time.Sleep(50 * time.Millisecond) // let the reader fill the channel and block
	done := make(chan error)
	go func() { done <- kb.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung with unread keys")
	}
	waitClosed(t, kb.Keys())
}

// A keyboard that goes away ends its reader; when none is left, Keys
// closes and Close reports what happened.
func TestKeyboardGone(t *testing.T) {
	devs := map[string]*fakeDevice{"event0": {name: "USB kbd", codes: fullKeyboard()}}
	fi := newFakeInput(t, devs)
	kb, err := open(fi.devRoot, fi.system())
	if err != nil {
		t.Fatal(err)
	}
	devs["event0"].send(t, tap(keyM))
	devs["event0"].peer.Close()
	if k := recv(t, kb.Keys()); k != (keys.Key{Kind: keys.Rune, Rune: 'm'}) {
		t.Errorf("got %v, want 'm' sent before unplugging", k)
	}
	waitClosed(t, kb.Keys())
	err = kb.Close()
	if err == nil || !strings.Contains(err.Error(), `event0 "USB kbd" stopped`) {
		t.Errorf("Close: %v, want a report that event0 stopped", err)
	}
}

func TestNoKeyboard(t *testing.T) {
	devs := map[string]*fakeDevice{
		"event0": {name: "Power Button", codes: []int{keyPower}},
		"event1": {name: "Video Bus", codes: []int{224, 225}},
	}
	fi := newFakeInput(t, devs)
	_, err := open(fi.devRoot, fi.system())
	if !errors.Is(err, ErrNoKeyboard) {
		t.Fatalf("error %v, want ErrNoKeyboard", err)
	}
	for _, want := range []string{"among 2 input devices", `event0 "Power Button": no letter keys`, `event1 "Video Bus": no letter keys`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for n, d := range devs {
		if !d.closed() {
			t.Errorf("%s left open", n)
		}
	}
}

func TestIsKeyboard(t *testing.T) {
	bitmap := func(codes []int) []byte {
		b := make([]byte, keyBitsLen)
		for _, c := range codes {
			b[c/8] |= 1 << (c % 8)
		}
		return b
	}
	without := func(drop int) []int {
		return slices.DeleteFunc(fullKeyboard(), func(c int) bool { return c == drop })
	}
	tests := []struct {
		name  string
		codes []int
		want  bool
	}{
		{"full keyboard", fullKeyboard(), true},
		{"power button", []int{keyPower}, false},
		{"mouse", []int{btnLeft, btnLeft + 1, btnLeft + 2}, false},
		{"no Enter", without(keyEnter), false},
		{"no M", without(keyM), false},
		{"no Q", without(keyQ), false},
		{"nothing", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isKeyboard(bitmap(tt.codes)); got != tt.want {
				t.Errorf("isKeyboard = %v, want %v", got, tt.want)
			}
		})
	}
}

// Request numbers as the C macros in linux/input.h compute them.
func TestIoctlNumbers(t *testing.T) {
	tests := []struct {
		name string
		got  uint
		want uint
	}{
		{"EVIOCGBIT(EV_KEY, 96)", eviocgbit(evKey, keyBitsLen), 0x80604521},
		{"EVIOCGNAME(256)", eviocgname(nameLen), 0x81004506},
		{"EVIOCGLED(8)", eviocgled(8), 0x80084519},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}

// With the real ioctl, files that are not input devices are reported,
// and an empty /dev/input points at the kernel config.
func TestOpenRealIoctl(t *testing.T) {
	root := t.TempDir()
	_, err := Open(root)
	if !errors.Is(err, ErrNoKeyboard) || !strings.Contains(err.Error(), "CONFIG_INPUT_EVDEV") {
		t.Errorf("empty dev: %v, want ErrNoKeyboard naming CONFIG_INPUT_EVDEV", err)
	}
	if err := os.Mkdir(filepath.Join(root, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "input", "event0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(root)
	if !errors.Is(err, ErrNoKeyboard) || !strings.Contains(err.Error(), "EVIOCGBIT(EV_KEY): "+unix.ENOTTY.Error()) {
		t.Errorf("plain file: %v, want ErrNoKeyboard with ENOTTY from EVIOCGBIT", err)
	}
}
