// Package event is Plinth's machine-readable progress: "@plinth "
// followed by one JSON object with an "event" field, one line per event.
// Automation (CI, the e2e tests) reads these from the serial console.
//
// Every event is a struct in this package (events.go) and All lists
// them; docs/events.md is generated from those structs and their
// comments, and Validate checks a line against them, so what is
// emitted, what is documented and what tests accept cannot drift apart.
package event

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Prefix starts every event line.
const Prefix = "@plinth "

// Name is an event's "event" field.
type Name string

// Event is one of the structs in this package.
type Event interface {
	EventName() Name
}

// Emitter writes events to a writer, one whole line per Write call so that
// concurrent writers on the same console never split a line.
type Emitter struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns an Emitter writing to w.
func New(w io.Writer) *Emitter { return &Emitter{w: w} }

// Emit writes one event.
func (e *Emitter) Emit(ev Event) error {
	line, err := Format(ev)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(line); err != nil {
		return fmt.Errorf("event: write %s: %w", ev.EventName(), err)
	}
	return nil
}

// Format renders ev as one event line, newline included: the prefix,
// then a JSON object whose first member is "event" and whose other
// members are ev's fields.
func Format(ev Event) ([]byte, error) {
	name := ev.EventName()
	b, err := json.Marshal(ev) // escapes newlines inside strings: the line stays whole
	if err != nil {
		return nil, fmt.Errorf("event: encode %s: %w", name, err)
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("event: %s does not encode as a JSON object", name)
	}
	head, _ := json.Marshal(map[string]Name{"event": name})
	line := append([]byte(Prefix), head[:len(head)-1]...)
	if len(b) > 2 {
		line = append(line, ',')
	}
	line = append(line, b[1:]...)
	return append(line, '\n'), nil
}

// Parse reads an event line (with or without trailing newline and console
// noise before the prefix) into a generic object, for readers that only
// look at a few fields. ok is false when the line holds no event.
func Parse(line string) (obj map[string]any, ok bool) {
	_, body, found := strings.Cut(line, Prefix)
	if !found {
		return nil, false
	}
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		return nil, false
	}
	if _, isStr := obj["event"].(string); !isStr {
		return nil, false
	}
	return obj, true
}
