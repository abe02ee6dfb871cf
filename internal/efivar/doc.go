// Package efivar reads and writes UEFI variables through efivarfs and
// encodes and decodes the boot-related ones: EFI_LOAD_OPTION (Boot####),
// BootOrder, BootNext, BootCurrent and Timeout, plus the device path nodes a
// disk boot entry needs (HD, File, End).
//
// We wrote the encoder ourselves because the Go libraries we may use only
// decode: github.com/foxboron/go-uefi and u-root parse load options and
// device paths but cannot build them, and Plinth ships no C tools
// (efibootmgr, libefivar) on the target. go-uefi's parser is used in the
// tests to cross-check what our encoder produces.
//
// It also reads the Secure Boot state (SecureBoot, SetupMode, AuditMode,
// DeployedMode) and the signature lists of PK, KEK and db, and writes
// authenticated variables (AuthStore.SetAuthenticated: the 4 bytes of
// attributes, then an EFI_VARIABLE_AUTHENTICATION_2 and the data), which
// is how keys are enrolled in Setup Mode.
//
// Variables live behind the Store interface so that the boot entry logic
// (EnsureBootEntry and friends) can be tested against MemStore or an
// Efivarfs rooted at a temporary directory.
//
// The byte layouts follow the UEFI Specification 2.10: section 3.1.3 (Load
// Options), section 10.2/10.3 (device path protocol and nodes) and
// appendix A (EFI_GUID byte order); for Secure Boot section 3.3 (the mode
// variables), 8.2.2 (authenticated variables) and 32.4 (signature lists).
package efivar
