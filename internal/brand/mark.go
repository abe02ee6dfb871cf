package brand

import (
	"image"
	"image/color"

	"golang.org/x/image/vector"
)

// Mark draws the built-in logo, a plinth: three stacked rounded bars,
// narrowing upwards like a stepped pedestal, in the given colour on a
// transparent size x size square, with antialiased edges. It is drawn in
// code, so the repository holds no binary asset and any accent colour
// gets a matching mark. The result depends only on the arguments.
func Mark(c color.RGBA, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	if size <= 0 {
		return img
	}
	s := float32(size) / 256 // the design is on a 256-unit grid
	z := vector.NewRasterizer(size, size)
	// Bars from the top: width, on a 44-unit pitch with 12-unit gaps,
	// centred; the whole stack (156 units) is centred vertically.
	const barH, gap, radius = 44, 12, 10
	for i, w := range []float32{104, 160, 216} {
		x0 := (256 - w) / 2
		y0 := float32(50 + i*(barH+gap))
		roundRect(z, x0*s, y0*s, (x0+w)*s, (y0+barH)*s, radius*s)
	}
	z.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{})
	return img
}

// roundRect adds a rectangle with circular corners of radius r to z.
func roundRect(z *vector.Rasterizer, x0, y0, x1, y1, r float32) {
	// k places cubic Bézier control points so a quarter circle is off by
	// under 0.03%.
	const k = 0.5522847
	kr := k * r
	z.MoveTo(x0+r, y0)
	z.LineTo(x1-r, y0)
	z.CubeTo(x1-r+kr, y0, x1, y0+r-kr, x1, y0+r)
	z.LineTo(x1, y1-r)
	z.CubeTo(x1, y1-r+kr, x1-r+kr, y1, x1-r, y1)
	z.LineTo(x0+r, y1)
	z.CubeTo(x0+r-kr, y1, x0, y1-r+kr, x0, y1-r)
	z.LineTo(x0, y0+r)
	z.CubeTo(x0, y0+r-kr, x0+r-kr, y0, x0+r, y0)
	z.ClosePath()
}
