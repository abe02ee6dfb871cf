package evdev

import (
	"encoding/binary"
	"github.com/plinth-os/plinth/internal/keys"
	"unsafe"
)

// eventSize is sizeof(struct input_event): a struct timeval of two C longs
// (24 bytes in all on 64-bit Linux), then type u16, code u16, value s32.
const eventSize = 2*int(unsafe.Sizeof(uintptr(0))) + 8

// event is struct input_event without its timestamp.
type event struct {
	Type, Code uint16
	Value      int32
}

// parseEvent reads one input_event of eventSize bytes in the machine's
// byte order.
func parseEvent(b []byte) event {
	b = b[len(b)-8:]
	return event{
		Type:  binary.NativeEndian.Uint16(b[0:]),
		Code:  binary.NativeEndian.Uint16(b[2:]),
		Value: int32(binary.NativeEndian.Uint32(b[4:])),
	}
}

// appendEvent appends ev as an input_event with a zero timestamp.
func appendEvent(b []byte, ev event) []byte {
	b = append(b, make([]byte, eventSize-8)...)
	b = binary.NativeEndian.AppendUint16(b, ev.Type)
	b = binary.NativeEndian.AppendUint16(b, ev.Code)
	return binary.NativeEndian.AppendUint32(b, uint32(ev.Value))
}

// US layout for the main block, indexed by key code (KEY_ESC = 1 ...
// KEY_SPACE = 57); 0 means no character.
const (
	usPlain   = "\x00\x001234567890-=\x00\x00qwertyuiop[]\x00\x00asdfghjkl;'`\x00\\zxcvbnm,./\x00*\x00 "
	usShifted = "\x00\x00!@#$%^&*()_+\x00\x00QWERTYUIOP{}\x00\x00ASDFGHJKL:\"~\x00|ZXCVBNM<>?\x00*\x00 "
)

// Keypad from KEY_KP7 (71) to KEY_KPDOT (83), with Num Lock on.
const keypad = "789-456+1230."

// decoder turns one keyboard's events into keys, tracking its modifiers
// and lock states. It does no I/O.
type decoder struct {
	shiftL, shiftR bool
	ctrlL, ctrlR   bool
	altL, altR     bool
	caps, num      bool // Caps Lock, Num Lock
	dropped        bool // events were lost: ignore until the next SYN_REPORT
}

// feed takes one event and returns the key it completes, if any.
// Value 1 is a press, 2 an autorepeat (a press again), 0 a release.
func (d *decoder) feed(ev event) (keys.Key, bool) {
	if ev.Type == evSyn {
		switch ev.Code {
		case synDropped:
			// The kernel's buffer overflowed: releases may be lost, so
			// forget held modifiers rather than type in capitals forever.
			d.dropped = true
			d.shiftL, d.shiftR, d.ctrlL, d.ctrlR, d.altL, d.altR = false, false, false, false, false, false
		case synReport:
			d.dropped = false
		}
		return keys.Key{}, false
	}
	if d.dropped || ev.Type != evKey || ev.Value < 0 || ev.Value > 2 {
		return keys.Key{}, false
	}
	down := ev.Value != 0
	switch ev.Code {
	case keyLeftShift:
		d.shiftL = down
	case keyRightShift:
		d.shiftR = down
	case keyLeftCtrl:
		d.ctrlL = down
	case keyRightCtrl:
		d.ctrlR = down
	case keyLeftAlt:
		d.altL = down
	case keyRightAlt:
		d.altR = down
	case keyCapsLock:
		if ev.Value == 1 {
			d.caps = !d.caps
		}
	case keyNumLock:
		if ev.Value == 1 {
			d.num = !d.num
		}
	default:
		if down {
			return d.translate(ev.Code)
		}
	}
	return keys.Key{}, false
}

func (d *decoder) shift() bool { return d.shiftL || d.shiftR }

// translate maps a pressed key to a keys.Key under the current modifiers.
func (d *decoder) translate(code uint16) (keys.Key, bool) {
	switch code {
	case keyEnter, keyKPEnter:
		return keys.Key{Kind: keys.Enter}, true
	case keyEsc:
		return keys.Key{Kind: keys.Esc}, true
	case keyUp:
		return keys.Key{Kind: keys.Up}, true
	case keyDown:
		return keys.Key{Kind: keys.Down}, true
	case keyBackspace:
		return keys.Key{Kind: keys.Backspace}, true
	case keyTab:
		if d.shift() {
			return keys.Key{Kind: keys.Up}, true
		}
		return keys.Key{Kind: keys.Tab}, true
	}
	var r rune
	switch {
	case code < uint16(len(usPlain)):
		if d.shift() {
			r = rune(usShifted[code])
		} else {
			r = rune(usPlain[code])
		}
		if d.caps && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		} else if d.caps && r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
	case code == key102nd: // the extra key left of Z on ISO keyboards
		r = '<'
		if d.shift() {
			r = '>'
		}
	case code >= keyKP7 && code <= keyKPDot:
		r = rune(keypad[code-keyKP7])
		if r != '-' && r != '+' && !d.num {
			// Num Lock off: the keypad is a cursor pad.
			switch code {
			case keyKP8:
				return keys.Key{Kind: keys.Up}, true
			case keyKP2:
				return keys.Key{Kind: keys.Down}, true
			}
			return keys.Key{}, false
		}
	case code == keyKPSlash:
		r = '/'
	case code == keyKPEqual:
		r = '='
	}
	if r == 0 || d.ctrlL || d.ctrlR || d.altL || d.altR {
		// Ctrl-C and friends must not type a "c" into a field.
		return keys.Key{}, false
	}
	return keys.Key{Kind: keys.Rune, Rune: r}, true
}

// ledReport is what to write to a keyboard to light its Num and Caps Lock
// LEDs as d has them.
func (d *decoder) ledReport() []byte {
	b := appendEvent(nil, event{Type: evLed, Code: ledNumL, Value: boolValue(d.num)})
	b = appendEvent(b, event{Type: evLed, Code: ledCapsL, Value: boolValue(d.caps)})
	return appendEvent(b, event{Type: evSyn, Code: synReport})
}

func boolValue(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
