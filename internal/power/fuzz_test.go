package power

import "testing"

func FuzzParseEvents(f *testing.F) {
	f.Add(rawEvent(EvKey, KeyPower, 1))
	f.Add(make([]byte, 23))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := ParseEvents(b)
		if err == nil && len(evs)*EventSize != len(b) {
			t.Fatalf("%d events from %d bytes", len(evs), len(b))
		}
	})
}

func FuzzHasBit(f *testing.F) {
	f.Add("10000000000000 0", KeyPower)
	f.Add("ffffffffffffffff", 63)
	f.Add("", 1<<30)
	f.Fuzz(func(t *testing.T, s string, bit int) {
		HasBit(s, bit)
	})
}
