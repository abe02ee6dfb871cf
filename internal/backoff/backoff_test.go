package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	s := time.Second
	tests := []struct {
		p       Policy
		attempt int
		want    time.Duration
	}{
		{Policy{Initial: s, Max: 60 * s}, 0, s},
		{Policy{Initial: s, Max: 60 * s}, 1, 2 * s},
		{Policy{Initial: s, Max: 60 * s}, 5, 32 * s},
		{Policy{Initial: s, Max: 60 * s}, 6, 60 * s},
		{Policy{Initial: s, Max: 60 * s}, 1000, 60 * s},
		{Policy{Initial: s, Max: 60 * s}, -3, s},
		{Policy{Initial: 3 * s, Max: 2 * s}, 0, 2 * s},
		{Policy{}, 0, s},
		{Policy{Initial: 500 * time.Millisecond}, 3, 4 * s},
	}
	for _, tt := range tests {
		if got := tt.p.Delay(tt.attempt); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.p, tt.attempt, got, tt.want)
		}
	}
	// No cap: must not overflow into a negative delay.
	if d := (Policy{Initial: s}).Delay(200); d <= 0 {
		t.Errorf("uncapped Delay(200) = %v, want positive", d)
	}
}

func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, 3, time.Millisecond, time.Second, time.Minute} {
		for range 200 {
			if j := Jitter(d); j < d/2 || j > d {
				t.Fatalf("Jitter(%v) = %v, want between %v and %v", d, j, d/2, d)
			}
		}
	}
}
