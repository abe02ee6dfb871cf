// Package disklayout names the sizes and names of an installed Plinth
// disk: a GPT with an EFI system partition and a data partition. The
// layout code (internal/provision), the planner (internal/installplan)
// and the answers file's checks (internal/answers) all read them here,
// so none of them needs the others to know the numbers.
package disklayout

// Partition sizes.
const (
	ESPSize     = 512 << 20 // the EFI system partition, FAT32
	MinDataSize = 256 << 20 // the smallest data partition
	// MinDiskSize is the smallest disk the layout fits on: 1 MiB before
	// the ESP (alignment and the primary GPT), the ESP, the smallest data
	// partition, and 1 MiB for the backup GPT.
	MinDiskSize = 1<<20 + ESPSize + MinDataSize + 1<<20
)

// Names on the disk.
const (
	ESPName  = "EFI System"  // GPT partition name of the ESP
	DataName = "plinth-data" // GPT partition name (PARTLABEL), also the ext4 label
	ESPLabel = "PLINTH_ESP"  // FAT volume label of the ESP
	// FallbackPath is the removable-media boot path on the ESP (forward
	// slashes, relative to its root): firmware that lost the boot entry
	// still starts the runtime from there.
	FallbackPath = "EFI/BOOT/BOOTX64.EFI"
)
