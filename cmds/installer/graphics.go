package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/display"
	"github.com/plinth-os/plinth/internal/evdev"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

// noGraphicsFlag on the kernel command line keeps the text UI on the
// screen (for machines whose framebuffer misbehaves).
const noGraphicsFlag = "plinth.ui=text"

// keyboardWait is how long to look for a USB keyboard that is still
// being probed when the installer starts.
const keyboardWait = 5 * time.Second

// graphics is the installer on the framebuffer: the wizard's screens
// drawn with the brand, keys from evdev keyboards.
type graphics struct {
	*display.Display
	keys chan wizard.Key
}

// openGraphics takes over the framebuffer, or says why not; the caller
// then keeps the text UI on the screen.
func openGraphics(procRoot string, logf func(string, ...any)) (*graphics, error) {
	if b, err := os.ReadFile(procRoot + "/cmdline"); err == nil && strings.Contains(string(b), noGraphicsFlag) {
		return nil, fmt.Errorf("%s on the kernel command line", noGraphicsFlag)
	}
	d, err := display.Open("/dev/fb0", "/dev/tty0", brand.Dir)
	if err != nil {
		return nil, err
	}
	if err := d.BrandError(); err != nil {
		logf("brand: %v; using the built-in one", err)
	}
	logf("graphics: %s", d)
	g := &graphics{Display: d, keys: make(chan wizard.Key, 16)}
	go g.readKeyboards(logf)
	return g, nil
}

// readKeyboards forwards evdev keys, waiting a little for a keyboard
// that is still being probed.
func (g *graphics) readKeyboards(logf func(string, ...any)) {
	deadline := time.Now().Add(keyboardWait)
	for {
		kb, err := evdev.Open("/dev")
		if err == nil {
			for _, d := range kb.Devices() {
				logf("keyboard: %s (%s)", d.Name, d.Path)
			}
			for k := range kb.Keys() {
				g.keys <- k
			}
			return
		}
		if !errors.Is(err, evdev.ErrNoKeyboard) || time.Now().After(deadline) {
			logf("keyboard: %v; keys come from the serial console only", err)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Draw shows v on the screen.
func (g *graphics) Draw(v view.View) error {
	g.Renderer.Draw(g.Image, v)
	return g.Show()
}

// mergeKeys merges key channels into one.
func mergeKeys(chans ...<-chan wizard.Key) <-chan wizard.Key {
	out := make(chan wizard.Key, 16)
	for _, c := range chans {
		go func(c <-chan wizard.Key) {
			for k := range c {
				out <- k
			}
		}(c)
	}
	return out
}
