package appconfig

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/plinth-os/plinth/internal/strictjson"
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
	var c Config
	if err := strictjson.Decode(b, &c); err != nil {
		return nil, fmt.Errorf("appconfig: %w", err)
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
	b, err := strictjson.Encode(&cp)
	if err != nil {
		return nil, fmt.Errorf("appconfig: encode: %w", err)
	}
	return b, nil
}
