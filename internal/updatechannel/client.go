package updatechannel

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeouts of NewClient's transport. There is no timeout for a whole
// request: a bundle over a slow link may take hours. Download notices a
// transfer that stalls (Options.StallTimeout).
const (
	dialTimeout           = 30 * time.Second
	tlsHandshakeTimeout   = 15 * time.Second
	responseHeaderTimeout = 60 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxRedirects          = 10
)

// NewClient returns an HTTP client for channel files and bundles. HTTPS
// servers must have a certificate issued by a CA of the system's pool
// (x509.SystemCertPool; an appliance's runtime usually has none) or by
// one of extraCAs, PEM certificates as plinth.yaml gives them. A proxy
// set in the environment (HTTPS_PROXY, NO_PROXY...) is used. Redirects
// from https to http are refused: a vendor that publishes over HTTPS
// means it.
func NewClient(extraCAs []byte) (*http.Client, error) {
	pool, err := rootPool(extraCAs)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConns:          4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}, nil
}

// errDowngrade is returned for a redirect from https to http; it is final.
var errDowngrade = errors.New("refusing a redirect from https to http")

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return errDowngrade
	}
	return nil
}

// rootPool is the system's CA pool, or an empty one where there is none,
// plus the PEM certificates in extra.
func rootPool(extra []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	certs, err := ParseCertificates(extra)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// ParseCertificates reads PEM certificates (the product's CAs, the
// update certificates in the runtime's product file). Unlike
// CertPool.AppendCertsFromPEM it fails on anything it cannot use, so
// that a mistake is found rather than silently dropped.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		block, r := pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("updatechannel: CA certificates: data after certificate %d is not PEM", len(certs))
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("updatechannel: CA certificates: PEM block %d is %q, want CERTIFICATE", len(certs)+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("updatechannel: CA certificates: certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
		rest = bytes.TrimSpace(r)
	}
	return certs, nil
}
