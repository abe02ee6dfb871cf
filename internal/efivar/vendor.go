package efivar

import "github.com/plinth-os/plinth/internal/guid"

// GlobalVariable is EFI_GLOBAL_VARIABLE (UEFI 2.10 section 3.3), the vendor
// GUID of Boot####, BootOrder, BootNext, BootCurrent and Timeout.
var GlobalVariable = guid.MustParse("8be4df61-93ca-11d2-aa0d-00e098032b8c")
