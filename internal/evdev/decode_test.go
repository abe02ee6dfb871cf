package evdev

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/plinth-os/plinth/internal/keys"
)

// Event builders for the tables.
func press(code uint16) event   { return event{Type: evKey, Code: code, Value: 1} }
func repeat(code uint16) event  { return event{Type: evKey, Code: code, Value: 2} }
func release(code uint16) event { return event{Type: evKey, Code: code, Value: 0} }

var (
	syn     = event{Type: evSyn, Code: synReport}
	dropped = event{Type: evSyn, Code: synDropped}
	msc     = event{Type: 0x04, Code: 0x04, Value: 0x1e} // EV_MSC MSC_SCAN, sent before keys
)

// tap is a press and a release, each reported, as a keyboard sends them.
func tap(code uint16) []event {
	return []event{msc, press(code), syn, msc, release(code), syn}
}

// with holds modifier mod around evs.
func with(mod uint16, evs ...[]event) []event {
	out := []event{press(mod), syn}
	for _, e := range evs {
		out = append(out, e...)
	}
	return append(out, release(mod), syn)
}

func seq(evs ...[]event) []event {
	var out []event
	for _, e := range evs {
		out = append(out, e...)
	}
	return out
}

// stream encodes events as the kernel does, with a timestamp we must skip.
func stream(evs []event) []byte {
	var b []byte
	for i, ev := range evs {
		b = binary.NativeEndian.AppendUint64(b, uint64(1700000000+i)) // tv_sec
		b = binary.NativeEndian.AppendUint64(b, uint64(123456))       // tv_usec
		b = binary.NativeEndian.AppendUint16(b, ev.Type)
		b = binary.NativeEndian.AppendUint16(b, ev.Code)
		b = binary.NativeEndian.AppendUint32(b, uint32(ev.Value))
	}
	return b
}

// decodeStream feeds a byte stream through d the way the reader does.
func decodeStream(d *decoder, b []byte) []keys.Key {
	var got []keys.Key
	for off := 0; off+eventSize <= len(b); off += eventSize {
		if k, ok := d.feed(parseEvent(b[off : off+eventSize])); ok {
			got = append(got, k)
		}
	}
	return got
}

func runes(s string) []keys.Key {
	var out []keys.Key
	for _, r := range s {
		out = append(out, keys.Key{Kind: keys.Rune, Rune: r})
	}
	return out
}

func TestEventSize(t *testing.T) {
	if eventSize != 24 {
		t.Errorf("eventSize %d, want 24 (struct input_event on amd64)", eventSize)
	}
	if got := len(stream([]event{syn})); got != eventSize {
		t.Errorf("test stream writes %d-byte events, decoder reads %d", got, eventSize)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		start  decoder
		events []event
		want   []keys.Key
	}{
		{"letters", decoder{}, seq(tap(keyQ), tap(keyA), tap(keyZ), tap(keyM), tap(keyP), tap(keyL)), runes("qazmpl")},
		{"left shift", decoder{}, with(keyLeftShift, tap(keyA)), runes("A")},
		{"right shift", decoder{}, with(keyRightShift, tap(keyZ)), runes("Z")},
		{"shift released", decoder{}, seq(with(keyLeftShift, tap(keyA)), tap(keyA)), runes("Aa")},
		{"one shift released, other held", decoder{}, seq([]event{press(keyLeftShift), press(keyRightShift), release(keyLeftShift)}, tap(keyA)), runes("A")},
		{"digits", decoder{}, seq(tap(key1), tap(key2), tap(key0)), runes("120")},
		{"shifted digits", decoder{}, with(keyLeftShift, tap(key1), tap(key2), tap(key0)), runes("!@)")},
		{"punctuation", decoder{}, seq(tap(keyMinus), tap(keyDot), tap(keySlash), tap(keySemicolon), tap(keySpace), tap(keyEqual), tap(keyComma), tap(keyApostrophe), tap(keyGrave), tap(keyBackslash)), runes("-./; =,'`\\")},
		{"shifted punctuation", decoder{}, with(keyRightShift, tap(keyMinus), tap(keyDot), tap(keySlash), tap(keySemicolon), tap(keySpace), tap(keyEqual), tap(keyApostrophe), tap(key102nd)), runes("_>?: +\">")},
		{"caps lock letters", decoder{}, seq(tap(keyCapsLock), tap(keyA), tap(key1), tap(keyMinus)), runes("A1-")},
		{"caps lock and shift", decoder{}, seq(tap(keyCapsLock), with(keyLeftShift, tap(keyA), tap(key2))), runes("a@")},
		{"caps lock twice", decoder{}, seq(tap(keyCapsLock), tap(keyCapsLock), tap(keyA)), runes("a")},
		{"caps lock autorepeat toggles once", decoder{}, seq([]event{press(keyCapsLock), repeat(keyCapsLock), repeat(keyCapsLock), release(keyCapsLock)}, tap(keyA)), runes("A")},
		{"caps lock on at start (LED)", decoder{caps: true}, tap(keyA), runes("A")},
		{"autorepeat types again", decoder{}, []event{press(keyA), repeat(keyA), repeat(keyA), release(keyA)}, runes("aaa")},
		{"release alone types nothing", decoder{}, []event{release(keyA), syn}, nil},
		{"enter and keypad enter", decoder{}, seq(tap(keyEnter), tap(keyKPEnter)), []keys.Key{{Kind: keys.Enter}, {Kind: keys.Enter}}},
		{"navigation", decoder{}, seq(tap(keyEsc), tap(keyUp), tap(keyDown), tap(keyBackspace), tap(keyTab)),
			[]keys.Key{{Kind: keys.Esc}, {Kind: keys.Up}, {Kind: keys.Down}, {Kind: keys.Backspace}, {Kind: keys.Tab}}},
		{"shift-tab is up", decoder{}, with(keyLeftShift, tap(keyTab)), []keys.Key{{Kind: keys.Up}}},
		{"ctrl-c types nothing", decoder{}, seq(with(keyLeftCtrl, tap(keyZ)), with(keyRightCtrl, tap(keyZ)), tap(keyZ)), runes("z")},
		{"alt-x types nothing", decoder{}, seq(with(keyLeftAlt, tap(keyZ)), with(keyRightAlt, tap(keyZ))), nil},
		{"ctrl does not block enter", decoder{}, with(keyLeftCtrl, tap(keyEnter)), []keys.Key{{Kind: keys.Enter}}},
		{"keypad without num lock is a cursor pad", decoder{}, seq(tap(keyKP8), tap(keyKP2), tap(keyKP5), tap(keyKPDot), tap(keyKPMinus), tap(keyKPPlus), tap(keyKPAsterisk), tap(keyKPSlash)),
			append([]keys.Key{{Kind: keys.Up}, {Kind: keys.Down}}, runes("-+*/")...)},
		{"keypad with num lock", decoder{}, seq(tap(keyNumLock), tap(keyKP7), tap(keyKP8), tap(keyKP0), tap(keyKPDot), tap(keyKP3), tap(keyKPEqual)), runes("780.3=")},
		{"num lock on at start (LED)", decoder{num: true}, tap(keyKP2), runes("2")},
		{"keys without a meaning", decoder{}, seq(tap(keyF1), tap(keyLeft), tap(keyPower), tap(btnLeft)), nil},
		{"other event types", decoder{}, []event{{Type: evLed, Code: ledCapsL, Value: 1}, {Type: 0x02, Code: 0, Value: 5}, msc}, nil},
		{"odd values ignored", decoder{}, []event{{Type: evKey, Code: keyA, Value: 3}, {Type: evKey, Code: keyA, Value: -1}}, nil},
		{"dropped events forget held modifiers", decoder{},
			seq([]event{press(keyLeftShift), syn, dropped, press(keyB), release(keyLeftShift), syn}, tap(keyA)), runes("a")},
		{"events between SYN_DROPPED and SYN_REPORT are skipped", decoder{},
			seq([]event{dropped, press(keyZ), release(keyZ), syn}, tap(keyA)), runes("a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.start
			got := decodeStream(&d, stream(tt.events))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

const keyB = 48 // KEY_B

// Every letter in its row of the keyboard, from the codes in
// linux/input-event-codes.h, plain and shifted.
func TestLetterRows(t *testing.T) {
	for _, row := range []struct {
		first uint16
		keys  string
	}{{keyQ, "qwertyuiop"}, {keyA, "asdfghjkl"}, {keyZ, "zxcvbnm"}} {
		for i, r := range row.keys {
			code := row.first + uint16(i)
			var d decoder
			if got := decodeStream(&d, stream(tap(code))); !slices.Equal(got, runes(string(r))) {
				t.Errorf("code %d: %v, want %q", code, got, r)
			}
			upper := r - 'a' + 'A'
			if got := decodeStream(&d, stream(with(keyLeftShift, tap(code)))); !slices.Equal(got, runes(string(upper))) {
				t.Errorf("shift+code %d: %v, want %q", code, got, upper)
			}
		}
	}
	for _, table := range []string{usPlain, usShifted} {
		if len(table) != keySpace+1 {
			t.Errorf("layout table %q is %d long, want %d (up to KEY_SPACE)", table, len(table), keySpace+1)
		}
	}
}

func TestLEDReport(t *testing.T) {
	d := decoder{caps: true}
	got := d.ledReport()
	want := stream([]event{{Type: evLed, Code: ledNumL, Value: 0}, {Type: evLed, Code: ledCapsL, Value: 1}, syn})
	for i := range want {
		if i%eventSize < 16 {
			want[i] = 0 // we send no timestamp
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
}
