package brand

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"

	"golang.org/x/image/draw"
)

// The splash size mkiso uses: the 256-pixel logo at its own size with a
// margin, small enough for any firmware screen (800x600 and up).
const (
	SplashWidth  = 400
	SplashHeight = 320
)

// Splash returns the UKI's .splash section: a BMP of width x height
// pixels showing the logo centred on the brand's background, in the one
// format every systemd-stub draws correctly: BITMAPINFOHEADER, 24 bits
// per pixel, no compression (BI_RGB), bottom-up rows padded to 4 bytes.
//
// systemd-stub (src/boot/efi/splash.c) fills the screen black, then
// draws the bitmap centred, pixel for pixel; only 32-bit bitmaps are
// alpha-blended, and then with the black. So the logo's transparency is
// resolved here, against the brand background, and the bitmap's borders
// fade to black so it has no hard edge on the black screen. A logo bigger
// than the space inside the border is scaled down to fit.
func (b Brand) Splash(width, height int) ([]byte, error) {
	img, err := b.splashImage(width, height)
	if err != nil {
		return nil, err
	}
	return encodeBMP(img), nil
}

func (b Brand) splashImage(width, height int) (*image.RGBA, error) {
	const minSide, maxSide = 16, 4096 // maxSide keeps it under systemd-stub's 64 MiB limit
	if width < minSide || height < minSide || width > maxSide || height > maxSide {
		return nil, fmt.Errorf("brand: splash size %dx%d: width and height must be %d to %d pixels", width, height, minSide, maxSide)
	}
	if b.Logo == nil {
		return nil, fmt.Errorf("brand: splash: the brand has no logo (use Default or Load)")
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	bg := b.Background
	bg.A = 0xff
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)

	fade := min(width, height) / 10
	box := image.Rect(fade, fade, width-fade, height-fade)
	lb := b.Logo.Bounds()
	w, h := lb.Dx(), lb.Dy()
	if w > box.Dx() || h > box.Dy() {
		// Scale down to fit, keeping the aspect ratio (integer maths:
		// the same inputs give the same pixels on every machine).
		if w*box.Dy() > h*box.Dx() {
			w, h = box.Dx(), max(1, h*box.Dx()/w)
		} else {
			w, h = max(1, w*box.Dy()/h), box.Dy()
		}
	}
	at := image.Rect(0, 0, w, h).Add(image.Pt((width-w)/2, (height-h)/2))
	if w == lb.Dx() && h == lb.Dy() {
		draw.Draw(img, at, b.Logo, lb.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(img, at, b.Logo, lb, draw.Over, nil)
	}
	fadeEdges(img, fade)
	return img, nil
}

// fadeEdges darkens img towards black over its outer n pixels, with a
// smoothstep ramp; corners fade along both axes.
func fadeEdges(img *image.RGBA, n int) {
	if n <= 0 {
		return
	}
	ramp := func(d int) uint32 { // 0 (black, the outermost pixels) .. 256 (untouched)
		if d >= n {
			return 256
		}
		t := uint32(d * 256 / n)
		return t * t * (3*256 - 2*t) / (256 * 256)
	}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		fy := ramp(min(y-r.Min.Y, r.Max.Y-1-y))
		for x := r.Min.X; x < r.Max.X; x++ {
			f := fy * ramp(min(x-r.Min.X, r.Max.X-1-x))
			if f == 256*256 {
				continue
			}
			c := img.RGBAAt(x, y)
			scale := func(v uint8) uint8 { return uint8((uint32(v)*f + 1<<15) >> 16) }
			img.SetRGBA(x, y, color.RGBA{scale(c.R), scale(c.G), scale(c.B), 0xff})
		}
	}
}

// BMP layout: BITMAPFILEHEADER then BITMAPINFOHEADER, little-endian.
const (
	bmpFileHeaderLen = 14
	bmpInfoHeaderLen = 40
	bmpPixelsPerM    = 2835 // 72 dpi; informational only
)

// encodeBMP writes img as an uncompressed 24-bit bottom-up BMP. The
// image must be opaque (alpha is dropped).
func encodeBMP(img *image.RGBA) []byte {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	rowLen := (3*w + 3) &^ 3
	off := bmpFileHeaderLen + bmpInfoHeaderLen
	out := make([]byte, off+rowLen*h)
	le := binary.LittleEndian
	copy(out, "BM")
	le.PutUint32(out[2:], uint32(len(out))) // bfSize
	// bfReserved1, bfReserved2 stay zero.
	le.PutUint32(out[10:], uint32(off)) // bfOffBits
	ih := out[bmpFileHeaderLen:]
	le.PutUint32(ih[0:], bmpInfoHeaderLen)  // biSize
	le.PutUint32(ih[4:], uint32(w))         // biWidth
	le.PutUint32(ih[8:], uint32(h))         // biHeight > 0: bottom-up
	le.PutUint16(ih[12:], 1)                // biPlanes
	le.PutUint16(ih[14:], 24)               // biBitCount
	le.PutUint32(ih[16:], 0)                // biCompression = BI_RGB
	le.PutUint32(ih[20:], uint32(rowLen*h)) // biSizeImage
	le.PutUint32(ih[24:], bmpPixelsPerM)    // biXPelsPerMeter
	le.PutUint32(ih[28:], bmpPixelsPerM)    // biYPelsPerMeter
	// biClrUsed and biClrImportant stay zero: no colour table.
	for i := 0; i < h; i++ {
		row := out[off+i*rowLen:]
		y := r.Max.Y - 1 - i
		for x := 0; x < w; x++ {
			c := img.RGBAAt(r.Min.X+x, y)
			row[3*x], row[3*x+1], row[3*x+2] = c.B, c.G, c.R
		}
	}
	return out
}
