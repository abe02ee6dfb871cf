package step

import (
	"encoding/json"
	"testing"
)

func TestAll(t *testing.T) {
	seen := map[Name]bool{}
	last := 0
	for _, s := range All() {
		if s.Name == "" || s.Label == "" || seen[s.Name] {
			t.Errorf("%+v: empty or repeated", s)
		}
		seen[s.Name] = true
		if s.From < last || s.To < s.From || s.To > 100 {
			t.Errorf("%s: range %d..%d after %d: the bar would go back", s.Name, s.From, s.To, last)
		}
		last = s.To
	}
	if last != 100 {
		t.Errorf("the last step ends at %d%%, want 100", last)
	}
}

func TestPercent(t *testing.T) {
	esp, _ := Lookup(FormatESP)
	sync, _ := Lookup(Sync)
	tests := []struct {
		s           Step
		done, total int64
		want        int
	}{
		{esp, 0, 100, 10},
		{esp, 50, 100, 35},
		{esp, 100, 100, 60},
		{esp, 250, 100, 60}, // more than expected: the step's end, not beyond
		{esp, 5, 0, 10},     // nothing expected yet
		{sync, 5, 10, 74},
	}
	for _, tt := range tests {
		if got := tt.s.Percent(tt.done, tt.total); got != tt.want {
			t.Errorf("%s.Percent(%d, %d) = %d, want %d", tt.s.Name, tt.done, tt.total, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	if got := Verify.Label(); got != "Verifying what was written" {
		t.Errorf("Verify.Label() = %q", got)
	}
	if got := Name("unpack").Label(); got != "unpack" {
		t.Errorf("unknown step's label = %q, want its name", got)
	}
}

func TestUnmarshal(t *testing.T) {
	var v struct{ Step Name }
	if err := json.Unmarshal([]byte(`{"Step":"boot-entry"}`), &v); err != nil || v.Step != BootEntry {
		t.Errorf("boot-entry: %v %q", err, v.Step)
	}
	if err := json.Unmarshal([]byte(`{"Step":"unpack"}`), &v); err == nil {
		t.Error("an unknown step was accepted")
	}
}
