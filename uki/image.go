package uki

import "strings"

// Image is the usual set of UKI payloads. Empty fields other than Linux are
// left out of the image: systemd-stub treats an empty section like a missing
// one.
type Image struct {
	OSRelease string // os-release text for .osrel; see OSRelease
	Cmdline   string // kernel command line for .cmdline; see DefaultCmdline
	Uname     string // kernel release (uname -r) for .uname
	Linux     []byte // kernel image (bzImage) for .linux
	Initrd    []byte // initramfs for .initrd
	Splash    []byte // BMP boot splash for .splash
}

// Sections returns the image's sections in the order ukify uses: .osrel,
// .cmdline, .uname, .splash, .initrd, .linux. .linux is last so the kernel,
// usually the largest part, ends the image and can be used in place.
func (im Image) Sections() []Section {
	var s []Section
	add := func(name string, data []byte) {
		if len(data) > 0 {
			s = append(s, Section{Name: name, Data: data})
		}
	}
	add(".osrel", []byte(im.OSRelease))
	add(".cmdline", []byte(im.Cmdline))
	add(".uname", []byte(im.Uname))
	add(".splash", im.Splash)
	add(".initrd", im.Initrd)
	return append(s, Section{Name: ".linux", Data: im.Linux})
}

// Build is shorthand for Build(stub, im.Sections()).
func (im Image) Build(stub []byte) ([]byte, error) {
	return Build(stub, im.Sections())
}

// DefaultCmdline returns a quiet kernel command line that still gives
// automation a serial console.
//
// Kernel messages go to every console= listed, but /dev/console (the stdin,
// stdout and stderr of u-root's init, and so of our installer and its
// machine-readable events) is only the LAST one. ttyS0 therefore comes last,
// so a harness reading the serial port sees everything; tty0 keeps kernel
// messages on the screen. quiet and loglevel=3 hide all but errors, so the
// events are not buried in boot noise, and nothing covers the splash;
// vt.global_cursor_default=0 hides the blinking text cursor; panic=10 reboots (exits QEMU under
// -no-reboot) instead of hanging forever on a panic. random.trust_cpu=on
// seeds the kernel's random number generator from the CPU's RDRAND at
// once, as distribution kernels do (RANDOM_TRUST_CPU): without it the
// first DHCP request waits until the kernel has gathered entropy itself,
// over a second in a VM. There is no udev in a u-root initramfs, so no
// rd.udev.* setting is needed.
func DefaultCmdline() string {
	return "console=tty0 console=ttyS0,115200 quiet loglevel=3 vt.global_cursor_default=0 panic=10 random.trust_cpu=on"
}

// OSRelease returns os-release(5) text for the .osrel section, from which
// systemd-boot takes the menu title (PRETTY_NAME) and entry version. name and
// version are free text; ID and VERSION_ID are derived from id and version
// by lower-casing them and replacing characters os-release does not allow
// there with '-'. Empty values are left out.
func OSRelease(name, id, version string) string {
	var b strings.Builder
	line := func(key, val string) {
		if val != "" {
			b.WriteString(key + "=" + val + "\n")
		}
	}
	line("NAME", quote(name))
	line("ID", idValue(id))
	line("VERSION", quote(version))
	line("VERSION_ID", idValue(version))
	line("PRETTY_NAME", quote(strings.TrimSpace(name+" "+version)))
	return b.String()
}

// quote makes s a double-quoted, shell-compatible os-release value.
func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ") // single line, no stray spaces
	if s == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(s) + `"`
}

// idValue maps s to the character set os-release allows for ID and
// VERSION_ID: 0-9, a-z, '.', '_' and '-'.
func idValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		default:
			return '-'
		}
	}, strings.TrimSpace(s))
}
