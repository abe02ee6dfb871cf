// Package event writes Plinth's machine-readable progress lines: "@plinth "
// followed by one JSON object with an "event" field, one line per event.
// Automation (CI, the e2e tests) reads these from the serial console.
package event

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Prefix starts every event line.
const Prefix = "@plinth "

// Emitter writes events to a writer, one whole line per Write call so that
// concurrent writers on the same console never split a line.
type Emitter struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns an Emitter writing to w.
func New(w io.Writer) *Emitter { return &Emitter{w: w} }

// Emit writes one event. fields must not contain "event".
func (e *Emitter) Emit(name string, fields map[string]any) error {
	obj := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		obj[k] = v
	}
	obj["event"] = name
	line, err := Format(obj)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(line); err != nil {
		return fmt.Errorf("event: write %s: %w", name, err)
	}
	return nil
}

// Format renders obj as one event line, newline included.
func Format(obj map[string]any) ([]byte, error) {
	if _, ok := obj["event"].(string); !ok {
		return nil, fmt.Errorf("event: object has no string \"event\" field")
	}
	b, err := json.Marshal(obj) // escapes newlines inside strings: the line stays whole
	if err != nil {
		return nil, fmt.Errorf("event: encode: %w", err)
	}
	return append(append([]byte(Prefix), b...), '\n'), nil
}

// Parse reads an event line (with or without trailing newline and console
// noise before the prefix). ok is false when the line holds no event.
func Parse(line string) (obj map[string]any, ok bool) {
	i := indexPrefix(line)
	if i < 0 {
		return nil, false
	}
	if err := json.Unmarshal([]byte(line[i+len(Prefix):]), &obj); err != nil {
		return nil, false
	}
	if _, isStr := obj["event"].(string); !isStr {
		return nil, false
	}
	return obj, true
}

func indexPrefix(s string) int {
	for i := 0; i+len(Prefix) <= len(s); i++ {
		if s[i:i+len(Prefix)] == Prefix {
			return i
		}
	}
	return -1
}
