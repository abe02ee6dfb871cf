package fb

// From linux/fb.h (uapi). Field order and types follow the C structs so
// the kernel can fill them in place; linux_test.go checks every offset.

const (
	fbiogetVScreenInfo = 0x4600 // FBIOGET_VSCREENINFO
	fbiogetFScreenInfo = 0x4602 // FBIOGET_FSCREENINFO

	fbTypePackedPixels  = 0 // FB_TYPE_PACKED_PIXELS
	fbVisualTrueColor   = 2 // FB_VISUAL_TRUECOLOR
	fbVisualDirectColor = 4 // FB_VISUAL_DIRECTCOLOR
)

// bitfield is struct fb_bitfield.
type bitfield struct {
	Offset   uint32
	Length   uint32
	MsbRight uint32
}

// varScreenInfo is struct fb_var_screeninfo (160 bytes).
type varScreenInfo struct {
	Xres, Yres               uint32
	XresVirtual, YresVirtual uint32
	Xoffset, Yoffset         uint32
	BitsPerPixel             uint32
	Grayscale                uint32
	Red, Green, Blue, Transp bitfield
	Nonstd                   uint32
	Activate                 uint32
	Height, Width            uint32 // millimetres
	AccelFlags               uint32
	Pixclock                 uint32
	LeftMargin, RightMargin  uint32
	UpperMargin, LowerMargin uint32
	HsyncLen, VsyncLen       uint32
	Sync                     uint32
	Vmode                    uint32
	Rotate                   uint32
	Colorspace               uint32
	Reserved                 [4]uint32
}

// fixScreenInfo is struct fb_fix_screeninfo (80 bytes on 64-bit Linux);
// "unsigned long" is uintptr's size on every Linux ABI.
type fixScreenInfo struct {
	ID           [16]byte
	SmemStart    uintptr
	SmemLen      uint32
	Type         uint32
	TypeAux      uint32
	Visual       uint32
	Xpanstep     uint16
	Ypanstep     uint16
	Ywrapstep    uint16
	LineLength   uint32
	MmioStart    uintptr
	MmioLen      uint32
	Accel        uint32
	Capabilities uint16
	Reserved     [2]uint16
}
