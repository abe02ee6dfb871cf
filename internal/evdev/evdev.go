// Package evdev reads the keyboard for the installer's graphical screens
// from the kernel's input event devices (/dev/input/event*,
// CONFIG_INPUT_EVDEV).
//
// The screen is a framebuffer, not a terminal, so there is no tty to read
// keys from: evdev gives raw key codes from every keyboard (PS/2, USB),
// which are decoded here into the few keys the installer understands, on
// a US layout. Keyboards are found once, at Open; devices without letter
// keys (the ACPI power button, lid switches, mice) are left alone.
package evdev

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/plinth-os/plinth/internal/keys"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoKeyboard is returned by Open when no input device is a keyboard.
var ErrNoKeyboard = errors.New("evdev: no keyboard found")

// Device is one keyboard being read.
type Device struct {
	Path string // e.g. /dev/input/event1
	Name string // e.g. "AT Translated Set 2 keyboard"
}

// Keyboard reads all keyboards found at Open and merges their keys.
type Keyboard struct {
	devices   []Device
	keys      chan keys.Key
	done      chan struct{}
	files     []*os.File
	wg        sync.WaitGroup
	closeOnce func() error

	mu   sync.Mutex
	errs []error // read failures before Close
}

// system is what Open needs from the kernel; tests fake it.
type system struct {
	open  func(path string) (*os.File, error)
	ioctl func(f *os.File, req uint, buf []byte) error
}

// ioctl request numbers: _IOC(_IOC_READ, 'E', nr, len).
func eviocg(nr, size int) uint { return 2<<30 | uint(size)<<16 | 'E'<<8 | uint(nr) }

func eviocgbit(ev, size int) uint { return eviocg(0x20+ev, size) } // EVIOCGBIT
func eviocgname(size int) uint    { return eviocg(0x06, size) }    // EVIOCGNAME
func eviocgled(size int) uint     { return eviocg(0x19, size) }    // EVIOCGLED

const (
	keyBitsLen = keyMax/8 + 1 // bytes in an EV_KEY bitmap
	ledBitsLen = ledMax/8 + 1
	nameLen    = 256
)

func openDevice(path string) (*os.File, error) {
	// Read-write to set the Caps/Num Lock LEDs; read-only is enough to type.
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	return f, err
}

// sysIoctl runs an ioctl that fills buf. It goes through SyscallConn
// rather than Fd, which would put the file in blocking mode and keep
// Close from interrupting a pending Read.
func sysIoctl(f *os.File, req uint, buf []byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(&buf[0])))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// Open finds the keyboards among devRoot/input/event* (devRoot is
// normally /dev) and starts reading them. It fails with ErrNoKeyboard,
// and a list of what it found instead, when there is none.
func Open(devRoot string) (*Keyboard, error) {
	return open(devRoot, system{open: openDevice, ioctl: sysIoctl})
}

func open(devRoot string, sys system) (*Keyboard, error) {
	dir := filepath.Join(devRoot, "input")
	paths, err := filepath.Glob(filepath.Join(dir, "event*"))
	if err != nil {
		return nil, fmt.Errorf("evdev: %w", err)
	}
	sort.Slice(paths, func(i, j int) bool { return eventNumber(paths[i]) < eventNumber(paths[j]) })

	k := &Keyboard{keys: make(chan keys.Key, 64), done: make(chan struct{})}
	var decoders []decoder
	var skipped []string
	for _, p := range paths {
		f, dev, dec, err := probe(p, sys)
		if err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		k.devices = append(k.devices, dev)
		k.files = append(k.files, f)
		decoders = append(decoders, dec)
	}
	if len(k.devices) == 0 {
		if len(paths) == 0 {
			return nil, fmt.Errorf("%w: no input devices in %s (the kernel needs CONFIG_INPUT_EVDEV, /dev must be devtmpfs)", ErrNoKeyboard, dir)
		}
		return nil, fmt.Errorf("%w among %d input devices in %s: %s; plug in a keyboard or use the serial console",
			ErrNoKeyboard, len(paths), dir, strings.Join(skipped, "; "))
	}
	k.wg.Add(len(k.files))
	for i, f := range k.files {
		go k.read(f, k.devices[i], decoders[i])
	}
	go func() {
		k.wg.Wait()
		close(k.keys)
	}()
	k.closeOnce = sync.OnceValue(k.shutdown)
	return k, nil
}

// label names a device in messages: event3 "Power Button".
func (d Device) label() string {
	if d.Name == "" {
		return filepath.Base(d.Path)
	}
	return fmt.Sprintf("%s %q", filepath.Base(d.Path), d.Name)
}

// eventNumber orders event2 before event10.
func eventNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "event"))
	if err != nil {
		return -1
	}
	return n
}

// probe opens path and keeps it if it is a keyboard; otherwise the error
// says what the device is, for Open's report.
func probe(path string, sys system) (*os.File, Device, decoder, error) {
	f, err := sys.open(path)
	if err != nil {
		return nil, Device{}, decoder{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	dev := Device{Path: path}
	name := make([]byte, nameLen)
	if sys.ioctl(f, eviocgname(nameLen), name) == nil {
		dev.Name = string(bytes.TrimRight(name, "\x00"))
	}
	keys := make([]byte, keyBitsLen)
	if err := sys.ioctl(f, eviocgbit(evKey, keyBitsLen), keys); err != nil {
		f.Close()
		return nil, dev, decoder{}, fmt.Errorf("%s: EVIOCGBIT(EV_KEY): %w", dev.label(), err)
	}
	if !isKeyboard(keys) {
		f.Close()
		return nil, dev, decoder{}, fmt.Errorf("%s: no letter keys", dev.label())
	}
	var dec decoder
	leds := make([]byte, ledBitsLen)
	if sys.ioctl(f, eviocgled(ledBitsLen), leds) == nil {
		// Start from the lock states the keyboard shows.
		dec.caps = hasBit(leds, ledCapsL)
		dec.num = hasBit(leds, ledNumL)
	}
	return f, dev, dec, nil
}

// isKeyboard reports whether an EV_KEY bitmap has Enter and every letter:
// a keyboard, not a power button, a media remote or a mouse.
func isKeyboard(keys []byte) bool {
	for _, row := range [][2]int{{keyQ, keyP}, {keyA, keyL}, {keyZ, keyM}, {keyEnter, keyEnter}} {
		for c := row[0]; c <= row[1]; c++ {
			if !hasBit(keys, c) {
				return false
			}
		}
	}
	return true
}

func hasBit(bits []byte, n int) bool {
	return n/8 < len(bits) && bits[n/8]&(1<<(n%8)) != 0
}

// read decodes one device's events until it fails or is closed.
func (k *Keyboard) read(f *os.File, dev Device, dec decoder) {
	defer k.wg.Done()
	buf := make([]byte, 64*eventSize)
	held := 0 // bytes of an incomplete event carried over
	for {
		n, err := f.Read(buf[held:])
		held += n
		whole := held - held%eventSize
		for off := 0; off < whole; off += eventSize {
			caps, num := dec.caps, dec.num
			key, ok := dec.feed(parseEvent(buf[off : off+eventSize]))
			if dec.caps != caps || dec.num != num {
				f.Write(dec.ledReport()) // cosmetic: a read-only device keeps its LEDs
			}
			if ok {
				select {
				case k.keys <- key:
				case <-k.done:
					return
				}
			}
		}
		held = copy(buf, buf[whole:held])
		if err != nil {
			select {
			case <-k.done:
			default:
				k.mu.Lock()
				k.errs = append(k.errs, fmt.Errorf("evdev: %s stopped: %w", dev.label(), err))
				k.mu.Unlock()
			}
			return
		}
	}
}

// Keys delivers keypresses from all keyboards. It is closed after Close,
// or when every keyboard has gone away.
func (k *Keyboard) Keys() <-chan keys.Key { return k.keys }

// Devices lists the keyboards being read, for the log.
func (k *Keyboard) Devices() []Device { return append([]Device(nil), k.devices...) }

// Close stops reading and closes the devices; Keys is closed once every
// reader has stopped. It reports devices that had failed before. Calling
// it again returns the same result.
func (k *Keyboard) Close() error { return k.closeOnce() }

func (k *Keyboard) shutdown() error {
	close(k.done)
	var errs []error
	for _, f := range k.files {
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("evdev: %w", err))
		}
	}
	k.wg.Wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	return errors.Join(append(k.errs, errs...)...)
}
