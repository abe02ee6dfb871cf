package efivar

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// efivarfs marks variable files the kernel does not know to be safe to
// delete immutable (FS_IMMUTABLE_FL), so that a stray rm cannot brick a
// machine; writing or deleting them needs the flag cleared first.

// fsImmutableFL is FS_IMMUTABLE_FL from linux/fs.h (chattr +i); x/sys/unix
// does not export it.
const fsImmutableFL = 0x00000010

// immutableState remembers the flags of a file whose immutable flag
// clearImmutable cleared.
type immutableState struct {
	f       *os.File
	flags   uint32
	cleared bool
}

// clearImmutable clears FS_IMMUTABLE_FL on f if it is set. File systems
// without the flag ioctls (ENOTTY, EOPNOTSUPP, ...) are fine: nothing to
// clear.
func clearImmutable(f *os.File) (*immutableState, error) {
	s := &immutableState{f: f}
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		if flagsUnsupported(err) {
			return s, nil
		}
		return nil, fmt.Errorf("get inode flags: %w", err)
	}
	if flags&fsImmutableFL == 0 {
		return s, nil
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutableFL)); err != nil {
		return nil, fmt.Errorf("clear immutable flag: %w", err)
	}
	s.flags, s.cleared = flags, true
	return s, nil
}

// restore sets the flags back if clearImmutable changed them. A failure
// leaves a writable file, which is no worse than before efivarfs had the
// flag, so it is ignored.
func (s *immutableState) restore() {
	if s.cleared {
		_ = unix.IoctlSetPointerInt(int(s.f.Fd()), unix.FS_IOC_SETFLAGS, int(s.flags))
	}
}

func flagsUnsupported(err error) bool {
	return errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS)
}

// checkEfivarfs returns nil if dir is an efivarfs mount.
func checkEfivarfs(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	if uint32(st.Type) != unix.EFIVARFS_MAGIC {
		return fmt.Errorf("file system type %#x is not efivarfs", st.Type)
	}
	return nil
}
