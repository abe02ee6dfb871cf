//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plinth-os/plinth/e2e/qemu"
	"github.com/plinth-os/plinth/internal/brand"
)

// shot takes a QMP screendump into dir/name.png and decodes it.
func shot(t *testing.T, m *qemu.Machine, dir, name string) image.Image {
	t.Helper()
	path := filepath.Join(dir, name+".png")
	// Right after start QEMU may not have made its QMP socket yet.
	err := m.Screendump(path)
	for try := 0; err != nil && try < 20; try++ {
		time.Sleep(250 * time.Millisecond)
		err = m.Screendump(path)
	}
	if err != nil {
		t.Fatalf("screendump %s: %v", name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screendump %s: %v", name, err)
	}
	return img
}

// share is the fraction of img's pixels that are exactly c.
func share(img image.Image, c color.RGBA) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// differs returns the fraction of pixels that differ between a and b.
func differs(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

// TestGraphicalScreens boots the installer with a display, takes a
// screendump of the splash and of every installer screen through an
// interactive install, then of the installed appliance's status screen.
// Each must show the brand's background and differ from the others; the
// PNGs stay in the artifacts.
func TestGraphicalScreens(t *testing.T) {
	iso := needFile(t, *isoPath, "build it with make iso")
	dir := machineDir(t)
	bg := brand.Default().Background
	target := sparseFile(t, filepath.Join(dir, "nvme.img"), 8<<30)
	m, err := startMachine(t, qemu.Config{Dir: dir, NoReboot: true, QMP: true, Drives: []qemu.Drive{
		{Kind: qemu.CD, File: iso, ReadOnly: true, BootIndex: 1},
		{Kind: qemu.NVMe, File: target, Serial: "GFXNVME01"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()

	// The splash: systemd-stub draws it and, with a quiet boot, it stays
	// until the installer draws. Look for it until the welcome screen.
	// Once shown, nothing may replace it (a text console, a blank
	// screen) before the installer's own first screen.
	splash, lost := 0.0, ""
	deadline := time.Now().Add(*bootLimit)
	for i := 0; time.Now().Before(deadline); i++ {
		if len(eventsNamed(m, "screen")) > 0 {
			break
		}
		name := fmt.Sprintf("boot-%02d", i)
		img := shot(t, m, dir, name)
		got := share(img, bg)
		if splash >= 0.05 && got < 0.05 && lost == "" && len(eventsNamed(m, "screen")) == 0 {
			lost = name
		}
		splash = max(splash, got)
		time.Sleep(500 * time.Millisecond)
	}
	if splash < 0.05 {
		t.Errorf("no splash in the brand colour before the installer's first screen (best %.3f of the screen)", splash)
	}
	if lost != "" {
		t.Errorf("the splash was replaced before the installer drew: see %s.png", lost)
	}

	s := &screenWaiter{t: t, m: m}
	shots := map[string]image.Image{}
	take := func(m *qemu.Machine, name string) {
		t.Helper()
		img := shot(t, m, dir, name)
		if got := share(img, bg); got < 0.3 {
			t.Errorf("%s: brand background on %.2f of the screen, want most of it", name, got)
		}
		for other, o := range shots {
			if d := differs(img, o); d < 0.005 {
				t.Errorf("%s looks like %s (%.4f of pixels differ)", name, other, d)
			}
		}
		shots[name] = img
	}
	s.wait("welcome", "", *bootLimit)
	take(m, "welcome")
	s.keys("\r")
	ev := s.wait("disks", "", time.Minute)
	take(m, "disks")
	id := ""
	for _, d := range ev["disks"].([]any) {
		if d := d.(map[string]any); d["serial"] == "GFXNVME01" {
			id = d["shortId"].(string)
		}
	}
	s.keys("a")
	s.wait("advanced", "", time.Minute)
	take(m, "advanced")
	s.keys("\x1b")
	s.wait("disks", "", time.Minute)
	s.keys("\r")
	s.wait("confirm", "", time.Minute)
	s.keys(id[:2])
	s.wait("confirm", "", time.Minute) // with typed: 2
	take(m, "confirm")
	s.keys(id[2:] + "\r")
	s.wait("progress", "", time.Minute)
	take(m, "progress")
	s.wait("done", "", 10*time.Minute)
	take(m, "done")
	s.keys("p")
	waitExit(t, m, 2*time.Minute)

	// The installed appliance shows its status screen.
	bdir := filepath.Join(dir, "runtime")
	os.MkdirAll(bdir, 0o755)
	b, err := startMachine(t, qemu.Config{Dir: bdir, Vars: m.Vars, QMP: true, HostForwards: map[int]int{freePort(t): 80},
		Drives: []qemu.Drive{{Kind: qemu.NVMe, File: target, Serial: "GFXNVME01"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	_, _, err = b.WaitEvent(ctxTimeout(t, *bootLimit), "runtime-ready", 0)
	if err != nil {
		t.Fatalf("runtime: %v\n%s", err, b.Tail(30))
	}
	// The status screen is drawn whenever what it shows changes; wait
	// for a drawing with an address (before or after runtime-ready).
	for from := 0; ; {
		ev, i, err := b.WaitEvent(ctxTimeout(t, time.Minute), "screen", from)
		if err != nil {
			t.Fatalf("no status screen with an address drawn: %v", err)
		}
		if addrs, _ := ev["addresses"].([]any); len(addrs) > 0 {
			break
		}
		from = i + 1
	}
	take(b, "runtime-status")
	b.QMP("system_powerdown")
	waitExit(t, b, 90*time.Second)
}

func eventsNamed(m *qemu.Machine, name string) []map[string]any {
	var out []map[string]any
	for _, e := range m.Events() {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

// ctxTimeout is a context that ends after d or with the test.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
