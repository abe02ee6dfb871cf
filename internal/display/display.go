// Package display takes over the screen for Plinth's graphical screens
// (the installer's and the appliance's status screen): it opens the
// framebuffer, loads the brand (the built-in one if the image has none)
// for the renderer, and puts the VT in graphics mode so the text console
// draws nothing over the picture. Both commands need exactly this, in
// this order, and undo it the same way.
package display

import (
	"fmt"
	"image"

	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/fb"
	"github.com/plinth-os/plinth/internal/gfx"
	"github.com/plinth-os/plinth/internal/vt"
)

// Display is the taken-over screen: draw into Image with Renderer, then
// Show it.
type Display struct {
	Renderer *gfx.Renderer
	Image    *image.RGBA
	dev      *fb.Device
	restore  func() error
	brandErr error
}

// Open takes over the framebuffer fbPath and the VT ttyPath, drawing
// with the brand in brandDir.
func Open(fbPath, ttyPath, brandDir string) (*Display, error) {
	dev, err := fb.Open(fbPath)
	if err != nil {
		return nil, err
	}
	return Take(dev, ttyPath, brandDir)
}

// Take takes over the open framebuffer dev and the VT ttyPath: Open's
// second half, for a caller that must know at once whether there is a
// screen (fb.Open) but can load the brand and font later, beside its
// other work (0.13 s under emulation). dev is closed if Take fails.
func Take(dev *fb.Device, ttyPath, brandDir string) (*Display, error) {
	b, brandErr := brand.Load(brandDir)
	if brandErr != nil {
		b = brand.Default()
	}
	r, err := gfx.New(b)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("display: %w", err)
	}
	restore, err := vt.Graphics(ttyPath)
	if err != nil {
		dev.Close()
		return nil, err
	}
	return &Display{Renderer: r, Image: image.NewRGBA(image.Rectangle{Max: dev.Size()}), dev: dev,
		restore: restore, brandErr: brandErr}, nil
}

// BrandError says why the built-in brand is used, or is nil.
func (d *Display) BrandError() error { return d.brandErr }

// String names the framebuffer and its pixel layout, for logs.
func (d *Display) String() string { return fmt.Sprintf("%s %s", d.dev.Name(), d.dev.Layout()) }

// Show puts Image on the screen.
func (d *Display) Show() error { return d.dev.Draw(d.Image) }

// Close gives the screen back to the text console.
func (d *Display) Close() {
	d.restore()
	d.dev.Close()
}
