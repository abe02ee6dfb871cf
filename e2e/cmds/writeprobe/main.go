// Command writeprobe is a service of the end-to-end tests' product (not
// of real products): run as a user other than root, it tries to create
// a file in each directory a service might write to and prints one
// line per attempt on its standard output,
//
//	writeprobe <dir> ok
//	writeprobe <dir> denied: <error>
//
// then "writeprobe done ok=<n> denied=<m>". The directories are its
// workdir ($HOME, else the current directory), /tmp, /, /etc, /bbin,
// /data, /data/log, each -other directory (another service's) and
// /dev/shm if it exists. The files it manages to create are removed at
// once.
//
// It then serves HTTP on -listen until it is stopped: GET /health
// answers 200 (for a health check), GET /probe the lines above.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	listen := flag.String("listen", ":8088", "HTTP address to serve /health and /probe on")
	var others []string
	flag.Func("other", "another service's directory, which must be denied (repeatable)", func(s string) error {
		others = append(others, s)
		return nil
	})
	flag.Parse()

	var report bytes.Buffer
	probe(io.MultiWriter(os.Stdout, &report), dirs(workdir(), others))
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	http.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		w.Write(report.Bytes())
	})
	err := http.ListenAndServe(*listen, nil)
	fmt.Printf("writeprobe listen %s: %v\n", *listen, err)
	os.Exit(1)
}

// workdir is $HOME, or else the current directory.
func workdir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// dirs are the directories to try, in the order they are reported.
func dirs(work string, others []string) []string {
	d := append([]string{work, "/tmp", "/", "/etc", "/bbin", "/data", "/data/log"}, others...)
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d = append(d, "/dev/shm")
	}
	return d
}

// probe tries to create a file in each directory, writes a line for
// each and the summary to w, and returns the counts.
func probe(w io.Writer, dirs []string) (ok, denied int) {
	for _, d := range dirs {
		if err := tryCreate(d); err != nil {
			fmt.Fprintf(w, "writeprobe %s denied: %s\n", d, reason(err))
			denied++
		} else {
			fmt.Fprintf(w, "writeprobe %s ok\n", d)
			ok++
		}
	}
	fmt.Fprintf(w, "writeprobe done ok=%d denied=%d\n", ok, denied)
	return ok, denied
}

// tryCreate creates a new file in dir, writes to it and removes it.
func tryCreate(dir string) error {
	p := filepath.Join(dir, fmt.Sprintf(".writeprobe-%d", os.Getpid()))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte("x"))
	cerr := f.Close()
	os.Remove(p)
	return errors.Join(werr, cerr)
}

// reason is the error without the path, which the line already names:
// "permission denied", "read-only file system".
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
