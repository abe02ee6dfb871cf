package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Paths read to tell whether a target is in use; fields for tests.
const (
	mountInfoPath = "/proc/self/mountinfo"
	swapsPath     = "/proc/swaps"
	sysDevBlock   = "/sys/dev/block"
	loopMajor     = 7
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	dev        string // "major:minor"
	mountPoint string
	source     string // e.g. /dev/sda1
}

// readMounts parses mountinfo (see proc(5)).
func readMounts() ([]mountEntry, error) {
	f, err := os.Open(mountInfoPath)
	if err != nil {
		return nil, fmt.Errorf("cannot check mounts: %w", err)
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if e, ok := parseMountInfoLine(sc.Text()); ok {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot check mounts: %s: %w", mountInfoPath, err)
	}
	return out, nil
}

// parseMountInfoLine splits "36 35 98:0 /root /mnt opts [tags] - type source sopts".
func parseMountInfoLine(line string) (mountEntry, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	f, g := strings.Fields(pre), strings.Fields(post)
	if !ok || len(f) < 5 || len(g) < 2 {
		return mountEntry{}, false
	}
	return mountEntry{dev: f[2], mountPoint: unescapeMount(f[4]), source: unescapeMount(g[1])}, true
}

// unescapeMount undoes mountinfo's octal escapes (\040 for space...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func devString(rdev uint64) string { return fmt.Sprintf("%d:%d", unix.Major(rdev), unix.Minor(rdev)) }

// checkNotInUse refuses a block device that is mounted, has a mounted
// partition, or is active swap.
func checkNotInUse(path string, rdev uint64) error {
	mounts, err := readMounts()
	if err != nil {
		return err
	}
	want := devString(rdev)
	for _, m := range mounts {
		if m.dev == want || sameDevice(m.source, rdev) {
			return fmt.Errorf("%s is mounted on %s", path, m.mountPoint)
		}
		if parent := parentDisk(m.dev); parent == want {
			return fmt.Errorf("%s has a partition (%s) mounted on %s", path, m.source, m.mountPoint)
		}
	}
	for _, s := range readSwaps() {
		if sameDevice(s, rdev) {
			return fmt.Errorf("%s is in use as swap", path)
		}
	}
	return nil
}

// sameDevice reports whether path is a block device node for rdev.
func sameDevice(path string, rdev uint64) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	st := statT(path)
	return st != nil && st.Mode&unix.S_IFMT == unix.S_IFBLK && uint64(st.Rdev) == rdev
}

// parentDisk returns the "major:minor" of the disk holding partition dev,
// or "" when dev is not a partition.
func parentDisk(dev string) string {
	dir := filepath.Join(sysDevBlock, dev)
	if _, err := os.Stat(filepath.Join(dir, "partition")); err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "dev"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readSwaps returns the active swap areas' paths.
func readSwaps() []string {
	b, err := os.ReadFile(swapsPath)
	if err != nil {
		return nil
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			out = append(out, unescapeMount(f[0]))
		}
	}
	return out
}

// checkImageNotMounted refuses an image file that backs a mounted loop
// device, or is an active swap file.
func checkImageNotMounted(path string) error {
	self := statT(path)
	if self == nil {
		return nil
	}
	same := func(p string) bool {
		st := statT(strings.TrimSuffix(p, " (deleted)"))
		return st != nil && st.Dev == self.Dev && st.Ino == self.Ino
	}
	mounts, err := readMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		dev := m.dev
		if parent := parentDisk(dev); parent != "" { // a partition of a loop device
			dev = parent
		}
		var major, minor uint32
		if _, err := fmt.Sscanf(dev, "%d:%d", &major, &minor); err != nil || major != loopMajor {
			continue
		}
		b, err := os.ReadFile(filepath.Join(sysDevBlock, dev, "loop", "backing_file"))
		if err == nil && same(strings.TrimSpace(string(b))) {
			return fmt.Errorf("%s is mounted on %s (through loop device %s)", path, m.mountPoint, m.source)
		}
	}
	for _, s := range readSwaps() {
		if same(s) {
			return fmt.Errorf("%s is in use as a swap file", path)
		}
	}
	return nil
}
