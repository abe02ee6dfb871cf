package fb

import (
	"reflect"
	"testing"
	"unsafe"
)

// Offsets and sizes of the C structs in linux/fb.h on a 64-bit (LP64)
// kernel ABI, derived from the header and cross-checked with offsetof()
// against /usr/include/linux/fb.h on the build machine.
func TestStructLayoutMatchesLinux(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Fatalf("these offsets are for 64-bit Linux; add the 32-bit table before building for %d-bit", 8*unsafe.Sizeof(uintptr(0)))
	}
	tests := []struct {
		typ     any
		size    uintptr
		offsets map[string]uintptr
	}{
		{bitfield{}, 12, map[string]uintptr{"Offset": 0, "Length": 4, "MsbRight": 8}},
		{varScreenInfo{}, 160, map[string]uintptr{
			"Xres": 0, "Yres": 4, "XresVirtual": 8, "YresVirtual": 12, "Xoffset": 16, "Yoffset": 20,
			"BitsPerPixel": 24, "Grayscale": 28, "Red": 32, "Green": 44, "Blue": 56, "Transp": 68,
			"Nonstd": 80, "Activate": 84, "Height": 88, "Width": 92, "AccelFlags": 96, "Pixclock": 100,
			"LeftMargin": 104, "RightMargin": 108, "UpperMargin": 112, "LowerMargin": 116,
			"HsyncLen": 120, "VsyncLen": 124, "Sync": 128, "Vmode": 132, "Rotate": 136, "Colorspace": 140,
			"Reserved": 144,
		}},
		{fixScreenInfo{}, 80, map[string]uintptr{
			"ID": 0, "SmemStart": 16, "SmemLen": 24, "Type": 28, "TypeAux": 32, "Visual": 36,
			"Xpanstep": 40, "Ypanstep": 42, "Ywrapstep": 44, "LineLength": 48, "MmioStart": 56,
			"MmioLen": 64, "Accel": 68, "Capabilities": 72, "Reserved": 74,
		}},
	}
	for _, tt := range tests {
		rt := reflect.TypeOf(tt.typ)
		t.Run(rt.Name(), func(t *testing.T) {
			if rt.Size() != tt.size {
				t.Errorf("size %d, C has %d", rt.Size(), tt.size)
			}
			if rt.NumField() != len(tt.offsets) {
				t.Errorf("%d fields, C has %d", rt.NumField(), len(tt.offsets))
			}
			for i := 0; i < rt.NumField(); i++ {
				f := rt.Field(i)
				want, ok := tt.offsets[f.Name]
				if !ok {
					t.Errorf("field %s is not in the C struct", f.Name)
					continue
				}
				if f.Offset != want {
					t.Errorf("%s at offset %d, C has %d", f.Name, f.Offset, want)
				}
			}
		})
	}
}
