package installplan

import (
	"strings"

	"github.com/plinth-os/plinth/internal/disk"
)

// ByID returns the /dev/disk/by-id names (without the directory) that
// udev's 60-persistent-storage.rules would give d, from what sysfs
// tells: nvme-<model>_<serial>, nvme-<wwid>, ata-<model>_<serial>,
// virtio-<serial>, wwn-0x<wwn>. The installer has no udev, so these are
// computed, not read. USB and SCSI names need vendor and LUN data the
// Disk does not carry and are not produced; select such disks by serial
// or WWN.
func ByID(d disk.Disk) []string {
	model := udevString(d.Model)
	serial := udevString(d.Serial)
	var ids []string
	switch d.Transport {
	case "nvme":
		if model != "" && serial != "" {
			ids = append(ids, "nvme-"+model+"_"+serial)
		}
		if d.WWN != "" {
			ids = append(ids, "nvme-"+udevString(d.WWN))
		}
	case "sata":
		if model != "" && serial != "" {
			ids = append(ids, "ata-"+model+"_"+serial)
		}
	case "virtio":
		if serial != "" {
			ids = append(ids, "virtio-"+serial)
		}
	}
	if d.Transport != "nvme" {
		if w := wwnName(d.WWN); w != "" {
			ids = append(ids, "wwn-"+w)
		}
	}
	return ids
}

// wwnName turns a sysfs wwid ("naa.5000c500a1b2c3d4", "0x5000c500...")
// into udev's ID_WWN form ("0x5000c500a1b2c3d4"); other forms give "".
func wwnName(w string) string {
	w = strings.ToLower(strings.TrimSpace(w))
	switch {
	case strings.HasPrefix(w, "naa."):
		return "0x" + udevString(w[4:])
	case strings.HasPrefix(w, "0x"):
		return udevString(w)
	}
	return ""
}

// udevString does what udev does to ID_MODEL/ID_SERIAL before making a
// link name: trim, collapse white space runs into one '_', and replace
// characters outside [0-9A-Za-z#+-.:=@_] with '_'.
func udevString(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	space := false
	for _, c := range s {
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if !space {
				b.WriteByte('_')
			}
			space = true
			continue
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', strings.ContainsRune("#+-.:=@_", c):
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		space = false
	}
	return b.String()
}
