// Package sbkeys is the vendor's UEFI Secure Boot key set: the platform
// key (PK), the key-exchange key (KEK) and the signature database key (db),
// each an RSA private key with its X.509 certificate. mkiso signs images
// with the db key; the installer enrolls the certificates, next to
// Microsoft's (MicrosoftKEK, MicrosoftDB), so that option ROMs and shim
// signed by Microsoft keep loading. Whoever has the private keys can sign
// what the vendor's machines boot (see Warning).
//
// A key set is a directory. For each of PK, KEK and db (exactly that case)
// Load reads one certificate, whichever of
//
//	<name>.crt  <name>.pem  <name>.cer  <name>.der
//
// exists (two of them existing is an error: which one is meant?), and one
// private key, whichever of
//
//	<name>.key  <name>.key.pem  <name>.key.der
//
// exists, so that "PK.pem" always means a certificate. The name does not
// fix the encoding: certificates may be PEM or DER, private keys PEM or
// DER, PKCS#8 or PKCS#1, unencrypted. A private key file that its group or
// others may access is refused. Generate writes <name>.crt and <name>.key.
//
// Keys are RSA of 2048 to 4096 bits. RSA-2048 with SHA-256 is what the
// UEFI specification requires all firmware to verify, so Plinth signs with
// RSA and SHA-256 and Generate makes 2048-bit keys. Firmware built on EDK2
// verifies larger RSA keys too, so a vendor's existing 3072- or 4096-bit
// keys are accepted, although some firmware may not take them; fewer than
// 2048 bits is too weak to trust, and more than 4096 is past what firmware
// is known to verify.
package sbkeys
