// Command hello is the service of the minimal example product: it greets
// whoever asks, counts visits in its working directory (on the data
// partition, so the count survives reboots and updates) and answers
// /health for the appliance's health check.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

func main() {
	addr := flag.String("listen", ":8080", "address to serve on")
	greeting := flag.String("greeting", "Hello", "what to say")
	motd := flag.String("motd", "/etc/hello/motd", "message of the day, shipped in the image")
	flag.Parse()
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	c := &counter{path: filepath.Join(wd, "visits")}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := c.next()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		m, _ := os.ReadFile(*motd)
		fmt.Fprintf(w, "%s from %s (visit %d)\n%s", *greeting, os.Getenv("PLINTH_PRODUCT"), n, m)
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("hello: serving on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// counter keeps a number in a file.
type counter struct {
	mu   sync.Mutex
	path string
}

func (c *counter) next() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, _ := os.ReadFile(c.path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	n++
	if err := os.WriteFile(c.path, []byte(strconv.Itoa(n)+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("count visit: %w", err)
	}
	return n, nil
}
