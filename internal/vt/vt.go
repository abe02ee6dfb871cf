// Package vt hands the screen over from the Linux text console to a
// program that draws graphics on the framebuffer, and back.
//
// fbcon draws the virtual terminal's text (kernel messages, a blinking
// cursor, echoed keys) on the same framebuffer the installer paints; in
// KD_GRAPHICS mode the kernel stops drawing that VT. The keyboard is also
// turned off for the VT (K_OFF), so keys read through evdev do not also
// land in the VT's input queue, where they would be read a second time by
// anything reading the console, or become Ctrl-C for its foreground
// process. Both are undone by the restore function.
package vt

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// From linux/kd.h.
const (
	kdSetMode   = 0x4B3A // KDSETMODE
	kdText      = 0x00   // KD_TEXT
	kdGraphics  = 0x01   // KD_GRAPHICS
	kdGetKbMode = 0x4B44 // KDGKBMODE
	kdSetKbMode = 0x4B45 // KDSKBMODE
	kUnicode    = 0x03   // K_UNICODE
	kOff        = 0x04   // K_OFF
)

// tty is the handful of system calls Graphics needs; tests fake them.
type tty struct {
	open func(path string) (*os.File, error)
	set  func(fd int, req uint, value int) error
	get  func(fd int, req uint) (int, error)
}

func openTTY(path string) (*os.File, error) {
	// O_NOCTTY: the installer must not acquire the VT as its controlling
	// terminal (it would then get SIGINT/SIGHUP from it).
	return os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
}

// Graphics switches the virtual terminal at ttyPath (e.g. /dev/tty0, the
// VT on screen) to graphics mode with its keyboard off. Call restore
// before handing the screen back to text (e.g. before printing a final
// message there); it is safe to call more than once. Leaving it uncalled
// is harmless at power-off: the mode only lives in the kernel.
func Graphics(ttyPath string) (restore func() error, err error) {
	return tty{open: openTTY, set: unix.IoctlSetInt, get: unix.IoctlGetInt}.graphics(ttyPath)
}

func (t tty) graphics(path string) (func() error, error) {
	f, err := t.open(path)
	if err != nil {
		return nil, fmt.Errorf("vt: %w (the kernel needs CONFIG_VT and /dev must be devtmpfs)", err)
	}
	fd := int(f.Fd())
	kb, err := t.get(fd, kdGetKbMode)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vt: %s: KDGKBMODE: %w (is it a virtual terminal? serial lines are not)", path, err)
	}
	if kb == kOff {
		kb = kUnicode // left off by a run that did not restore; give the keyboard back
	}
	if err := t.set(fd, kdSetMode, kdGraphics); err != nil {
		f.Close()
		return nil, fmt.Errorf("vt: %s: KDSETMODE KD_GRAPHICS: %w (fbcon will keep drawing text over the screen)", path, err)
	}
	if err := t.set(fd, kdSetKbMode, kOff); err != nil {
		err = fmt.Errorf("vt: %s: KDSKBMODE K_OFF: %w", path, err)
		if e := t.set(fd, kdSetMode, kdText); e != nil {
			err = errors.Join(err, fmt.Errorf("vt: %s: back to KD_TEXT: %w", path, e))
		}
		f.Close()
		return nil, err
	}
	return sync.OnceValue(func() error {
		var errs []error
		if err := t.set(fd, kdSetKbMode, kb); err != nil {
			errs = append(errs, fmt.Errorf("vt: %s: KDSKBMODE %d: %w (the console keyboard stays off)", path, kb, err))
		}
		if err := t.set(fd, kdSetMode, kdText); err != nil {
			errs = append(errs, fmt.Errorf("vt: %s: KDSETMODE KD_TEXT: %w (the console stays blank)", path, err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("vt: %w", err))
		}
		return errors.Join(errs...)
	}), nil
}
