package abslot

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to forget f's clean cached pages, so that
// reading it reads the medium. It is advice: a file system that ignores
// it only makes the read-back check weaker.
func dropCache(f *os.File) { _ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) }
