package power

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// Linux input event constants (linux/input-event-codes.h).
const (
	EvKey    = 0x01
	KeyPower = 116
)

// EventSize is sizeof(struct input_event) on 64-bit Linux: a struct
// timeval (16 bytes) followed by __u16 type, __u16 code and __s32 value.
// Plinth targets x86-64 only; a test checks it against unix.Timeval.
const EventSize = 24

// Event is one input_event without its timestamp.
type Event struct {
	Type  uint16
	Code  uint16
	Value int32
}

// IsPowerPress reports a press (not release or auto-repeat) of KEY_POWER.
func (e Event) IsPowerPress() bool { return e.Type == EvKey && e.Code == KeyPower && e.Value == 1 }

// ParseEvents decodes consecutive input_event structs (host byte order).
// The kernel only returns whole events; a partial one is an error.
func ParseEvents(b []byte) ([]Event, error) {
	if len(b)%EventSize != 0 {
		return nil, fmt.Errorf("power: %d bytes is not a whole number of %d-byte input events", len(b), EventSize)
	}
	ts := EventSize - 8
	evs := make([]Event, 0, len(b)/EventSize)
	for off := 0; off < len(b); off += EventSize {
		e := b[off+ts : off+EventSize]
		evs = append(evs, Event{
			Type:  binary.NativeEndian.Uint16(e[0:]),
			Code:  binary.NativeEndian.Uint16(e[2:]),
			Value: int32(binary.NativeEndian.Uint32(e[4:])),
		})
	}
	return evs, nil
}

// HasBit reports whether bit is set in a capability bitmap as sysfs
// prints it (…/capabilities/key): hexadecimal words of the kernel's long
// size, most significant first, separated by spaces, leading zero words
// left out.
func HasBit(bitmap string, bit int) (bool, error) {
	const wordBits = 8 * int(unsafe.Sizeof(uintptr(0))) // BITS_PER_LONG
	words := strings.Fields(bitmap)
	if bit < 0 {
		return false, fmt.Errorf("power: negative bit %d", bit)
	}
	vals := make([]uint64, len(words))
	for i, w := range words {
		v, err := strconv.ParseUint(w, 16, wordBits)
		if err != nil {
			return false, fmt.Errorf("power: bad capability word %q: %w", w, err)
		}
		vals[i] = v
	}
	i := bit / wordBits
	if i >= len(vals) {
		return false, nil
	}
	return vals[len(vals)-1-i]&(1<<(bit%wordBits)) != 0, nil
}
