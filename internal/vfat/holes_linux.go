package vfat

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// dataRanges returns the parts of [off, off+n) that hold data, when w is a
// file descriptor that can say where its holes are (SEEK_DATA/SEEK_HOLE).
// Anything outside those parts reads as zeros. ok is false when w cannot
// tell, and the caller must assume data everywhere. Block devices report
// data everywhere, which is the safe answer.
func dataRanges(w io.WriterAt, off, n int64) (ranges [][2]int64, ok bool) {
	f, isFD := w.(interface{ Fd() uintptr })
	if !isFD {
		return nil, false
	}
	fd := int(f.Fd())
	// lseek moves the descriptor's offset, which WriteAt does not use but
	// the caller might: put it back.
	saved, err := unix.Seek(fd, 0, io.SeekCurrent)
	if err != nil {
		return nil, false
	}
	defer unix.Seek(fd, saved, io.SeekStart)

	end := off + n
	for pos := off; pos < end; {
		data, err := unix.Seek(fd, pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) { // only a hole up to the end of file
			break
		}
		if err != nil {
			return nil, false
		}
		if data >= end {
			break
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return nil, false
		}
		ranges = append(ranges, [2]int64{data, min(hole, end)})
		pos = hole
	}
	return ranges, true
}
