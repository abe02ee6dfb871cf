package uki

import (
	"reflect"
	"strings"
	"testing"
)

func TestImageSections(t *testing.T) {
	names := func(s []Section) []string {
		var n []string
		for _, x := range s {
			n = append(n, x.Name)
		}
		return n
	}
	for _, tc := range []struct {
		name string
		im   Image
		want []string
	}{
		{"full", testImage(), []string{".osrel", ".cmdline", ".uname", ".splash", ".initrd", ".linux"}},
		{"no splash", Image{OSRelease: "ID=x\n", Cmdline: "quiet", Uname: "6.1", Initrd: []byte{1}, Linux: []byte{2}},
			[]string{".osrel", ".cmdline", ".uname", ".initrd", ".linux"}},
		{"kernel only", Image{Linux: []byte{2}}, []string{".linux"}},
		{"zero value", Image{}, []string{".linux"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.im.Sections()
			if got := names(s); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Sections() = %v, want %v", got, tc.want)
			}
			if last := s[len(s)-1]; string(last.Data) != string(tc.im.Linux) {
				t.Errorf(".linux data wrong")
			}
		})
	}
	im := testImage()
	for _, s := range im.Sections() {
		want := map[string]string{".osrel": im.OSRelease, ".cmdline": im.Cmdline, ".uname": im.Uname,
			".splash": string(im.Splash), ".initrd": string(im.Initrd), ".linux": string(im.Linux)}[s.Name]
		if string(s.Data) != want {
			t.Errorf("section %s has the wrong data", s.Name)
		}
	}
}

func TestDefaultCmdline(t *testing.T) {
	c := DefaultCmdline()
	var consoles []string
	for _, f := range strings.Fields(c) {
		if v, ok := strings.CutPrefix(f, "console="); ok {
			consoles = append(consoles, v)
		}
	}
	// The last console= is /dev/console, where init's output goes.
	if len(consoles) == 0 || !strings.HasPrefix(consoles[len(consoles)-1], "ttyS0") {
		t.Errorf("last console in %q is not ttyS0: %v", c, consoles)
	}
	for _, w := range []string{"quiet", "console=tty0", "random.trust_cpu=on"} {
		if !strings.Contains(c, w) {
			t.Errorf("%q lacks %s", c, w)
		}
	}
}

func TestOSRelease(t *testing.T) {
	for _, tc := range []struct {
		name, osName, id, version, want string
	}{
		{"plain", "Plinth", "plinth", "0.1.0",
			"NAME=\"Plinth\"\nID=plinth\nVERSION=\"0.1.0\"\nVERSION_ID=0.1.0\nPRETTY_NAME=\"Plinth 0.1.0\"\n"},
		{"no version", "Plinth", "plinth", "",
			"NAME=\"Plinth\"\nID=plinth\nPRETTY_NAME=\"Plinth\"\n"},
		{"sanitized ids", "Plinth OS", "Plinth OS", "1.0 Beta/2",
			"NAME=\"Plinth OS\"\nID=plinth-os\nVERSION=\"1.0 Beta/2\"\nVERSION_ID=1.0-beta-2\nPRETTY_NAME=\"Plinth OS 1.0 Beta/2\"\n"},
		{"shell quoting", `A "q" $x \ ` + "`c`\nnext", "a", "",
			"NAME=\"A \\\"q\\\" \\$x \\\\ \\`c\\` next\"\nID=a\nPRETTY_NAME=\"A \\\"q\\\" \\$x \\\\ \\`c\\` next\"\n"},
		{"empty", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := OSRelease(tc.osName, tc.id, tc.version); got != tc.want {
				t.Errorf("OSRelease(%q, %q, %q) =\n%s\nwant\n%s", tc.osName, tc.id, tc.version, got, tc.want)
			}
		})
	}
}
