package updatechannel

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plinth-os/plinth/internal/testcert"
)

// certPEM is the PEM of the test server's certificate, which is also
// its CA (httptest's certificate is self-signed, for 127.0.0.1).
func certPEM(ts *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
}

func TestHTTPS(t *testing.T) {
	data := testData(50_000)
	s := &bundleServer{data: data}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	ts := httptest.NewTLSServer(mux)
	defer ts.Close()
	ch := s.channel(ts.URL)
	mux.HandleFunc("/channel.json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := Marshal(Channel{Product: ch.Product, Version: ch.Version, URL: "acme-db-v1.4.2.plinth", Size: ch.Size, SHA256: ch.SHA256})
		w.Write(b)
	})

	t.Run("trusted", func(t *testing.T) {
		client, err := NewClient(certPEM(ts))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Check(context.Background(), client, ts.URL+"/channel.json")
		if err != nil || got != ch {
			t.Fatalf("Check = %+v, %v; want %+v", got, err, ch)
		}
		dst := dstIn(t)
		if err := Download(context.Background(), client, got, dst, fast()); err != nil {
			t.Fatal(err)
		}
		checkDone(t, dst, data)
	})

	t.Run("untrusted", func(t *testing.T) {
		client, err := NewClient(nil)
		if err != nil {
			t.Fatal(err)
		}
		before := len(s.requests())
		if _, err := Check(context.Background(), client, ts.URL+"/channel.json"); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Check: err = %v, want a refused certificate", err)
		}
		var rep reports
		opts := fast()
		opts.Progress = rep.add
		err = Download(context.Background(), client, ch, dstIn(t), opts)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Download: err = %v, want a refused certificate", err)
		}
		if r := rep.retries(); len(r) != 0 {
			t.Errorf("%d retries, want none: an untrusted server stays untrusted", len(r))
		}
		if n := len(s.requests()); n != before {
			t.Errorf("the server saw %d requests over untrusted TLS", n-before)
		}
	})
}

func TestRedirectToHTTPRefused(t *testing.T) {
	s := &bundleServer{data: testData(1000)}
	plain, ch := s.start(t)
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/b.plinth", http.StatusFound))
	defer secure.Close()
	client, err := NewClient(certPEM(secure))
	if err != nil {
		t.Fatal(err)
	}
	ch.URL = secure.URL + "/b.plinth"
	err = Download(context.Background(), client, ch, dstIn(t), fast())
	if !errors.Is(err, errDowngrade) {
		t.Errorf("err = %v, want the downgrade refused", err)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("the http server saw %d requests", n)
	}
}

func TestNewClientCAs(t *testing.T) {
	ca := testcert.Must(t, "Acme Update CA", testcert.Options{CA: true})
	good := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
	tests := []struct {
		name string
		pem  string
		err  string
	}{
		{"none", "", ""},
		{"one", string(good), ""},
		{"two with blank lines", "\n" + string(good) + "\n\n" + string(good) + "\n", ""},
		{"not PEM", "hello", "not PEM"},
		{"garbage after", string(good) + "junk", "data after certificate 1"},
		{"a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", `"PRIVATE KEY", want CERTIFICATE`},
		{"bad DER", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificate 1:"},
	}
	for _, tt := range tests {
		_, err := NewClient([]byte(tt.pem))
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
		}
	}
}
