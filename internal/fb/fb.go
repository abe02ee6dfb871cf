// Package fb puts an image on the screen through the Linux framebuffer
// device (/dev/fb0), which is all the installer and the appliance's status
// screen have: the kernels carry the EFI framebuffer (CONFIG_FB_EFI) and
// no DRM driver, and the target side has no C, so no libdrm either.
//
// The device's mode is read with the FBIOGET_VSCREENINFO and
// FBIOGET_FSCREENINFO ioctls, its memory is mapped, and each Draw converts
// an *image.RGBA into the pixel format the firmware chose (usually
// XRGB8888, sometimes BGR or 16-bit) honouring the line length, which is
// often wider than the visible width. The conversion is the pure function
// Convert, so it is tested without a device.
//
// Text that fbcon draws on the same screen is stopped with package vt.
package fb

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Device is an open, mapped framebuffer. Its methods are safe for
// concurrent use.
type Device struct {
	name   string
	layout Layout
	origin int // byte offset of the visible area's top-left in mem

	mu    sync.Mutex
	f     *os.File
	mem   []byte
	unmap func([]byte) error
}

// ioctlFunc runs one ioctl whose argument is a pointer; tests replace it.
type ioctlFunc func(fd uintptr, req uint, arg unsafe.Pointer) error

func sysIoctl(fd uintptr, req uint, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// Open opens and maps the framebuffer at path (normally /dev/fb0).
func Open(path string) (*Device, error) {
	return open(path, sysIoctl)
}

func open(path string, ioctl ioctlFunc) (*Device, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("fb: %w (the kernel needs CONFIG_FB and CONFIG_FB_EFI, the firmware a GOP display, and /dev must be devtmpfs)", err)
	}
	var v varScreenInfo
	var fx fixScreenInfo
	if err := ioctl(f.Fd(), fbiogetVScreenInfo, unsafe.Pointer(&v)); err != nil {
		f.Close()
		return nil, fmt.Errorf("fb: %s: FBIOGET_VSCREENINFO: %w (is it a framebuffer device?)", path, err)
	}
	if err := ioctl(f.Fd(), fbiogetFScreenInfo, unsafe.Pointer(&fx)); err != nil {
		f.Close()
		return nil, fmt.Errorf("fb: %s: FBIOGET_FSCREENINFO: %w (is it a framebuffer device?)", path, err)
	}
	l, origin, length, err := layoutOf(&v, &fx)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (device %s)", err, path)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fb: %s: map %d bytes of video memory: %w", path, length, err)
	}
	return &Device{
		name:   string(bytes.TrimRight(fx.ID[:], "\x00")),
		layout: l,
		origin: origin,
		f:      f,
		mem:    mem,
		unmap:  unix.Munmap,
	}, nil
}

// layoutOf turns the kernel's mode description into a Layout, the offset
// of the visible area in the mapping and the length to map.
func layoutOf(v *varScreenInfo, fx *fixScreenInfo) (l Layout, origin, length int, err error) {
	if fx.Type != fbTypePackedPixels {
		return l, 0, 0, fmt.Errorf("fb: framebuffer type %d is not packed pixels; only packed-pixel framebuffers (efifb, simplefb) are supported", fx.Type)
	}
	if fx.Visual != fbVisualTrueColor && fx.Visual != fbVisualDirectColor {
		return l, 0, 0, fmt.Errorf("fb: visual %d is not true colour; palette modes are not supported, choose a 16/24/32-bit firmware mode", fx.Visual)
	}
	if v.Grayscale != 0 {
		return l, 0, 0, fmt.Errorf("fb: grayscale or FOURCC mode (grayscale=%d) is not supported", v.Grayscale)
	}
	for _, b := range []bitfield{v.Red, v.Green, v.Blue, v.Transp} {
		if b.MsbRight != 0 {
			return l, 0, 0, fmt.Errorf("fb: bit-reversed colour channels (msb_right) are not supported")
		}
	}
	ch := func(b bitfield) Channel { return Channel{Offset: int(b.Offset), Length: int(b.Length)} }
	l = Layout{
		Width:        int(v.Xres),
		Height:       int(v.Yres),
		Stride:       int(fx.LineLength),
		BitsPerPixel: int(v.BitsPerPixel),
		Red:          ch(v.Red),
		Green:        ch(v.Green),
		Blue:         ch(v.Blue),
		Alpha:        ch(v.Transp),
	}
	if err := l.Validate(); err != nil {
		return l, 0, 0, err
	}
	length = int(fx.SmemLen)
	if length == 0 {
		length = int(fx.LineLength) * int(v.YresVirtual)
	}
	origin = int(v.Yoffset)*l.Stride + int(v.Xoffset)*l.BitsPerPixel/8
	if end := origin + (l.Height-1)*l.Stride + l.Width*l.BitsPerPixel/8; l.Height > 0 && end > length {
		return l, 0, 0, fmt.Errorf("fb: mode %s at offset %d needs %d bytes but the framebuffer has %d", l, origin, end, length)
	}
	return l, origin, length, nil
}

// Name is the driver's name for the framebuffer, e.g. "EFI VGA".
func (d *Device) Name() string { return d.name }

// Size is the visible resolution in pixels.
func (d *Device) Size() image.Point { return image.Pt(d.layout.Width, d.layout.Height) }

// Layout is the pixel format and geometry, for logs.
func (d *Device) Layout() Layout { return d.layout }

// Draw puts img on the screen: img.Bounds().Min at the top-left corner,
// clipped to Size. Screen areas img does not cover keep what they had.
func (d *Device) Draw(img *image.RGBA) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mem == nil {
		return fmt.Errorf("fb: draw on a closed framebuffer")
	}
	return Convert(d.mem[d.origin:], d.layout, img)
}

// Close unmaps the framebuffer and closes the device. The picture stays
// on the screen.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mem == nil {
		return nil
	}
	errUnmap := d.unmap(d.mem)
	d.mem = nil
	errClose := d.f.Close()
	if errUnmap != nil {
		return fmt.Errorf("fb: unmap: %w", errUnmap)
	}
	if errClose != nil {
		return fmt.Errorf("fb: close: %w", errClose)
	}
	return nil
}
