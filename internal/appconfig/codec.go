package appconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxSize bounds the file: a config is a few hundred bytes, and a huge
// file on a damaged ESP must not exhaust memory.
const MaxSize = 1 << 20

// Parse decodes and validates a config file's content. Unknown fields,
// trailing data and invalid values are errors that say where and what.
func Parse(b []byte) (*Config, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("appconfig: file is %d bytes, more than the %d allowed", len(b), MaxSize)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("appconfig: file is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("appconfig: %s", describeJSONError(b, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("appconfig: unexpected data after the JSON object (at %s)", position(b, dec.InputOffset()))
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("appconfig: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("appconfig: read %s: %w", path, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Marshal validates c and encodes it deterministically: fixed field order,
// sorted map keys, two-space indent, no HTML escaping, a trailing newline.
func Marshal(c *Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cp := *c
	cp.OldServices = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&cp); err != nil { // Encode adds the trailing newline
		return nil, fmt.Errorf("appconfig: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// describeJSONError turns decoder errors into messages with a line and
// column, which is what a person fixing the file by hand needs.
func describeJSONError(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at %s: %v", position(b, se.Offset), se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q at %s: got JSON %s, want %s", te.Field, position(b, te.Offset), te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "file ends in the middle of the JSON object (truncated?)"
	}
	return err.Error() // e.g. `json: unknown field "x"`, or a Duration's own message
}

func position(b []byte, off int64) string {
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
