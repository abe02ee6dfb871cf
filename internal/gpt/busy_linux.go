package gpt

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrBusy means the disk or one of its partitions is mounted, used as
// swap, or held by another block device (device-mapper, RAID).
var ErrBusy = errors.New("device in use")

// kernelPart is a block device of the disk as sysfs shows it: the disk
// itself (number 0) or one of its partitions.
type kernelPart struct {
	name   string // kernel name, /dev/<name>
	number int
	dev    uint64
	start  uint64 // in 512-byte units, as sysfs counts
	size   uint64
	dir    string // sysfs directory
}

// sysfsParts lists the disk with device number rdev and its partitions.
func sysfsParts(rdev uint64) ([]kernelPart, error) {
	link := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(rdev), unix.Minor(rdev))
	dir, err := filepath.EvalSymlinks(link)
	if err != nil {
		return nil, fmt.Errorf("gpt: sysfs entry of device %d:%d: %w", unix.Major(rdev), unix.Minor(rdev), err)
	}
	parts := []kernelPart{{name: filepath.Base(dir), dev: rdev, dir: dir}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("gpt: list %s: %w", dir, err)
	}
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		num, err := readSysUint(sub, "partition")
		if err != nil {
			continue // not a partition
		}
		p := kernelPart{name: e.Name(), number: int(num), dir: sub}
		p.start, _ = readSysUint(sub, "start")
		p.size, _ = readSysUint(sub, "size")
		if dev, err := os.ReadFile(filepath.Join(sub, "dev")); err == nil {
			p.dev = parseDev(strings.TrimSpace(string(dev)))
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func readSysUint(dir, name string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// parseDev parses "major:minor"; 0 if malformed.
func parseDev(s string) uint64 {
	maj, min, ok := strings.Cut(s, ":")
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0
	}
	return unix.Mkdev(uint32(a), uint32(b))
}

// CheckNotInUse returns an ErrBusy error naming the first user found of
// the disk or its partitions: a mount (/proc/self/mountinfo, matched by
// device number, also through the mount source for filesystems such as
// btrfs that report an anonymous one), swap (/proc/swaps) or a holder in
// sysfs. Image files are not checked.
func (d *Disk) CheckNotInUse() error {
	if !d.BlockDevice {
		return nil
	}
	parts, err := sysfsParts(d.rdev)
	if err != nil {
		return err
	}
	byDev := map[uint64]string{}
	for _, p := range parts {
		if p.dev != 0 {
			byDev[p.dev] = p.name
		}
		holders, _ := os.ReadDir(filepath.Join(p.dir, "holders"))
		if len(holders) > 0 {
			return fmt.Errorf("gpt: %s: %w: /dev/%s is held by %s", d.Path, ErrBusy, p.name, holders[0].Name())
		}
	}
	if err := checkMounts(d.Path, byDev); err != nil {
		return err
	}
	return checkSwaps(d.Path, byDev)
}

func checkMounts(path string, byDev map[uint64]string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("gpt: check mounts of %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options... - fstype source superopts
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		name, ok := byDev[parseDev(fields[2])]
		if !ok {
			if i := slices.Index(fields, "-"); i >= 0 && i+2 < len(fields) {
				name, ok = byDev[devOf(unescape(fields[i+2]))]
			}
		}
		if ok {
			return fmt.Errorf("gpt: %s: %w: /dev/%s is mounted on %s", path, ErrBusy, name, unescape(fields[4]))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("gpt: read /proc/self/mountinfo: %w", err)
	}
	return nil
}

func checkSwaps(path string, byDev map[uint64]string) error {
	b, err := os.ReadFile("/proc/swaps")
	if err != nil {
		return nil // no swap support in this kernel
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if name, ok := byDev[devOf(unescape(fields[0]))]; ok {
			return fmt.Errorf("gpt: %s: %w: /dev/%s is used as swap", path, ErrBusy, name)
		}
	}
	return nil
}

// devOf returns the device number of a block device path, 0 otherwise.
func devOf(path string) uint64 {
	var st unix.Stat_t
	if !strings.HasPrefix(path, "/") || unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0
	}
	return st.Rdev
}

// unescape undoes the octal escapes (\040 for space) of mountinfo and
// /proc/swaps.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
