package efivar

import "testing"

func BenchmarkEncodeLoadOption(b *testing.B) {
	o := &LoadOption{Attributes: LoadOptionActive, Description: "Plinth", FilePaths: []DevicePath{vectorPath(b)}}
	for b.Loop() {
		if _, err := EncodeLoadOption(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeLoadOption(b *testing.B) {
	for b.Loop() {
		if _, err := DecodeLoadOption(loadOptionVector); err != nil {
			b.Fatal(err)
		}
	}
}
