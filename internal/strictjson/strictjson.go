// Package strictjson reads and writes the JSON files Plinth keeps
// (the installed config on the ESP, the product spec in the runtime
// image): one object, no unknown fields, nothing after it, errors with a
// line and column; written deterministically so the same value gives
// the same bytes.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode decodes b, which must hold exactly one JSON value, into v.
// Unknown object fields and data after the value are errors; errors say
// where, as a person fixing the file by hand needs.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(describe(b, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected data after the JSON object (at %s)", Position(b, dec.InputOffset()))
	}
	return nil
}

// Encode encodes v deterministically: struct field order, sorted map
// keys, two-space indent, no HTML escaping, a trailing newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil { // Encode adds the trailing newline
		return nil, err
	}
	return buf.Bytes(), nil
}

// describe turns decoder errors into messages with a line and column.
func describe(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at %s: %v", Position(b, se.Offset), se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q at %s: got JSON %s, want %s", te.Field, Position(b, te.Offset), te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "file ends in the middle of the JSON object (truncated?)"
	}
	return err.Error() // e.g. `json: unknown field "x"`, or a field type's own message
}

// Position is byte offset off of b as "line L, column C" (both from 1).
func Position(b []byte, off int64) string {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}
