// Package kmsg reads the kernel's log through /dev/kmsg: the whole
// buffer (for a log bundle) or the messages of one priority or worse as
// they arrive (for the installer's and the appliance's screens, which
// keep the text console off the screen and so would otherwise hide a
// kernel error).
package kmsg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Priorities (syslog levels) of the records.
const (
	Emerg = 0
	Alert = 1
	Crit  = 2
	Err   = 3
)

// bufSize is larger than the longest record /dev/kmsg returns
// (CONSOLE_EXT_LOG_MAX, 8 KiB); a smaller buffer makes read fail with
// EINVAL.
const bufSize = 16 << 10

// Record is one kernel log message.
type Record struct {
	Priority int // 0 (emergency) to 7 (debug)
	Seq      uint64
	Time     time.Duration // since boot
	Text     string
}

// String formats r as dmesg does: "[    1.234567] text".
func (r Record) String() string {
	us := r.Time.Microseconds()
	return fmt.Sprintf("[%5d.%06d] %s", us/1e6, us%1e6, r.Text)
}

// Parse reads one record header line, "prio,seq,usec,flags[,...];text"
// (the priority field also carries the facility, in its upper bits).
func Parse(line string) (Record, bool) {
	hdr, text, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ";")
	if !ok {
		return Record{}, false
	}
	f := strings.Split(hdr, ",")
	if len(f) < 3 {
		return Record{}, false
	}
	prio, err1 := strconv.Atoi(f[0])
	seq, err2 := strconv.ParseUint(f[1], 10, 64)
	usec, err3 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || prio < 0 {
		return Record{}, false
	}
	return Record{Priority: prio & 7, Seq: seq, Time: time.Duration(usec) * time.Microsecond, Text: text}, true
}

// Format turns what /dev/kmsg returned (records, each a header line and
// continuation lines starting with a space, which are left out) into
// dmesg's format. A line that does not parse is kept as it is.
func Format(b []byte) []byte {
	var out bytes.Buffer
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || line[0] == ' ' {
			continue
		}
		if r, ok := Parse(line); ok {
			out.WriteString(r.String())
		} else {
			out.WriteString(line)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// open opens path without the runtime poller: the os package would wait
// on EAGAIN instead of returning it.
func open(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("kmsg: open %s: %w", path, err)
	}
	return fd, nil
}

// ReadAll returns the kernel's log buffer in dmesg's format, reading
// until it is drained.
func ReadAll(path string) ([]byte, error) {
	var out, raw bytes.Buffer
	err := readRecords(path, func(rec []byte) bool {
		raw.Write(rec)
		return true
	}, func() {
		out.Write(Format(raw.Bytes()))
		raw.Reset()
		out.WriteString("[kernel messages lost here: the log buffer wrapped while it was read]\n")
	})
	if err != nil {
		return nil, err
	}
	out.Write(Format(raw.Bytes()))
	return out.Bytes(), nil
}

// First returns the oldest record still in the kernel's log buffer for
// which match says true, and whether there is one.
func First(path string, match func(Record) bool) (Record, bool, error) {
	var found Record
	ok := false
	err := readRecords(path, func(rec []byte) bool {
		header, _, _ := strings.Cut(string(rec), "\n")
		if r, parsed := Parse(header); parsed && match(r) {
			found, ok = r, true
			return false
		}
		return true
	}, func() {})
	return found, ok, err
}

// readRecords reads path from its oldest record until it is drained or
// each returns false, passing each read's bytes to each (from /dev/kmsg,
// one record a read). lost is called when the ring buffer overwrote
// records before they were read; reading goes on from the oldest left.
func readRecords(path string, each func(rec []byte) bool, lost func()) error {
	fd, err := open(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf := make([]byte, bufSize)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN) || (err == nil && n == 0):
			return nil
		case errors.Is(err, unix.EPIPE):
			lost()
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return fmt.Errorf("kmsg: read %s: %w", path, err)
		case !each(buf[:n]):
			return nil
		}
	}
}

// Follow sends the records logged from now on whose priority is
// maxPriority or more severe, until ctx ends.
func Follow(ctx context.Context, path string, maxPriority int) (<-chan Record, error) {
	fd, err := open(path)
	if err != nil {
		return nil, err
	}
	// Skip what was logged before; a pipe (tests) has no past to skip.
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil && !errors.Is(err, unix.ESPIPE) {
		unix.Close(fd)
		return nil, fmt.Errorf("kmsg: seek to the end of %s: %w", path, err)
	}
	out := make(chan Record, 16)
	go func() {
		defer close(out)
		defer unix.Close(fd)
		buf := make([]byte, bufSize)
		for ctx.Err() == nil {
			n, err := unix.Read(fd, buf)
			switch {
			case errors.Is(err, unix.EAGAIN):
				// Wait for the next record, looking at ctx every second.
				unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 1000)
				continue
			case errors.Is(err, unix.EPIPE), errors.Is(err, unix.EINTR):
				continue
			case err != nil || n == 0:
				return
			}
			// A read returns one record: its header line, then device
			// properties on lines that start with a space.
			for line := range strings.Lines(string(buf[:n])) {
				r, ok := Parse(line)
				if !ok || line[0] == ' ' || r.Priority > maxPriority {
					continue
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
