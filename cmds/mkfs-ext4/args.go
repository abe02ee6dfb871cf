package main

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/plinth-os/plinth/internal/ext4/mkext4"
)

// parseUUID accepts the 8-4-4-4-12 hex form, or "random" (all zeros, which
// mkext4.Format replaces by a random UUID).
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if s == "random" {
		return u, nil
	}
	parts := strings.Split(s, "-")
	lens := []int{8, 4, 4, 4, 12}
	if len(parts) != len(lens) {
		return u, fmt.Errorf("%w: -U %q: want a UUID like 0b1f4b4e-7d0a-4f2e-9c59-6f0d1e2a3b4c, or random", errUsage, s)
	}
	b, err := hex.DecodeString(strings.Join(parts, ""))
	for i, p := range parts {
		if len(p) != lens[i] {
			err = fmt.Errorf("group %d has %d digits, want %d", i+1, len(p), lens[i])
		}
	}
	if err != nil {
		return u, fmt.Errorf("%w: -U %q: %v", errUsage, s, err)
	}
	copy(u[:], b)
	if u == ([16]byte{}) {
		return u, fmt.Errorf("%w: -U %q: the null UUID is not allowed", errUsage, s)
	}
	return u, nil
}

// parseExtended handles -E: a comma-separated list; only root_owner is
// supported (without a value it means the caller's uid and gid, as in
// mke2fs).
func parseExtended(s string, o *mkext4.Options) error {
	if s == "" {
		return nil
	}
	for _, opt := range strings.Split(s, ",") {
		key, val, hasVal := strings.Cut(opt, "=")
		switch key {
		case "root_owner":
			if !hasVal {
				o.RootUID, o.RootGID = uint32(os.Getuid()), uint32(os.Getgid())
				continue
			}
			u, g, ok := strings.Cut(val, ":")
			uid, err1 := strconv.ParseUint(u, 10, 32)
			gid, err2 := strconv.ParseUint(g, 10, 32)
			if !ok || err1 != nil || err2 != nil {
				return fmt.Errorf("%w: -E root_owner=%q: want UID:GID, two numbers", errUsage, val)
			}
			o.RootUID, o.RootGID = uint32(uid), uint32(gid)
		default:
			return fmt.Errorf("%w: -E %q: unsupported extended option (only root_owner)", errUsage, opt)
		}
	}
	return nil
}

// parseSize reads SIZE like mke2fs: a plain number counts blocks when -b
// was given and KiB otherwise; suffixes s (512-byte sectors), K, M, G, T
// count bytes in binary units.
func parseSize(s string, blockSize int) (int64, error) {
	num, unit := s, int64(1024)
	if blockSize > 0 {
		unit = int64(blockSize)
	}
	if n := len(s); n > 0 {
		if u, ok := map[byte]int64{'s': 512, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40}[toLower(s[n-1])]; ok {
			num, unit = s[:n-1], u
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/unit {
		return 0, fmt.Errorf("%w: SIZE %q: want a positive number with an optional suffix s, K, M, G or T", errUsage, s)
	}
	return v * unit, nil
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// statOwner keeps the owner of files copied with -d, as mke2fs -d does.
func statOwner(_ string, info fs.FileInfo) (uid, gid uint32) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Uid, st.Gid
	}
	return 0, 0
}
