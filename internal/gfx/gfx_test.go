package gfx

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-os/plinth/internal/brand"
	"github.com/plinth-os/plinth/internal/disk"
	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/installplan"
	"github.com/plinth-os/plinth/internal/sbenroll"
	"github.com/plinth-os/plinth/internal/secureboot"
	"github.com/plinth-os/plinth/internal/view"
	"github.com/plinth-os/plinth/internal/wizard"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/golden")

// Golden comparison tolerance: a pixel differs when a channel differs
// by more than maxDelta; at most maxBad of the pixels may differ.
const (
	maxDelta = 8
	maxBad   = 0.005
)

var (
	sizeSmall = image.Pt(800, 600)
	sizeLarge = image.Pt(1920, 1080)
)

// testLogo is a plinth: three stacked blocks, wider than tall, on a
// transparent background.
func testLogo(accent, fg color.RGBA) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, 120, 80))
	draw.Draw(m, image.Rect(40, 0, 80, 30), image.NewUniform(accent), image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(20, 34, 100, 56), image.NewUniform(fg), image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(0, 60, 120, 80), image.NewUniform(accent), image.Point{}, draw.Src)
	return m
}

func darkBrand() brand.Brand {
	b := brand.Brand{
		Product:    "Plinth",
		Background: color.RGBA{0x14, 0x1a, 0x24, 0xff},
		Foreground: color.RGBA{0xe8, 0xec, 0xf2, 0xff},
		Accent:     color.RGBA{0x2f, 0x80, 0xed, 0xff},
	}
	b.Logo = testLogo(b.Accent, b.Foreground)
	return b
}

func lightBrand() brand.Brand {
	b := brand.Brand{
		Product:    "Acme Box",
		Background: color.RGBA{0xf7, 0xf7, 0xf4, 0xff},
		Foreground: color.RGBA{0x1d, 0x1f, 0x24, 0xff},
		Accent:     color.RGBA{0xf0, 0x8a, 0x24, 0xff},
	}
	b.Logo = testLogo(b.Accent, b.Foreground)
	return b
}

func newRenderer(t testing.TB, b brand.Brand) *Renderer {
	t.Helper()
	r, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const (
	usb  = "[b0001] USB Stick, 16.0 GB, serial USB0001 (usb, sda)"
	nvme = "[345678] Fast NVMe, 549.8 GB, serial NV12345678 (nvme, nvme0n1)"
	virt = "[rt0042] Virtio, 8.6 GB, serial VIRT0042 (virtio, vda)"
)

// screens are views of every wizard screen, as internal/wizard builds
// them.
func screens() []view.View {
	title := "Plinth 1.0 installer"
	return []view.View{
		{Screen: wizard.ScreenWelcome, Title: title, Heading: "Welcome", Body: []view.Line{
			{Text: "This installs Plinth 1.0 onto a disk of this machine."},
			{},
			{Text: "CPU     4 x Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"},
			{Text: "Memory  8.6 GB"},
			{Text: "Disks   3 found, 2 can be installed to"},
		}, Menu: []string{"Install", "Power off", "Reboot"}, Cursor: 0,
			Hint: "Up/Down choose  Enter select  i install  p power off  r reboot"},
		{Screen: wizard.ScreenDisks, Title: title, Heading: "Choose the disk to install to", Body: []view.Line{
			{Text: "1 " + usb + "  - not usable: boot medium", Style: view.Dim},
			{Text: "2 " + nvme + "  - holds 1 partition(s): gpt", Selected: true},
			{Text: "3 " + virt + "  - empty"},
			{},
			{Text: "Options: data partition the rest of the disk, hostname derived", Style: view.Dim},
		}, Cursor: -1, Note: "This disk cannot be installed to: boot medium",
			Hint: "Up/Down choose  Enter select  a advanced  r rescan  Esc back"},
		{Screen: wizard.ScreenAdvanced, Title: title, Heading: "Advanced options", Body: []view.Line{
			{Text: "For disk " + nvme, Style: view.Dim},
			{Text: `Data partition size: empty or "rest" for the rest of the disk, or e.g. 20GiB.`},
			{Text: "Hostname: empty derives one from the machine."},
		}, Fields: []view.Field{
			{Label: "Data partition size", Value: "20GiB"},
			{Label: "Hostname", Value: "plinth-lab", Active: true},
		}, Cursor: -1, Hint: "Up/Down field  type to edit  Enter save  Esc cancel"},
		{Screen: wizard.ScreenConfirm, Title: title, Heading: "Erase this disk?", Body: []view.Line{
			{Text: nvme, Style: view.Strong},
			{Text: "Everything on it is destroyed: 1 partition(s): gpt.", Style: view.Warn},
			{Text: "New layout: EFI system partition 512 MiB, data partition the rest of the disk."},
			{Text: "Hostname: derived from the machine"},
			{},
			{Text: "To go ahead, type the disk's id 345678 (or its serial) and press Enter.", Style: view.Strong},
		}, Fields: []view.Field{{Label: "Disk id", Value: "3456", Active: true}}, Cursor: -1,
			Hint: "type the id  Enter erase and install  Esc back"},
		{Screen: wizard.ScreenProgress, Title: title, Heading: "Installing", Body: []view.Line{{Text: "onto " + nvme}},
			Bar:    &view.Bar{Percent: 42, Label: "Writing the EFI system partition, 3.0 MiB of 14.0 MiB written"},
			Cursor: -1, Hint: "Please wait; do not remove any disk."},
		{Screen: wizard.ScreenDone, Title: title, Heading: "Installed", Body: []view.Line{
			{Text: "Plinth 1.0 is installed on " + nvme + ".", Style: view.Good},
			{Text: "Boot entry Boot0003, took 1m42.3s."},
			{Text: "Remove the installer medium."},
			{Text: "Rebooting in 7 s (press any key to stay)."},
		}, Menu: []string{"Reboot now", "Power off"}, Cursor: 0, Hint: "Enter select  r reboot  p power off"},
		{Screen: wizard.ScreenFailed, Title: title, Heading: "Installation failed", Body: []view.Line{
			{Text: "write /dev/nvme0n1p2 at offset 1048576: input/output error", Style: view.Warn},
			{Text: "Code: install-write", Style: view.Dim},
			{Text: "The disk " + nvme + " was partly written; it does not boot as it is."},
			{Text: "Retry asks for the disk's id again. Export logs writes them to a FAT USB stick."},
		}, Menu: []string{"Retry", "Back to disks", "Export logs", "Power off"}, Cursor: 2,
			Note: "Logs written to sdb1 (PLINTHLOGS). You can remove the stick.",
			Hint: "Up/Down choose  Enter select  r retry  b back  e export logs  p power off"},
	}
}

func status() Status {
	return Status{
		Product: "Plinth", Version: "1.0.3 (2025-06-01)", Hostname: "plinth-7f3a",
		Addresses: []string{"192.168.1.20/24", "fd00::5054:ff:fe12:3456/64"},
		Services: []ServiceStatus{
			{Name: "web", State: StateRunning, Since: 3*time.Hour + 12*time.Minute},
			{Name: "database", State: StateRunning, Restarts: 1, Since: 3*time.Hour + 10*time.Minute},
			{Name: "metrics", State: StateRestarting, Restarts: 4, Since: 12 * time.Second},
			{Name: "backup", State: StateFailed, Restarts: 7, Since: 5 * time.Minute},
		},
		Uptime:     3*time.Hour + 14*time.Minute,
		Message:    "Web interface: https://192.168.1.20/",
		SecureBoot: "on, lockdown integrity", SecureBootOn: true,
	}
}

func render(r *Renderer, v view.View, size image.Point) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: size})
	r.Draw(img, v)
	return img
}

func renderStatus(r *Renderer, s Status, size image.Point) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Max: size})
	r.DrawStatus(img, s)
	return img
}

func TestGolden(t *testing.T) {
	r := newRenderer(t, darkBrand())
	type shot struct {
		name string
		draw func(size image.Point) *image.RGBA
	}
	var shots []shot
	for _, v := range screens() {
		shots = append(shots, shot{v.Screen, func(size image.Point) *image.RGBA { return render(r, v, size) }})
	}
	shots = append(shots, shot{"status", func(size image.Point) *image.RGBA { return renderStatus(r, status(), size) }})
	for _, sh := range shots {
		for _, size := range []image.Point{sizeSmall, sizeLarge} {
			name := fmt.Sprintf("%s-%dx%d", sh.name, size.X, size.Y)
			t.Run(name, func(t *testing.T) {
				img := sh.draw(size)
				if got, want := mostCommon(img), r.pal.bg; got != want {
					t.Errorf("most common colour %v, want the background %v", got, want)
				}
				golden(t, name, img)
			})
		}
	}
}

func TestGoldenSize(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.png"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 8 * 2; len(files) != want {
		t.Errorf("%d golden files, want %d (stale ones left over?)", len(files), want)
	}
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	t.Logf("goldens: %d files, %d bytes", len(files), total)
	if total > 1500<<10 {
		t.Errorf("goldens take %d bytes, want under 1.5 MB", total)
	}
}

// golden compares img with testdata/golden/name.png, or rewrites that
// with -update.
func golden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".png")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, encode(t, img), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/gfx -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("golden %s is %v, drew %v", path, want.Bounds(), img.Bounds())
	}
	b := img.Bounds()
	diff := image.NewRGBA(b)
	bad := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := img.RGBAAt(x, y)
			w := color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
			if delta(g.R, w.R) > maxDelta || delta(g.G, w.G) > maxDelta || delta(g.B, w.B) > maxDelta || delta(g.A, w.A) > maxDelta {
				bad++
				diff.SetRGBA(x, y, color.RGBA{255, 0, 0, 255})
			} else {
				l := uint8((int(g.R) + int(g.G) + int(g.B)) / 12)
				diff.SetRGBA(x, y, color.RGBA{l, l, l, 255})
			}
		}
	}
	if frac := float64(bad) / float64(b.Dx()*b.Dy()); frac > maxBad {
		// Not t.TempDir: that is removed when the test ends.
		dir, err := os.MkdirTemp("", "gfx-golden-")
		if err != nil {
			t.Fatal(err)
		}
		for suffix, im := range map[string]*image.RGBA{"actual": img, "diff": diff} {
			if err := os.WriteFile(filepath.Join(dir, name+"-"+suffix+".png"), encode(t, im), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Errorf("%s: %d pixels (%.2f%%) differ by more than %d; actual and diff (red) in %s; go test ./internal/gfx -update accepts the change",
			name, bad, 100*frac, maxDelta, dir)
	}
}

func delta(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func encode(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mostCommon(img *image.RGBA) color.RGBA {
	counts := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[img.RGBAAt(x, y)]++
		}
	}
	var best color.RGBA
	for c, n := range counts {
		if n > counts[best] {
			best = c
		}
	}
	return best
}

// count is how many pixels of img in r are within maxDelta of c.
func count(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := img.RGBAAt(x, y)
			if delta(p.R, c.R) <= maxDelta && delta(p.G, c.G) <= maxDelta && delta(p.B, c.B) <= maxDelta {
				n++
			}
		}
	}
	return n
}

func TestAccentMarksSelection(t *testing.T) {
	r := newRenderer(t, darkBrand())
	byName := map[string]view.View{}
	for _, v := range screens() {
		byName[v.Screen] = v
	}
	noCursor := byName[wizard.ScreenWelcome]
	noCursor.Cursor = -1
	noSelection := byName[wizard.ScreenDisks]
	noSelection.Body = append([]view.Line(nil), noSelection.Body...)
	noSelection.Body[1].Selected = false
	zero := byName[wizard.ScreenProgress]
	zero.Bar = &view.Bar{Percent: 0, Label: "Starting"}
	tests := []struct {
		name string
		v    view.View
		want bool
	}{
		{"welcome menu cursor", byName[wizard.ScreenWelcome], true},
		{"welcome without cursor", noCursor, false},
		{"disks selected row", byName[wizard.ScreenDisks], true},
		{"disks nothing selected", noSelection, false},
		{"advanced active field", byName[wizard.ScreenAdvanced], true},
		{"progress 42%", byName[wizard.ScreenProgress], true},
		{"progress 0%", zero, false},
		{"failed menu cursor", byName[wizard.ScreenFailed], true},
	}
	for _, tt := range tests {
		for _, size := range []image.Point{sizeSmall, sizeLarge} {
			t.Run(fmt.Sprintf("%s %v", tt.name, size), func(t *testing.T) {
				img := render(r, tt.v, size)
				content := r.layoutView(tt.v, size).content
				n := count(img, content, r.pal.accent)
				if got := n > 50; got != tt.want {
					t.Errorf("%d accent pixels between heading and footer, want accent: %v", n, tt.want)
				}
			})
		}
	}
}

func TestProgressBarProportional(t *testing.T) {
	r := newRenderer(t, darkBrand())
	v := screens()[4]
	for _, size := range []image.Point{sizeSmall, sizeLarge} {
		filled := map[int]int{}
		for _, pct := range []int{-5, 0, 10, 42, 90, 100, 150} {
			v.Bar = &view.Bar{Percent: pct, Label: "Writing"}
			img := render(r, v, size)
			bar := r.layoutView(v, size).bar
			if bar.Dx() < size.X/2 {
				t.Fatalf("%v: bar %v is less than half the screen wide", size, bar)
			}
			mid := bar.Min.Y + bar.Dy()/2
			n := count(img, image.Rect(bar.Min.X, mid, bar.Max.X, mid+1), r.pal.accent)
			want := bar.Dx() * max(0, min(100, pct)) / 100
			if n < want-2 || n > want+1 {
				t.Errorf("%v %d%%: %d accent pixels across the bar, want %d of %d", size, pct, n, want, bar.Dx())
			}
			filled[pct] = n
		}
		if ratio := float64(filled[90]) / float64(filled[10]); ratio < 8.5 || ratio > 9.5 {
			t.Errorf("%v: fill at 90%% is %.2f times that at 10%%, want 9", size, ratio)
		}
	}
}

func TestNoOverflow(t *testing.T) {
	for _, b := range []brand.Brand{darkBrand(), lightBrand()} {
		r := newRenderer(t, b)
		for _, size := range []image.Point{{640, 480}, sizeSmall, {1024, 768}, {1280, 720}, sizeLarge, {3840, 2160}} {
			for _, v := range screens() {
				if o := r.Overflows(v, size); len(o) > 0 {
					t.Errorf("%s %s %v overflows:\n%s", b.Product, v.Screen, size, strings.Join(o, "\n"))
				}
			}
			if o := r.StatusOverflows(status(), size); len(o) > 0 {
				t.Errorf("%s status %v overflows:\n%s", b.Product, size, strings.Join(o, "\n"))
			}
		}
	}
}

// enrollOffer is what enrolling a product's keys would do, with the
// certificate names Microsoft's CAs have.
func enrollOffer() *wizard.EnrollOffer {
	writes := func(ms bool) []sbenroll.Write {
		db, kek := []string{"Acme Appliance Secure Boot db 2025"}, []string{"Acme Appliance Secure Boot KEK 2025"}
		if ms {
			db = append(db, "Microsoft Windows Production PCA 2011", "Microsoft Corporation UEFI CA 2011", "Windows UEFI CA 2023", "Microsoft UEFI CA 2023")
			kek = append(kek, "Microsoft Corporation KEK CA 2011", "Microsoft Corporation KEK 2K CA 2023")
		}
		return []sbenroll.Write{{Variable: "db", Append: true, Certificates: db}, {Variable: "KEK", Append: true, Certificates: kek},
			{Variable: "PK", Certificates: []string{"Acme Appliance Secure Boot PK 2025"}}}
	}
	return &wizard.EnrollOffer{WithMicrosoft: sbenroll.Decision{Enroll: true, MicrosoftKeys: true, Writes: writes(true)},
		WithoutMicrosoft: sbenroll.Decision{Enroll: true, Writes: writes(false)}}
}

// TestRealWizardViews drives the real wizard through every screen and
// checks that what it shows fits, down to 640x480.
func TestRealWizardViews(t *testing.T) {
	r := newRenderer(t, darkBrand())
	cands := []installplan.Candidate{
		{Disk: disk.Disk{Name: "sda", Model: "USB Stick", Serial: "USB0001", Size: 16 << 30, Transport: "usb"},
			ShortID: "b0001", Eligible: false, Reasons: []string{"boot medium"}},
		{Disk: disk.Disk{Name: "nvme0n1", Model: "Samsung SSD 980 PRO with Heatsink 2TB", Serial: "S6B0NL0W123456X", Size: 2000 << 30,
			Transport: "nvme", Partitions: []string{"nvme0n1p1", "nvme0n1p2", "nvme0n1p3"}},
			ShortID: "23456x", Eligible: true, HasData: true, Signatures: []string{"gpt", "ntfs", "vfat"}},
		{Disk: disk.Disk{Name: "vda", Model: "Virtio", Serial: "VIRT0042", Size: 8 << 30, Transport: "virtio"},
			ShortID: "rt0042", Eligible: true},
	}
	machine := wizard.Machine{Product: "Plinth", Version: "1.0.3", CPUs: 4, CPUModel: "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", Memory: 8 << 30}
	type key = wizard.Key
	typeText := func(w *wizard.Wizard, s string) {
		for _, c := range s {
			w.Key(key{Kind: wizard.KeyRune, Rune: c})
		}
	}
	var views []view.View
	seen := map[string]bool{}
	snap := func(w *wizard.Wizard) {
		v := w.View()
		views = append(views, v)
		seen[v.Screen] = true
	}

	bad := machine
	bad.Problems = []string{"memory 256 MiB < 512 MiB minimum", "no disk of at least 4 GiB"}
	w := wizard.New(bad, cands, nil)
	w.Key(key{Kind: wizard.KeyEnter}) // refused, with a note
	snap(w)

	w = wizard.New(machine, cands, nil)
	snap(w)
	w.Key(key{Kind: wizard.KeyEnter})
	snap(w) // disks
	w.Key(key{Kind: wizard.KeyUp})
	w.Key(key{Kind: wizard.KeyEnter}) // the boot medium: refused, with a note
	snap(w)
	w.Key(key{Kind: wizard.KeyDown})
	w.Key(key{Kind: wizard.KeyRune, Rune: 'a'})
	typeText(w, "20GiB")
	w.Key(key{Kind: wizard.KeyDown})
	typeText(w, "a-rather-long-hostname-for-this-appliance-x")
	snap(w) // advanced
	w.Key(key{Kind: wizard.KeyEsc})
	w.Key(key{Kind: wizard.KeyEnter})
	typeText(w, "wrong")
	w.Key(key{Kind: wizard.KeyEnter})
	snap(w) // confirm, with a note
	for range 5 {
		w.Key(key{Kind: wizard.KeyBackspace})
	}
	typeText(w, "23456x")
	snap(w)
	w.Key(key{Kind: wizard.KeyEnter})
	w.SetProgress(wizard.Progress{Step: "format-data", Percent: 63, Bytes: 1234 << 20, Total: 2000 << 20})
	snap(w) // progress
	w.Finished(wizard.Result{Disk: cands[1].Describe(), BootEntry: "Boot0003", Duration: 102 * time.Second}, nil)
	snap(w) // done
	w.Finished(wizard.Result{}, &wizard.Failure{Code: "install-write", Message: "write /dev/nvme0n1p2 at offset 1073741824: input/output error", Wrote: true})
	w.Key(key{Kind: wizard.KeyRune, Rune: 'e'})
	w.Exported("", errors.New("no FAT-formatted USB stick found; insert one and try again"))
	snap(w) // failed

	// Secure Boot: the welcome line, the offer with and without
	// Microsoft's CAs (the longest certificate names there are), the
	// confirmation, the outcomes.
	sbMachine := machine
	sbMachine.SecureBoot = wizard.SecureBoot{Keys: true, Offer: enrollOffer(),
		Status: secureboot.Status{UEFI: true, SecureBootState: efivar.SecureBootState{Supported: true, SetupMode: true}, Lockdown: "integrity"}}
	w = wizard.New(sbMachine, cands, nil)
	snap(w)
	w.Key(key{Kind: wizard.KeyEnter})
	snap(w) // secure-boot
	w.Key(key{Kind: wizard.KeyRune, Rune: 'm'})
	snap(w)
	w.Key(key{Kind: wizard.KeyRune, Rune: 'm'})
	w.Key(key{Kind: wizard.KeyRune, Rune: 'e'})
	w.Key(key{Kind: wizard.KeyDown})
	w.Key(key{Kind: wizard.KeyEnter})
	typeText(w, "23456x")
	snap(w) // confirm, with the enrollment
	w.Key(key{Kind: wizard.KeyEnter})
	w.Finished(wizard.Result{Disk: cands[1].Describe(), BootEntry: "Boot0003", Duration: 102 * time.Second, SecureBootEnrolled: true}, nil)
	snap(w)
	w.Finished(wizard.Result{}, &wizard.Failure{Code: "secure-boot-not-setup-mode", Wrote: true, Installed: true,
		Message: "install: the disk is installed and verified, but the Secure Boot keys were not enrolled: sbenroll: the firmware refused KEK from KEK-microsoft.auth (permission denied): it behaves as if it were not in Setup Mode, whatever SetupMode says; db had been appended to already (harmless: nothing was removed). To enroll the keys: enter the firmware setup, Secure Boot → reset to Setup Mode / clear keys, then boot the installer again"})
	snap(w)

	for _, screen := range []string{wizard.ScreenWelcome, wizard.ScreenSecureBoot, wizard.ScreenDisks, wizard.ScreenAdvanced, wizard.ScreenConfirm,
		wizard.ScreenProgress, wizard.ScreenDone, wizard.ScreenFailed} {
		if !seen[screen] {
			t.Errorf("never reached %s", screen)
		}
	}
	for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge} {
		for i, v := range views {
			if o := r.Overflows(v, size); len(o) > 0 {
				t.Errorf("view %d (%s) %v overflows:\n%s", i, v.Screen, size, strings.Join(o, "\n"))
			}
		}
	}
}

func TestOverflowsDetected(t *testing.T) {
	r := newRenderer(t, darkBrand())
	small := image.Pt(640, 480)
	many := func(n int, f func(i int) view.View) view.View { return f(n) }
	tests := []struct {
		name string
		v    view.View
		want string // in some report
	}{
		{"too many fields and none active", many(30, func(n int) view.View {
			v := view.View{Heading: "Fields", Cursor: -1}
			for i := range n {
				v.Fields = append(v.Fields, view.Field{Label: fmt.Sprintf("Field %d", i), Value: "x"})
			}
			return v
		}), "of 30 shown and no active field"},
		{"too many menu buttons for the width", many(40, func(n int) view.View {
			v := view.View{Heading: "Menu", Cursor: 0}
			for i := range n {
				v.Menu = append(v.Menu, fmt.Sprintf("Choice number %d", i))
			}
			return v
		}), "menu 39"},
		{"long body and nothing selected", many(60, func(n int) view.View {
			v := view.View{Heading: "Body", Cursor: -1}
			for i := range n {
				v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("line %d", i)})
			}
			return v
		}), "no selected row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := r.Overflows(tt.v, small)
			if !strings.Contains(strings.Join(o, "\n"), tt.want) {
				t.Errorf("reports %q, want one about %q", o, tt.want)
			}
		})
	}
}

// TestLongTextHandled: text far too long for the screen is wrapped or
// shortened, never clipped.
func TestLongTextHandled(t *testing.T) {
	r := newRenderer(t, darkBrand())
	size := image.Pt(640, 480)
	word := strings.Repeat("W", 399) + "Z"
	lines := view.View{Screen: "long lines", Heading: "Body", Cursor: -1,
		Body: []view.Line{{Text: "Unbreakable: " + word}, {Text: strings.Repeat("many short words ", 20)}}}
	single := view.View{Screen: "long single lines", Title: "A title that goes on " + strings.Repeat("and on ", 40), Heading: "Heading " + word,
		Fields: []view.Field{{Label: "Label " + word, Value: word, Active: true}},
		Menu:   []string{"OK", "A button label far too long to fit on any button " + word}, Cursor: 1,
		Note: strings.Repeat("a long note ", 50), Hint: strings.Repeat("x key  ", 60)}
	texts := map[string][]item{}
	for i, v := range []view.View{lines, single} {
		if o := r.Overflows(v, size); len(o) > 0 {
			t.Fatalf("%s overflows:\n%s", v.Screen, strings.Join(o, "\n"))
		}
		for _, it := range r.layoutView(v, size).items {
			if it.kind == kindText && (i == 0) == strings.HasPrefix(it.what, "body") {
				texts[it.what] = append(texts[it.what], it)
			}
		}
	}
	if got := texts["field 0 value"]; len(got) != 1 || !strings.HasPrefix(got[0].text, ellipsis) || !strings.HasSuffix(got[0].text, "WZ") {
		t.Errorf("field value shows %q, want the end of the value after %q", textsOf(got), ellipsis)
	}
	for _, what := range []string{"title", "heading", "menu 1", "field 0 label", "hint"} {
		if got := texts[what]; len(got) != 1 || !strings.HasSuffix(got[0].text, ellipsis) {
			t.Errorf("%s shows %q, want it shortened with %q", what, textsOf(got), ellipsis)
		}
	}
	if got := texts["menu 0"]; len(got) != 1 || got[0].text != "OK" {
		t.Errorf("menu 0 shows %q, want OK", textsOf(got))
	}
	if got := texts["note"]; len(got) != 2 || !strings.HasSuffix(got[1].text, ellipsis) {
		t.Errorf("note rows %q, want two, the second shortened", textsOf(got))
	}
	rows := texts["body 0"]
	if len(rows) < 4 {
		t.Fatalf("unbreakable body line in %d rows, want it broken into several", len(rows))
	}
	if got := strings.Join(textsOf(rows), ""); got != "Unbreakable:"+word {
		t.Errorf("broken rows join to %q, want every character once", got)
	}
	for i, row := range rows[1:] {
		if row.r.Min.X <= rows[0].r.Min.X {
			t.Errorf("continuation row %d at x %d, want indented from %d", i+1, row.r.Min.X, rows[0].r.Min.X)
		}
	}
	wrapped := texts["body 1"]
	if len(wrapped) < 2 {
		t.Fatalf("long body line in %d rows, want wrapped", len(wrapped))
	}
	for _, row := range wrapped {
		for _, w := range strings.Fields(row.text) {
			if w != "many" && w != "short" && w != "words" {
				t.Errorf("row %q is not broken at word boundaries", row.text)
			}
		}
	}
	if got := strings.Join(textsOf(wrapped), " "); strings.TrimSpace(got) != strings.TrimSpace(lines.Body[1].Text) {
		t.Errorf("wrapped rows join to %q, want the line", got)
	}
}

func textsOf(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.text)
	}
	return out
}

func TestScrollKeepsSelectionVisible(t *testing.T) {
	r := newRenderer(t, darkBrand())
	for _, sel := range []int{0, 20, 39} {
		v := view.View{Heading: "Disks", Cursor: -1}
		for i := range 40 {
			v.Body = append(v.Body, view.Line{Text: fmt.Sprintf("disk %d", i), Selected: i == sel})
		}
		for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge} {
			l := r.layoutView(v, size)
			if o := l.overflows(); len(o) > 0 {
				t.Errorf("selected %d at %v: %q", sel, size, o)
			}
			shown := map[string]bool{}
			for _, it := range l.items {
				if it.kind == kindText && strings.HasPrefix(it.what, "body") {
					if !it.st.ink(it.text, it.r.Min.X, it.r.Min.Y).In(l.body) {
						t.Errorf("%q drawn outside the body %v", it.text, l.body)
					}
					shown[it.text] = true
				}
			}
			if !shown[fmt.Sprintf("disk %d", sel)] {
				t.Errorf("selected %d at %v: selected row not shown; shown %v", sel, size, shown)
			}
			if len(shown) >= 40 || len(shown) < 5 {
				t.Errorf("selected %d at %v: %d rows shown, want some but not all 40", sel, size, len(shown))
			}
			if sel == 0 && !shown["disk 0"] || sel > 30 && shown["disk 0"] {
				t.Errorf("selected %d at %v: first row shown %v", sel, size, shown["disk 0"])
			}
		}
	}
}

func TestPaletteReadable(t *testing.T) {
	odd := darkBrand()
	odd.Accent = color.RGBA{0x80, 0x80, 0x80, 0xff} // mid grey: neither brand colour reads on it
	odd.Background = color.RGBA{0x70, 0x70, 0x70, 0}
	odd.Foreground = color.RGBA{0xff, 0xff, 0xff, 0}
	for _, b := range []brand.Brand{darkBrand(), lightBrand(), odd} {
		p := newRenderer(t, b).pal
		if p.bg.A != 255 || p.fg.A != 255 {
			t.Errorf("%s: colours not opaque: %v %v", b.Product, p.bg, p.fg)
		}
		tests := []struct {
			name    string
			c, on   color.RGBA
			atLeast float64
		}{
			{"warn", p.warn, p.bg, textContrast},
			{"good", p.good, p.bg, textContrast},
			{"bad", p.bad, p.bg, textContrast},
			{"dim", p.dim, p.bg, largeContrast},
			{"on accent", p.onAccent, p.accent, largeContrast},
			{"heading", p.heading, p.bg, largeContrast},
		}
		if b.Background == odd.Background {
			tests = tests[:4] // a grey background leaves no colour readable everywhere
		}
		for _, tt := range tests {
			if got := contrast(tt.c, tt.on); got < tt.atLeast {
				t.Errorf("%s: %s %v on %v has contrast %.2f, want at least %.1f", b.Product, tt.name, tt.c, tt.on, got, tt.atLeast)
			}
		}
		if p.warn == p.good || p.warn == p.bad || p.good == p.bad {
			t.Errorf("%s: state colours not distinct: %v %v %v", b.Product, p.warn, p.good, p.bad)
		}
	}
}

// TestDestinations: a sub-image (origin not at 0,0) and a non-RGBA
// image get the same pixels as a plain RGBA.
func TestDestinations(t *testing.T) {
	r := newRenderer(t, darkBrand())
	v := screens()[1]
	want := render(r, v, sizeSmall)

	big := image.NewRGBA(image.Rect(-50, -30, 900, 700))
	sub := big.SubImage(image.Rect(10, 20, 810, 620)).(*image.RGBA)
	r.Draw(sub, v)
	nrgba := image.NewNRGBA(image.Rectangle{Max: sizeSmall})
	r.Draw(nrgba, v)
	for y := 0; y < sizeSmall.Y; y++ {
		for x := 0; x < sizeSmall.X; x++ {
			w := want.RGBAAt(x, y)
			if g := sub.RGBAAt(x+10, y+20); g != w {
				t.Fatalf("sub-image pixel %d,%d = %v, want %v", x, y, g, w)
			}
			if g := color.RGBAModel.Convert(nrgba.At(x, y)).(color.RGBA); delta(g.R, w.R) > 1 || delta(g.G, w.G) > 1 || delta(g.B, w.B) > 1 {
				t.Fatalf("NRGBA pixel %d,%d = %v, want %v", x, y, g, w)
			}
		}
	}
	if big.RGBAAt(5, 5) != (color.RGBA{}) || big.RGBAAt(815, 625) != (color.RGBA{}) {
		t.Error("drew outside the sub-image")
	}
}

func TestLogo(t *testing.T) {
	b := darkBrand()
	src := b.Logo.Bounds()
	for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge, {3840, 2160}} {
		r := newRenderer(t, b)
		for name, l := range map[string]*layout{"wizard": r.layoutView(screens()[0], size), "status": r.layoutStatus(status(), size)} {
			lr := l.logo
			if lr.Empty() {
				t.Fatalf("%s %v: no logo", name, size)
			}
			if want := lr.Dy() * src.Dx() / src.Dy(); lr.Dx() < want-1 || lr.Dx() > want+1 {
				t.Errorf("%s %v: logo %v, want aspect %v", name, size, lr, src.Size())
			}
			if name == "wizard" && !lr.In(l.header) {
				t.Errorf("%s %v: logo %v outside the header band %v", name, size, lr, l.header)
			}
		}
		img := render(r, screens()[0], size)
		l := r.layoutView(screens()[0], size)
		// The logo's top block is accent, its middle block foreground.
		if n := count(img, l.logo, r.pal.fg); n < l.logo.Dx()*l.logo.Dy()/10 {
			t.Errorf("%v: %d foreground pixels in the logo, want its middle block", size, n)
		}
	}
	b.Logo = nil
	r := newRenderer(t, b)
	if l := r.layoutView(screens()[0], sizeSmall); !l.logo.Empty() {
		t.Errorf("no logo drawn at %v", l.logo)
	}
	render(r, screens()[0], sizeSmall) // no panic
}

func TestStatusScreen(t *testing.T) {
	r := newRenderer(t, darkBrand())
	lots := status()
	lots.Addresses = []string{"10.0.0.1/8", "10.0.0.2/8", "10.0.0.3/8", "10.0.0.4/8", "10.0.0.5/8", "10.0.0.6/8"}
	lots.Services = nil
	for i := range 30 {
		st := StateRunning
		if i == 29 {
			st = StateFailed
		}
		lots.Services = append(lots.Services, ServiceStatus{Name: fmt.Sprintf("svc%02d", i), State: st, Since: time.Minute})
	}
	empty := Status{Product: "Plinth", Version: "1.0"}
	tests := []struct {
		name string
		s    Status
		want []string // texts that must be drawn
		not  []string
	}{
		{"normal", status(), []string{"192.168.1.20/24", "fd00::5054:ff:fe12:3456/64", "plinth-7f3a", "up 3h 14m", "failed", "2 of 4 not running", "for 12s, 4 restarts"}, nil},
		{"crowded", lots, []string{"10.0.0.1/8", "and 3 more", "svc29", "1 of 30 not running"}, []string{"10.0.0.6/8"}},
		{"nothing yet", empty, []string{"No network address yet", "No services configured", "up 0s"}, nil},
	}
	for _, tt := range tests {
		for _, size := range []image.Point{{640, 480}, sizeSmall, sizeLarge} {
			l := r.layoutStatus(tt.s, size)
			if o := l.overflows(); len(o) > 0 {
				t.Errorf("%s %v overflows:\n%s", tt.name, size, strings.Join(o, "\n"))
			}
			var drawn []string
			for _, it := range l.items {
				if it.kind == kindText {
					drawn = append(drawn, it.text)
				}
			}
			all := strings.Join(drawn, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s %v: %q not drawn; drawn:\n%s", tt.name, size, w, all)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(all, w) {
					t.Errorf("%s %v: %q drawn", tt.name, size, w)
				}
			}
		}
	}
	// The addresses are the largest text below the header.
	l := r.layoutStatus(status(), sizeLarge)
	var addr, other int
	for _, it := range l.items {
		if it.kind != kindText || it.r.Min.Y < l.header.Max.Y {
			continue
		}
		if strings.HasPrefix(it.what, "address ") {
			addr = max(addr, it.st.face.px)
		} else {
			other = max(other, it.st.face.px)
		}
	}
	if addr <= other {
		t.Errorf("addresses at %d px, other text below the header up to %d px", addr, other)
	}
	// State dots: the failed service's red and the running ones' green
	// are on screen.
	img := renderStatus(r, status(), sizeLarge)
	for name, c := range map[string]color.RGBA{"good": r.pal.good, "warn": r.pal.warn, "bad": r.pal.bad} {
		if n := count(img, img.Bounds(), c); n < 100 {
			t.Errorf("%d %s pixels, want the state dots", n, name)
		}
	}
}

func TestTextFitting(t *testing.T) {
	r := newRenderer(t, darkBrand())
	st := textStyle{face: r.face(fontRegular, 16)}
	em := st.width("M")
	tests := []struct {
		name, in string
		tail     bool // fitTail, not fit
		w        int
		want     string
	}{
		{"fits", "hello", false, 100 * em, "hello"},
		{"empty", "", false, 0, ""},
		{"shortened", "hello world", false, st.width("hello w" + ellipsis), "hello w" + ellipsis},
		{"no space before ellipsis", "hello world", false, st.width("hello " + ellipsis), "hello" + ellipsis},
		{"nothing fits", "hello", false, 1, ellipsis},
		{"tail fits", "hello", true, 100 * em, "hello"},
		{"tail shortened", "hello world", true, st.width(ellipsis + "o world"), ellipsis + "o world"},
		{"tail one short", "hello world", true, st.width(ellipsis+"o world") - 1, ellipsis + " world"},
		{"tail nothing fits", "hello", true, 1, ellipsis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := st.fit
			if tt.tail {
				f = st.fitTail
			}
			got := f(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("fit(%q, %d, tail %v) = %q, want %q", tt.in, tt.w, tt.tail, got, tt.want)
			}
			if tt.w > 1 && st.width(got) > tt.w {
				t.Errorf("%q is %d wide, more than %d", got, st.width(got), tt.w)
			}
		})
	}
	wraps := []struct {
		name, in    string
		first, rest int // in characters of "n"
		want        []string
	}{
		{"fits", "one two", 20, 20, []string{"one two"}},
		{"at words", "one two three four", 9, 9, []string{"one two", "three", "four"}},
		{"narrower rest", "one two three", 7, 5, []string{"one two", "three"}},
		{"long word broken", "abcdefghij", 4, 4, []string{"abcd", "efgh", "ij"}},
		{"leading spaces kept", "  one two", 6, 6, []string{"  one", "two"}},
		{"empty", "", 5, 5, []string{""}},
	}
	n := textStyle{face: r.face(fontMono, 16)} // monospace: widths count characters
	cw := n.width("n")
	for _, tt := range wraps {
		t.Run("wrap "+tt.name, func(t *testing.T) {
			got := n.wrap(tt.in, tt.first*cw, tt.rest*cw)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("wrap(%q, %d, %d) = %q, want %q", tt.in, tt.first, tt.rest, got, tt.want)
			}
		})
	}
}

func TestTabs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"CPU     4\tx\x00y", "CPU\t4 x y"},
		{"Memory  8 GB", "Memory\t8 GB"},
		{"1 [b0001] USB Stick  - not usable", "1 [b0001] USB Stick\x1f- not usable"},
		{"Up/Down choose  Enter select", "Up/Down\x20choose\x1fEnter select"},
		{"  indented  text", "\x1findented\x1ftext"},
	}
	for _, tt := range tests {
		if got := tabbed(tt.in); got != tt.want {
			t.Errorf("tabbed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	r := newRenderer(t, darkBrand())
	st := textStyle{face: r.face(fontRegular, 16), tab: 80, gap: 10}
	// Labels of different widths line their values up.
	if a, b := st.width("CPU\t"), st.width("Memory\t"); a != 80 || b != 80 {
		t.Errorf("tab stops at %d and %d, want both 80", a, b)
	}
	long := strings.Repeat("M", 10)
	if got := st.width(long + "\t"); got%80 != 0 || got < st.width(long)+10 {
		t.Errorf("tab after a long label ends at %d", got)
	}
	if got, want := st.width("CPU\x1f"), st.width("CPU")+10; got != want {
		t.Errorf("gap after CPU ends at %d, want %d", got, want)
	}
}

// TestDefaultBrand draws every screen in the built-in brand: nothing
// overflows, the background dominates, the accent marks the selection.
func TestDefaultBrand(t *testing.T) {
	b := brand.Default()
	r := newRenderer(t, b)
	for _, size := range []image.Point{sizeSmall, sizeLarge} {
		for _, v := range screens() {
			if o := r.Overflows(v, size); len(o) > 0 {
				t.Errorf("%s %v overflows:\n%s", v.Screen, size, strings.Join(o, "\n"))
			}
			img := render(r, v, size)
			if got := mostCommon(img); got != b.Background {
				t.Errorf("%s %v: most common colour %v, want the background %v", v.Screen, size, got, b.Background)
			}
			if n := count(img, r.layoutView(v, size).content, b.Accent); n < 50 {
				t.Errorf("%s %v: %d accent pixels in the content, want the selection in accent", v.Screen, size, n)
			}
		}
		if o := r.StatusOverflows(status(), size); len(o) > 0 {
			t.Errorf("status %v overflows:\n%s", size, strings.Join(o, "\n"))
		}
		if got := mostCommon(renderStatus(r, status(), size)); got != b.Background {
			t.Errorf("status %v: most common colour %v, want the background %v", size, got, b.Background)
		}
	}
	if c := contrast(r.pal.onAccent, b.Accent); c < textContrast {
		t.Errorf("text on the accent has contrast %.2f", c)
	}
}

// TestOddSizes: screens far outside the supported range are drawn
// without a panic, and tell Overflows what does not fit.
func TestOddSizes(t *testing.T) {
	r := newRenderer(t, darkBrand())
	for _, size := range []image.Point{{0, 0}, {1, 1}, {64, 48}, {2000, 100}, {100, 2000}} {
		for _, v := range screens() {
			render(r, v, size)
			r.Overflows(v, size)
		}
		renderStatus(r, status(), size)
	}
	if o := r.Overflows(screens()[0], image.Pt(64, 48)); len(o) == 0 {
		t.Error("nothing reported overflowing a 64x48 screen")
	}
}

// TestConcurrentDraw: one renderer used from several goroutines (run
// with -race) draws what it draws alone.
func TestConcurrentDraw(t *testing.T) {
	r := newRenderer(t, darkBrand())
	want := render(r, screens()[1], sizeSmall)
	done := make(chan *image.RGBA)
	for i := range 4 {
		go func() {
			v := screens()[i%len(screens())]
			render(r, v, sizeLarge) // other sizes in between fill the caches
			renderStatus(r, status(), image.Pt(1024, 768))
			done <- render(r, screens()[1], sizeSmall)
		}()
	}
	for range 4 {
		if got := <-done; !bytes.Equal(got.Pix, want.Pix) {
			t.Error("concurrent draw differs from a lone one")
		}
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{1499 * time.Millisecond, "1s"},
		{59 * time.Second, "59s"},
		{3*time.Minute + 20*time.Second, "3m 20s"},
		{5 * time.Minute, "5m"},
		{5*time.Hour + 2*time.Minute + 9*time.Second, "5h 2m"},
		{48*time.Hour + 30*time.Second, "2d"},
		{12*24*time.Hour + 3*time.Hour + 59*time.Minute, "12d 3h"},
	}
	for _, tt := range tests {
		if got := human(tt.d); got != tt.want {
			t.Errorf("human(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func BenchmarkDraw(b *testing.B) {
	r := newRenderer(b, darkBrand())
	views := screens()
	for _, size := range []image.Point{sizeLarge, sizeSmall, {3840, 2160}} {
		for _, v := range []view.View{views[1], views[4]} {
			b.Run(fmt.Sprintf("%s-%dx%d", v.Screen, size.X, size.Y), func(b *testing.B) {
				img := image.NewRGBA(image.Rectangle{Max: size})
				r.Draw(img, v) // warm the caches
				for b.Loop() {
					r.Draw(img, v)
				}
			})
		}
		b.Run(fmt.Sprintf("status-%dx%d", size.X, size.Y), func(b *testing.B) {
			img := image.NewRGBA(image.Rectangle{Max: size})
			r.DrawStatus(img, status())
			for b.Loop() {
				r.DrawStatus(img, status())
			}
		})
	}
	// The first frame after New: fonts rasterised, logo scaled.
	b.Run("cold-1920x1080", func(b *testing.B) {
		img := image.NewRGBA(image.Rectangle{Max: sizeLarge})
		for b.Loop() {
			r := newRenderer(b, darkBrand())
			r.Draw(img, views[1])
		}
	})
}
