package netup

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitForEntropy blocks until the kernel's random number generator is
// seeded, saying so if that takes a while.
//
// nclient4 draws its transaction IDs through u-root's uio/rand, which
// polls getrandom(GRND_NONBLOCK) in a busy loop until the CRNG is ready.
// Early in boot on a quiet machine (a VM without virtio-rng or RDRAND)
// that can spin for minutes, a CPU at 100 %. A blocking getrandom instead
// makes Linux (5.18 and later) seed itself from CPU timing jitter, which
// takes about a second.
func waitForEntropy(say func(format string, args ...any)) error {
	t := time.AfterFunc(2*time.Second, func() { say("waiting for the kernel's random number generator to be seeded") })
	defer t.Stop()
	var b [1]byte
	for {
		_, err := unix.Getrandom(b[:], 0)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
