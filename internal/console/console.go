// Package console talks to the people and machines watching the kernel
// consoles. The kernel may have several (a VT on the screen and a serial
// port); /dev/console is only the last of them, so we open each active
// one: text for people goes to all, and keys are read from all.
// Machine-readable events go to the serial consoles, where automation
// listens, and stay off the screen.
package console

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Set is the open consoles.
type Set struct {
	ttys   []*os.File
	serial []*os.File
	saved  map[*os.File]*unix.Termios
	mu     sync.Mutex
}

// ActiveNames lists the kernel's active consoles (e.g. "tty0", "ttyS0")
// from sysRoot/class/tty/console/active.
func ActiveNames(sysRoot string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(sysRoot, "class", "tty", "console", "active"))
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// IsSerial reports whether a console name is a serial port.
func IsSerial(name string) bool {
	return strings.HasPrefix(name, "ttyS") || strings.HasPrefix(name, "ttyAMA") || strings.HasPrefix(name, "hvc")
}

// Open opens the active consoles, or /dev/console when none are listed.
// tty0 means "the current VT": opened as such it follows VT switches.
func Open(sysRoot, devRoot string) (*Set, error) {
	names, err := ActiveNames(sysRoot)
	if err != nil || len(names) == 0 {
		names = []string{"console"}
	}
	s := &Set{saved: map[*os.File]*unix.Termios{}}
	for _, n := range names {
		f, err := os.OpenFile(filepath.Join(devRoot, n), os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			continue // a console that cannot be opened is not fatal while another works
		}
		s.ttys = append(s.ttys, f)
		if IsSerial(n) {
			s.serial = append(s.serial, f)
		}
	}
	if len(s.ttys) == 0 {
		return nil, fmt.Errorf("console: none of %v could be opened", names)
	}
	if len(s.serial) == 0 {
		s.serial = s.ttys // no serial console: events go wherever we can write
	}
	return s, nil
}

// Serial returns the serial consoles alone (or the same set when there
// are none), for when the screen shows graphics and must not get text
// or give keys twice.
func (s *Set) Serial() *Set {
	if len(s.serial) == len(s.ttys) {
		return s
	}
	return &Set{ttys: s.serial, serial: s.serial, saved: map[*os.File]*unix.Termios{}}
}

// Text is a writer to every console (for people).
func (s *Set) Text() io.Writer { return multi(s.ttys) }

// Events is a writer to the serial consoles (for automation).
func (s *Set) Events() io.Writer { return multi(s.serial) }

// multi writes to every file, ignoring a console that fails so one broken
// port cannot silence the others.
type multi []*os.File

func (m multi) Write(p []byte) (int, error) {
	for _, f := range m {
		f.Write(p)
	}
	return len(p), nil
}

// Keys puts every console in raw input mode and returns a channel of the
// bytes typed on any of them.
func (s *Set) Keys() <-chan byte {
	ch := make(chan byte, 16)
	for _, f := range s.ttys {
		s.makeRaw(f)
		go func(f *os.File) {
			buf := make([]byte, 64)
			for {
				n, err := f.Read(buf)
				for _, b := range buf[:n] {
					ch <- b
				}
				if err != nil {
					return
				}
			}
		}(f)
	}
	return ch
}

// makeRaw turns off line buffering and echo but keeps output processing,
// so "\n" still returns the carriage.
func (s *Set) makeRaw(f *os.File) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return
	}
	s.mu.Lock()
	saved := *t
	s.saved[f] = &saved
	s.mu.Unlock()
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Iflag &^= unix.ICRNL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

// Restore puts the consoles back in the mode they were in.
func (s *Set) Restore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for f, t := range s.saved {
		unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
	}
}
