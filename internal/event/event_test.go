package event

import (
	"bytes"
	"strings"
	"testing"
)

func TestEmitParseRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	e := New(&buf)
	if err := e.Emit("ready", map[string]any{"version": "1.0", "note": "two\nlines"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, Prefix) {
		t.Fatalf("event is not one line with the prefix: %q", out)
	}
	obj, ok := Parse("\x1b[0m" + out)
	if !ok {
		t.Fatalf("Parse(%q) failed", out)
	}
	if obj["event"] != "ready" || obj["note"] != "two\nlines" {
		t.Errorf("round trip gave %v", obj)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{`@plinth {"event":"ready"}`, true},
		{`garbage @plinth {"event":"error","code":"x"}` + "\r", true},
		{`@plinth {"event":1}`, false},
		{`@plinth {"event":"ready"`, false},
		{`plinth {"event":"ready"}`, false},
		{``, false},
	}
	for _, tt := range tests {
		if _, ok := Parse(tt.line); ok != tt.ok {
			t.Errorf("Parse(%q) ok = %v, want %v", tt.line, ok, tt.ok)
		}
	}
}

func TestFormatNeedsEvent(t *testing.T) {
	if _, err := Format(map[string]any{"code": "x"}); err == nil {
		t.Error("Format without event succeeded")
	}
}
