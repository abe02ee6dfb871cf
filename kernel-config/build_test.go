package kernelconfig

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFragments(t *testing.T) {
	tests := []struct {
		kind      string
		want      []string // options that must be set to y
		forbidden []string // options that must not appear
	}{
		{"installer", []string{"CONFIG_EFI_STUB", "CONFIG_EFIVAR_FS", "CONFIG_BLK_DEV_NVME", "CONFIG_SATA_AHCI", "CONFIG_VIRTIO_BLK", "CONFIG_BLK_DEV_SR", "CONFIG_ISO9660_FS", "CONFIG_USB_STORAGE", "CONFIG_RD_ZSTD", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_FB_EFI"}, []string{"CONFIG_SECURITY_LOCKDOWN_LSM"}},
		{"runtime", []string{"CONFIG_EFI_STUB", "CONFIG_SECURITY_LOCKDOWN_LSM", "CONFIG_EXT4_FS", "CONFIG_VFAT_FS", "CONFIG_VIRTIO_NET", "CONFIG_USB_STORAGE", "CONFIG_I6300ESB_WDT", "CONFIG_ITCO_WDT"}, []string{"CONFIG_ISO9660_FS"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			text, err := Fragment(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := ParseFragment(text)
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]string{}
			for _, o := range opts {
				if prev, dup := set[o.Name]; dup {
					t.Errorf("%s set twice (%s, %s)", o.Name, prev, o.Value)
				}
				set[o.Name] = o.Value
			}
			if set["CONFIG_MODULES"] != "n" {
				t.Errorf("CONFIG_MODULES = %q, want n: everything is built in", set["CONFIG_MODULES"])
			}
			for _, w := range tt.want {
				if set[w] != "y" {
					t.Errorf("%s = %q, want y", w, set[w])
				}
			}
			for _, f := range tt.forbidden {
				if _, ok := set[f]; ok {
					t.Errorf("%s must not be in the %s kernel", f, tt.kind)
				}
			}
		})
	}
	if _, err := Fragment("desktop"); err == nil {
		t.Error("Fragment(desktop) succeeded, want an error")
	}
}

func TestParseFragmentRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"EFI_STUB=y", "CONFIG_FOO", "CONFIG_FOO="} {
		if _, err := ParseFragment(bad); err == nil {
			t.Errorf("ParseFragment(%q) succeeded", bad)
		}
	}
}

func TestMissing(t *testing.T) {
	frag := []Option{{"CONFIG_A", "y"}, {"CONFIG_B", "n"}, {"CONFIG_C", "y"}, {"CONFIG_D", "n"}, {"CONFIG_E", `"x"`}}
	resolved := strings.Join([]string{
		"CONFIG_A=y",
		"# CONFIG_B is not set",
		"# CONFIG_C is not set",
		`CONFIG_E="x"`,
	}, "\n")
	got := Missing(frag, resolved)
	if len(got) != 1 || !strings.HasPrefix(got[0], "CONFIG_C ") {
		t.Errorf("Missing = %q, want only CONFIG_C", got)
	}
}

func TestBuildMissingSource(t *testing.T) {
	_, err := Build(context.Background(), Options{Kind: "installer", Source: "/nonexistent/linux.tar.xz", CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "apt-get install linux-source") {
		t.Errorf("missing source: %v", err)
	}
}

// fakeMake is a make that does what the kernel's Makefile would do for the
// targets Build uses, instantly: tinyconfig writes a .config, olddefconfig
// keeps it (or, with FAKE_MAKE_DROP set, drops that option as an unmet
// dependency would), bzImage writes a file and prints a compile line,
// kernelrelease prints a release. It records every call in $FAKE_MAKE_CALLS.
const fakeMake = `#!/bin/sh
out=
for a in "$@"; do
	case "$a" in
	O=*) out="${a#O=}" ;;
	esac
done
for target in "$@"; do :; done
echo "$target" >>"$FAKE_MAKE_CALLS"
case "$target" in
tinyconfig) echo "CONFIG_64BIT=y" >"$out/.config" ;;
olddefconfig)
	if [ -n "$FAKE_MAKE_DROP" ]; then
		grep -v "^$FAKE_MAKE_DROP=" "$out/.config" >"$out/.config.new" && mv "$out/.config.new" "$out/.config"
	fi ;;
bzImage)
	if [ -n "$FAKE_MAKE_FAIL_ONCE" ] && [ -e "$FAKE_MAKE_FAIL_ONCE" ]; then
		rm "$FAKE_MAKE_FAIL_ONCE"; echo "stale object" >&2; exit 2
	fi
	[ -e "$out/objects" ] && echo "reused" >>"$FAKE_MAKE_CALLS"
	touch "$out/objects"
	mkdir -p "$out/arch/x86/boot" && echo "bzImage of $out" >"$out/arch/x86/boot/bzImage" && echo "  CC      init/main.o" ;;
kernelrelease) echo "6.1.0-fake" ;;
*) echo "fake make: unexpected target $target" >&2; exit 2 ;;
esac
`

// withFakeMake puts fakeMake first in PATH and returns where it records
// its calls, a source tree for it and an empty cache.
func withFakeMake(t *testing.T) (calls, src, cache string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "make"), []byte(fakeMake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	calls = filepath.Join(t.TempDir(), "calls")
	t.Setenv("FAKE_MAKE_CALLS", calls)
	src = t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "Makefile"), []byte("# kernel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return calls, src, t.TempDir()
}

// TestBuildSteps runs the whole build against a stand-in make: the cache
// entry it leaves, the second call served from the cache, and the error
// when olddefconfig drops an option.
func TestBuildSteps(t *testing.T) {
	calls, src, cache := withFakeMake(t)
	var log strings.Builder
	opts := Options{Kind: "runtime", Source: src, CacheDir: cache, Jobs: 3, Log: &log}

	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("Build: %v\nlog:\n%s", err, log.String())
	}
	key, err := CacheKey("runtime", src)
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(cache, "kernels", key)
	if res.Cached || res.Key != key || res.Release != "6.1.0-fake" || res.BzImage != filepath.Join(entry, "bzImage") || res.Config != filepath.Join(entry, "config") {
		t.Errorf("first Build = %+v, want a fresh build of %s", res, key)
	}
	made, _ := os.ReadFile(calls)
	if got := strings.Fields(string(made)); strings.Join(got, " ") != "tinyconfig olddefconfig bzImage kernelrelease" {
		t.Errorf("make targets %q", got)
	}
	for _, want := range []string{"kernel runtime: not cached (" + key + "), building from " + src + " with 3 jobs\n", "kernel runtime: built 6.1.0-fake in "} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if rel, _ := os.ReadFile(filepath.Join(entry, "release")); string(rel) != "6.1.0-fake\n" {
		t.Errorf("cached release %q", rel)
	}
	cfg, err := os.ReadFile(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := Fragment("runtime")
	fragOpts, _ := ParseFragment(frag)
	if miss := Missing(fragOpts, string(cfg)); !strings.HasPrefix(string(cfg), "CONFIG_64BIT=y\n") || len(miss) > 0 {
		t.Errorf("cached config lacks tinyconfig or fragment options %q:\n%s", miss, cfg)
	}

	os.Remove(calls)
	again, err := Build(context.Background(), opts)
	if err != nil || !again.Cached || again.Release != res.Release || again.BzImage != res.BzImage {
		t.Errorf("second Build = %+v, %v; want the cached kernel", again, err)
	}
	if _, err := os.Stat(calls); !os.IsNotExist(err) {
		t.Error("second Build ran make")
	}

	t.Setenv("FAKE_MAKE_DROP", "CONFIG_EXT4_FS")
	opts.Kind = "installer"
	_, err = Build(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "options dropped by olddefconfig") || !strings.Contains(err.Error(), "CONFIG_EXT4_FS (asked y, got n)") {
		t.Errorf("dropped option: err = %v", err)
	}
}

// TestBuildSharesTree builds both kinds against the stand-in make: the
// second compiles in the object tree the first left (the stand-in notes
// "reused" when it finds the first's objects), and a compile that fails
// in a reused tree is run once more in a clean one.
func TestBuildSharesTree(t *testing.T) {
	calls, src, cache := withFakeMake(t)
	var log strings.Builder
	build := func(kind string) {
		t.Helper()
		if _, err := Build(context.Background(), Options{Kind: kind, Source: src, CacheDir: cache, Log: &log}); err != nil {
			t.Fatalf("Build %s: %v\nlog:\n%s", kind, err, log.String())
		}
	}
	build("installer")
	os.Remove(calls)
	build("runtime")
	if made, _ := os.ReadFile(calls); !strings.Contains(string(made), "reused") {
		t.Errorf("the runtime kernel did not compile in the installer's tree: make saw %q", made)
	}
	var trees []string
	entries, _ := os.ReadDir(filepath.Join(cache, "build"))
	for _, e := range entries {
		if e.IsDir() {
			trees = append(trees, e.Name())
		}
	}
	if len(trees) != 1 {
		t.Errorf("object trees %q, want one for the source", trees)
	}

	// A fragment change gives a new key; its build fails once in the
	// reused tree and succeeds in a clean one.
	fail := filepath.Join(t.TempDir(), "fail-once")
	os.WriteFile(fail, nil, 0o644)
	t.Setenv("FAKE_MAKE_FAIL_ONCE", fail)
	os.RemoveAll(filepath.Join(cache, "kernels"))
	os.Remove(calls)
	build("installer")
	if !strings.Contains(log.String(), "building again in a clean object tree") {
		t.Errorf("no retry in a clean tree; log:\n%s", log.String())
	}
	if made, _ := os.ReadFile(calls); strings.Contains(string(made), "reused") {
		t.Errorf("the retry compiled in the old tree: make saw %q", made)
	}
}

func TestUntarArgs(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"/usr/src/linux-source-6.1.tar.xz", "--use-compress-program=xz -T0 -xf /usr/src/linux-source-6.1.tar.xz -C /c"},
		{"/src/linux.tar.gz", "-xf /src/linux.tar.gz -C /c"},
	} {
		if got := strings.Join(untarArgs(tt.src, "/c"), " "); got != tt.want {
			t.Errorf("untarArgs(%s) = %q, want %q", tt.src, got, tt.want)
		}
	}
}
