package tui

import (
	"time"

	"github.com/plinth-os/plinth/internal/wizard"
)

// escWait is how long a lone ESC waits for the rest of an escape
// sequence: terminals send "ESC [ A" in one burst, people press Esc alone.
const escWait = 60 * time.Millisecond

// Keys decodes the bytes typed on a terminal into keys until in is
// closed: arrows (ESC [ A / ESC O A), Enter (CR, LF, or CR LF as one),
// Backspace (DEL, BS), Tab, Esc, and printable characters.
func Keys(in <-chan byte) <-chan wizard.Key {
	out := make(chan wizard.Key, 16)
	go func() {
		defer close(out)
		var d decoder
		for {
			var timeout <-chan time.Time
			if d.pending() {
				timeout = time.After(escWait)
			}
			select {
			case b, ok := <-in:
				if !ok {
					return
				}
				for _, k := range d.feed(b) {
					out <- k
				}
			case <-timeout:
				for _, k := range d.flush() {
					out <- k
				}
			}
		}
	}()
	return out
}

// decoder is the byte-level state of Keys, separate so it can be tested
// without timing.
type decoder struct {
	seq    []byte // ESC and what followed it so far
	lastCR bool
}

func (d *decoder) pending() bool { return len(d.seq) > 0 }

// flush ends a sequence that stopped short: a lone ESC is the Esc key.
func (d *decoder) flush() []wizard.Key {
	if len(d.seq) == 0 {
		return nil
	}
	d.seq = nil
	return []wizard.Key{{Kind: wizard.KeyEsc}}
}

func (d *decoder) feed(b byte) []wizard.Key {
	cr := d.lastCR
	d.lastCR = false
	if len(d.seq) > 0 {
		d.seq = append(d.seq, b)
		if len(d.seq) == 2 {
			if b == '[' || b == 'O' {
				return nil
			}
			// ESC then a plain key: Esc, then that key.
			d.seq = nil
			return append([]wizard.Key{{Kind: wizard.KeyEsc}}, d.feed(b)...)
		}
		// Final byte of a CSI/SS3 sequence: 0x40-0x7e.
		if b < 0x40 || b > 0x7e {
			if len(d.seq) > 8 {
				d.seq = nil // not a sequence we know; drop it
			}
			return nil
		}
		d.seq = nil
		switch b {
		case 'A':
			return []wizard.Key{{Kind: wizard.KeyUp}}
		case 'B':
			return []wizard.Key{{Kind: wizard.KeyDown}}
		case 'Z': // shift-tab
			return []wizard.Key{{Kind: wizard.KeyUp}}
		}
		return nil // right, left, home, function keys: not used
	}
	switch {
	case b == 0x1b:
		d.seq = []byte{b}
		return nil
	case b == '\r':
		d.lastCR = true
		return []wizard.Key{{Kind: wizard.KeyEnter}}
	case b == '\n':
		if cr {
			return nil // CR LF is one Enter
		}
		return []wizard.Key{{Kind: wizard.KeyEnter}}
	case b == 0x7f || b == 0x08:
		return []wizard.Key{{Kind: wizard.KeyBackspace}}
	case b == '\t':
		return []wizard.Key{{Kind: wizard.KeyTab}}
	case b >= ' ' && b < 0x7f:
		return []wizard.Key{{Kind: wizard.KeyRune, Rune: rune(b)}}
	}
	return nil
}
