package productspec

import (
	"fmt"
	"os"

	"github.com/plinth-os/plinth/internal/strictjson"
)

// MaxSize bounds the file: a spec is a few kilobytes.
const MaxSize = 1 << 20

// Parse decodes and validates a spec. Unknown fields and trailing data
// are errors: the file is written by mkiso, so anything else means the
// image was tampered with or built by another version.
func Parse(b []byte) (*Spec, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("productspec: %d bytes, more than the %d allowed", len(b), MaxSize)
	}
	var s Spec
	if err := strictjson.Decode(b, &s); err != nil {
		return nil, fmt.Errorf("productspec: %w", err)
	}
	if s.Schema != SchemaVersion {
		return nil, fmt.Errorf("productspec: schema %d, this build reads %d", s.Schema, SchemaVersion)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Load reads and parses the file at path.
func Load(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("productspec: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Marshal validates s and encodes it deterministically (two-space
// indent, trailing newline), so images built from the same inputs are
// byte-identical.
func Marshal(s *Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b, err := strictjson.Encode(s)
	if err != nil {
		return nil, fmt.Errorf("productspec: encode: %w", err)
	}
	return b, nil
}

// Validate checks everything the appliance relies on and returns a
// *ValidationError listing every problem, each naming the service (or
// other entry) and field, or nil: names, paths, users and groups,
// capabilities, restart and stop rules, health checks, the settings the
// templates name, and the start order (After).
func (s *Spec) Validate() error {
	return s.validate()
}
