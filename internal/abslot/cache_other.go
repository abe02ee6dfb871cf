//go:build !linux

package abslot

import "os"

// dropCache does nothing where fadvise is not available.
func dropCache(*os.File) {}
