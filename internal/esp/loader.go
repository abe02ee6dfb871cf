package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/plinth-os/plinth/internal/appconfig"
	"github.com/plinth-os/plinth/internal/efivar"
)

// LoaderVendor returns the vendor GUID of the Boot Loader Interface
// variables that systemd-stub and systemd-boot set.
func LoaderVendor() efivar.GUID { return mustGUID("4a67b082-0a4c-41cf-b6c7-440b29bb8c4f") }

// LoaderDevicePartUUIDVar is the variable naming the partition the UKI was
// loaded from.
const LoaderDevicePartUUIDVar = "LoaderDevicePartUUID"

func mustGUID(s string) efivar.GUID {
	g, err := efivar.ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// ErrNoLoaderVar means the loader did not say where it was loaded from.
var ErrNoLoaderVar = errors.New("LoaderDevicePartUUID is not set")

// LoaderPartUUID returns the lower-case PARTUUID in LoaderDevicePartUUID,
// or an error wrapping ErrNoLoaderVar when the variable does not exist.
func LoaderPartUUID(vars efivar.Store) (string, error) {
	if vars == nil {
		return "", fmt.Errorf("esp: no EFI variables: %w", ErrNoLoaderVar)
	}
	_, data, err := vars.Get(LoaderDevicePartUUIDVar, LoaderVendor())
	if errors.Is(err, efivar.ErrNotFound) {
		return "", fmt.Errorf("esp: %w", ErrNoLoaderVar)
	}
	if err != nil {
		return "", fmt.Errorf("esp: %w", err)
	}
	return ParseLoaderPartUUID(data)
}

// ParseLoaderPartUUID decodes the variable's data: a little-endian UTF-16
// GUID string, normally NUL-terminated, written in upper or lower case
// depending on the systemd version.
func ParseLoaderPartUUID(data []byte) (string, error) {
	s := strings.ToLower(strings.TrimSpace(decodeUTF16(data)))
	if !appconfig.IsGUID(s) {
		return "", fmt.Errorf("esp: %s holds %q, not a GUID", LoaderDevicePartUUIDVar, s)
	}
	return s, nil
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
