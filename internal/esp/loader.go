package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/efivar"
	"github.com/plinth-os/plinth/internal/guid"
)

// LoaderVendor returns the vendor GUID of the Boot Loader Interface
// variables that systemd-stub and systemd-boot set.
func LoaderVendor() guid.GUID { return guid.MustParse("4a67b082-0a4c-41cf-b6c7-440b29bb8c4f") }

// LoaderDevicePartUUIDVar is the variable naming the partition the UKI was
// loaded from.
const LoaderDevicePartUUIDVar = "LoaderDevicePartUUID"

// ErrNoLoaderVar means the loader did not say where it was loaded from.
var ErrNoLoaderVar = errors.New("LoaderDevicePartUUID is not set")

// LoaderPartUUID returns the lower-case PARTUUID in LoaderDevicePartUUID,
// or an error wrapping ErrNoLoaderVar when the variable does not exist.
func LoaderPartUUID(vars efivar.Store) (guid.GUID, error) {
	if vars == nil {
		return guid.GUID{}, fmt.Errorf("esp: no EFI variables: %w", ErrNoLoaderVar)
	}
	_, data, err := vars.Get(LoaderDevicePartUUIDVar, LoaderVendor())
	if errors.Is(err, efivar.ErrNotFound) {
		return guid.GUID{}, fmt.Errorf("esp: %w", ErrNoLoaderVar)
	}
	if err != nil {
		return guid.GUID{}, fmt.Errorf("esp: %w", err)
	}
	return ParseLoaderPartUUID(data)
}

// ParseLoaderPartUUID decodes the variable's data: a little-endian UTF-16
// GUID string, normally NUL-terminated, written in upper or lower case
// depending on the systemd version.
func ParseLoaderPartUUID(data []byte) (guid.GUID, error) {
	s := strings.TrimSpace(decodeUTF16(data))
	g, err := guid.Parse(s)
	if err != nil || strings.HasPrefix(s, "{") {
		return guid.GUID{}, fmt.Errorf("esp: %s holds %q, not a GUID", LoaderDevicePartUUIDVar, s)
	}
	return g, nil
}

// decodeUTF16 decodes up to the first NUL; an odd trailing byte is ignored.
func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
