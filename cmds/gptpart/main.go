// Command gptpart creates and edits GUID partition tables with a subset of
// sgdisk's command line, so that the Plinth installer image needs no C
// tools:
//
//	gptpart [--sector-size 512|4096] OPTION... DEVICE-OR-IMAGE
//
// Options apply in the order given, like sgdisk's, to the table in
// memory; if all succeed the result is written once, else nothing is.
//
//	-o, --clear                  new empty GPT
//	-Z, --zap-all                wipe MBR and GPT (then -o/-n start afresh)
//	-n, --new N:START:END        new partition (N 0: first free number;
//	                             START 0: first free aligned sector, +SIZE;
//	                             END 0: end of the free space, +SIZE, -SIZE;
//	                             plain numbers are sectors, K/M/G/T/P bytes)
//	-t, --typecode N:CODE        type: sgdisk code (EF00, 8300, ...) or GUID
//	-c, --change-name N:NAME     partition name
//	-u, --partition-guid N:GUID  partition GUID, R for random
//	-U, --disk-guid GUID         disk GUID, R for random
//	-d, --delete N               delete partition N
//	-a, --set-alignment SECTORS  alignment of later -n (default 1 MiB)
//	-p, --print                  print the table
//	-i, --info N                 print details of partition N
//	-v, --verify                 check the table
//	--sector-size 512|4096       sector size of an image file (default 512;
//	                             block devices are asked)
//
// N 0 in -t, -c and -u means the partition made by the latest -n.
//
// Exit status: 0 done; 1 bad options or rejected changes (nothing
// written); 2 the target cannot be opened or read; 3 -v found problems;
// 4 writing failed or the device is in use (mounted).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/plinth-os/plinth/internal/blockdev"
	"github.com/plinth-os/plinth/internal/gpt"
	"github.com/plinth-os/plinth/internal/gptdev"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: gptpart [--sector-size 512|4096] [-o] [-Z] [-n N:START:END] [-t N:CODE]
       [-c N:NAME] [-u N:GUID|R] [-U GUID|R] [-d N] [-a SECTORS] [-p] [-i N] [-v]
       DEVICE-OR-IMAGE
`

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cl, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "gptpart: %v\n%s", err, usage)
		return 1
	}
	if cl.help || len(cl.ops) == 0 {
		fmt.Fprint(stdout, usage)
		if cl.help {
			return 0
		}
		return 1
	}
	d, err := gptdev.Open(cl.target, cl.sectorSize, blockdev.Roots{})
	if err != nil {
		fmt.Fprintf(stderr, "gptpart: %v\n", err)
		return 2
	}
	defer d.Close()
	s := &session{disk: d, out: stdout}
	for _, o := range cl.ops {
		if err := s.apply(o); err != nil {
			fmt.Fprintf(stderr, "gptpart: %s: %v\nNothing written.\n", o.text, err)
			if errors.Is(err, gpt.ErrNotFound) {
				return 2
			}
			return 1
		}
	}
	if s.dirty {
		err := d.Commit(s.t, s.zap)
		switch {
		case errors.Is(err, blockdev.ErrNoPartScan):
			fmt.Fprintf(stderr, "gptpart: warning: %v; no partition devices will appear\n", err)
		case err != nil:
			fmt.Fprintf(stderr, "gptpart: %v\n", err)
			return 4
		}
		fmt.Fprintln(stdout, "The operation has completed successfully.")
	}
	if s.problems {
		return 3
	}
	return 0
}
