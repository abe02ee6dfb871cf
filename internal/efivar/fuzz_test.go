package efivar

import (
	"bytes"
	"reflect"
	"testing"
)

// The decoders read variables written by firmware and other OSes, so they
// must reject garbage with an error, never a panic. Whatever decodes must
// also re-encode, and decoding that encoding must give the same value.

func FuzzDecodeLoadOption(f *testing.F) {
	f.Add(loadOptionVector)
	f.Add(concat(loadOptionVector, []byte("optional")))
	f.Add([]byte{1, 0, 0, 0, 4, 0, 0, 0, 0x7f, 0xff, 4, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeLoadOption(b)
		if err != nil {
			return
		}
		_ = o.Path().String()
		enc, err := EncodeLoadOption(o)
		if err != nil {
			t.Fatalf("decoded %x but cannot re-encode %#v: %v", b, o, err)
		}
		if err := validateLoadOptionBytes(enc); err != nil {
			t.Fatalf("re-encoding fails kernel validation: %v", err)
		}
		o2, err := DecodeLoadOption(enc)
		if err != nil {
			t.Fatalf("cannot decode our own encoding %x: %v", enc, err)
		}
		normalize(o)
		normalize(o2)
		if !reflect.DeepEqual(o, o2) {
			t.Fatalf("unstable:\n%#v\n%#v", o, o2)
		}
	})
}

func FuzzDecodeDevicePath(f *testing.F) {
	f.Add(concat(hdVector, fileVector, endVector))
	f.Add(endVector)
	f.Add(concat([]byte{2, 1, 12, 0, 0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0}, []byte{0x7f, 1, 4, 0}, endVector))
	f.Fuzz(func(t *testing.T, b []byte) {
		dp, err := DecodeDevicePath(b)
		if err != nil {
			return
		}
		_ = dp.String()
		_ = dp.LoaderPath()
		enc, err := EncodeDevicePath(dp)
		if err != nil {
			t.Fatalf("decoded %x but cannot re-encode: %v", b, err)
		}
		dp2, err := DecodeDevicePath(enc)
		if err != nil {
			t.Fatalf("cannot decode our own encoding %x: %v", enc, err)
		}
		if dp.String() != dp2.String() {
			t.Fatalf("unstable: %s vs %s", dp, dp2)
		}
		// Re-encoding a decoded path is byte-exact once File() names
		// are normalized (NUL-terminated, nothing after the NUL).
		enc2, _ := EncodeDevicePath(dp2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %x vs %x", enc, enc2)
		}
	})
}
