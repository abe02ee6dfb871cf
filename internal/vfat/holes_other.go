//go:build !linux

package vfat

import "io"

// dataRanges cannot find holes on this system; see holes_linux.go.
func dataRanges(w io.WriterAt, off, n int64) (ranges [][2]int64, ok bool) {
	return nil, false
}
