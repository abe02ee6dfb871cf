package appconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/plinth-os/plinth/internal/guid"
)

// Identity holds the stable identifiers Derive hashes. Callers pass what
// they have; empty fields are allowed, but at least one of ProductUUID,
// DiskSerial or a GUID should be set or every machine gets the same ID.
type Identity struct {
	Product      string    // names the hostname prefix
	ProductUUID  string    // SMBIOS system UUID (/sys/class/dmi/id/product_uuid)
	DiskSerial   string    // serial of the disk installed to
	DiskGUID     guid.GUID // GPT disk GUID
	ESPPartUUID  guid.GUID
	DataPartUUID guid.GUID
}

// Derive computes the machine ID (32 lower-case hex digits, shaped as a
// version 4 UUID like systemd's) and the hostname "<product>-<6 hex>"
// from id. Identifiers are compared case-insensitively and trimmed, so
// "ABCD" from one tool and "abcd\n" from sysfs give the same result.
func Derive(id Identity) (machineID, hostname string) {
	h := sha256.New()
	h.Write([]byte("plinth machine-id v1\x00"))
	for _, f := range []string{id.Product, id.ProductUUID, id.DiskSerial, id.DiskGUID.String(), id.ESPPartUUID.String(), id.DataPartUUID.String()} {
		h.Write([]byte(strings.ToLower(strings.TrimSpace(f))))
		h.Write([]byte{0}) // separator: ("ab","c") and ("a","bc") differ
	}
	sum := h.Sum(nil)[:16]
	sum[6] = sum[6]&0x0f | 0x40
	sum[8] = sum[8]&0x3f | 0x80
	machineID = hex.EncodeToString(sum)
	return machineID, HostnamePrefix(id.Product) + "-" + machineID[:6]
}

// HostnamePrefix turns a product name into a host name label: lower case,
// runs of other characters as one '-', at most 50 characters, "plinth"
// when nothing is left.
func HostnamePrefix(product string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(product) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 50 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "plinth"
	}
	return s
}
