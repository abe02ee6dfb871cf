package fb

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeFB answers the two FBIOGET ioctls with fixed mode descriptions, the
// way efifb would; the "device" is a regular file, which maps like one.
type fakeFB struct {
	v            varScreenInfo
	fx           fixScreenInfo
	errV, errF   error
	requestsSeen []uint
}

func (f *fakeFB) ioctl(fd uintptr, req uint, arg unsafe.Pointer) error {
	f.requestsSeen = append(f.requestsSeen, req)
	switch req {
	case fbiogetVScreenInfo:
		if f.errV != nil {
			return f.errV
		}
		*(*varScreenInfo)(arg) = f.v
	case fbiogetFScreenInfo:
		if f.errF != nil {
			return f.errF
		}
		*(*fixScreenInfo)(arg) = f.fx
	default:
		return unix.ENOTTY
	}
	return nil
}

// efifb is what efifb reports for a w x h XRGB8888 mode with the given
// line length.
func efifb(w, h, stride int) *fakeFB {
	f := &fakeFB{
		v: varScreenInfo{
			Xres: uint32(w), Yres: uint32(h), XresVirtual: uint32(w), YresVirtual: uint32(h),
			BitsPerPixel: 32,
			Red:          bitfield{Offset: 16, Length: 8},
			Green:        bitfield{Offset: 8, Length: 8},
			Blue:         bitfield{Offset: 0, Length: 8},
			Transp:       bitfield{Offset: 24, Length: 8},
		},
		fx: fixScreenInfo{
			SmemLen: uint32(stride * h), Type: fbTypePackedPixels, Visual: fbVisualTrueColor,
			LineLength: uint32(stride),
		},
	}
	copy(f.fx.ID[:], "EFI VGA")
	return f
}

// videoMemory creates a file standing in for /dev/fb0, filled with 0xee.
func videoMemory(t *testing.T, size int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fb0")
	if err := os.WriteFile(p, bytes.Repeat([]byte{0xee}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenDrawClose(t *testing.T) {
	fake := efifb(2, 2, 12)
	path := videoMemory(t, 24)
	d, err := open(path, fake.ioctl)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Size(); got != image.Pt(2, 2) {
		t.Errorf("Size %v, want (2,2)", got)
	}
	if got := d.Name(); got != "EFI VGA" {
		t.Errorf("Name %q, want EFI VGA", got)
	}
	if got, want := d.Layout().String(), "2x2 32bpp stride 12 r16:8 g8:8 b0:8 a24:8"; got != want {
		t.Errorf("Layout %q, want %q", got, want)
	}
	if want := []uint{fbiogetVScreenInfo, fbiogetFScreenInfo}; !slices.Equal(fake.requestsSeen, want) {
		t.Errorf("ioctls %#x, want %#x", fake.requestsSeen, want)
	}
	img := rgba(2, 2, c(1, 2, 3, 255), c(4, 5, 6, 255), c(7, 8, 9, 255), c(10, 11, 12, 255))
	if err := d.Draw(img); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		3, 2, 1, 0xff, 6, 5, 4, 0xff, 0xee, 0xee, 0xee, 0xee,
		9, 8, 7, 0xff, 12, 11, 10, 0xff, 0xee, 0xee, 0xee, 0xee,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("video memory\n got  % x\n want % x", got, want)
	}
	if err := d.Draw(img); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Draw after Close: %v, want an error about the closed framebuffer", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A panned mode (yoffset/xoffset) shows memory further in; Draw must
// write where the visible area is.
func TestOpenHonoursPanning(t *testing.T) {
	fake := efifb(1, 1, 8)
	fake.v.YresVirtual, fake.v.Yoffset, fake.v.Xoffset = 3, 2, 1
	fake.fx.SmemLen = 0 // fall back to line_length * yres_virtual
	path := videoMemory(t, 24)
	d, err := open(path, fake.ioctl)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(rgba(1, 1, c(1, 2, 3, 255))); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := bytes.Repeat([]byte{0xee}, 24)
	copy(want[2*8+4:], []byte{3, 2, 1, 0xff})
	if !bytes.Equal(got, want) {
		t.Errorf("video memory\n got  % x\n want % x", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(f *fakeFB)
		want   string
	}{
		{"VSCREENINFO fails", func(f *fakeFB) { f.errV = unix.ENOTTY }, "FBIOGET_VSCREENINFO"},
		{"FSCREENINFO fails", func(f *fakeFB) { f.errF = unix.EINVAL }, "FBIOGET_FSCREENINFO"},
		{"planar framebuffer", func(f *fakeFB) { f.fx.Type = 1 }, "not packed pixels"},
		{"palette mode", func(f *fakeFB) { f.fx.Visual = 3 }, "not true colour"},
		{"grayscale", func(f *fakeFB) { f.v.Grayscale = 1 }, "grayscale"},
		{"bit-reversed channel", func(f *fakeFB) { f.v.Green.MsbRight = 1 }, "msb_right"},
		{"4 bpp", func(f *fakeFB) { f.v.BitsPerPixel = 4 }, "4 bits per pixel"},
		{"line length too short", func(f *fakeFB) { f.fx.LineLength = 4 }, "line length 4"},
		{"memory smaller than the mode", func(f *fakeFB) { f.fx.SmemLen = 19 }, "needs 20 bytes"},
		{"panned past the end", func(f *fakeFB) { f.v.Yoffset = 1 }, "needs 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := efifb(2, 2, 12)
			tt.modify(fake)
			d, err := open(videoMemory(t, 24), fake.ioctl)
			if err == nil {
				d.Close()
				t.Fatalf("opened; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one containing %q", err, tt.want)
			}
		})
	}
}

// The real ioctl on something that is not a framebuffer says so.
func TestOpenRejectsNonFramebuffer(t *testing.T) {
	_, err := Open(videoMemory(t, 4096))
	if !errors.Is(err, unix.ENOTTY) || !strings.Contains(err.Error(), "FBIOGET_VSCREENINFO") {
		t.Errorf("error %v, want ENOTTY from FBIOGET_VSCREENINFO", err)
	}
	_, err = Open(filepath.Join(t.TempDir(), "fb0"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "CONFIG_FB_EFI") {
		t.Errorf("error %v, want not-exist with a hint about CONFIG_FB_EFI", err)
	}
}
