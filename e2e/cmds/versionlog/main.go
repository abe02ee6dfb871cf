// Command versionlog is a service of the end-to-end tests' update
// product (not of real products): at each start it appends one line to
// versions.log in its workdir ($HOME, on the data partition),
//
//	<PLINTH_VERSION> <PLINTH_PREVIOUS_VERSION>
//
// so the test can read from the disk afterwards which versions ran, in
// which order, with the data partition kept across updates. The line is
// on the disk (file and directory synced) before /health answers, as a
// real product's data must be before it reports itself up: the tests cut
// the power a second after that, well inside ext4's five-second commit.
// It then answers GET /health with 200 on -listen until it is stopped.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

func main() {
	listen := flag.String("listen", ":8088", "HTTP address to serve /health on")
	flag.Parse()
	line := fmt.Sprintf("%s %s\n", os.Getenv("PLINTH_VERSION"), os.Getenv("PLINTH_PREVIOUS_VERSION"))
	if err := appendDurably(os.Getenv("HOME"), "versions.log", line); err != nil {
		fmt.Printf("versionlog: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("versionlog: %s", line)
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	err := http.ListenAndServe(*listen, nil)
	fmt.Printf("versionlog listen %s: %v\n", *listen, err)
	os.Exit(1)
}

// appendDurably appends line to dir/name and syncs the file, then the
// directory, so that a file created here survives a power cut with its
// name.
func appendDurably(dir, name, line string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
