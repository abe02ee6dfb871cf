package efiauth

import (
	"crypto"
	"crypto/x509"
	"errors"
	"slices"
	"time"

	"github.com/plinth-os/plinth/internal/guid"
)

// KeyPair is a signing key and its certificate.
type KeyPair struct {
	Key  crypto.Signer
	Cert *x509.Certificate
}

// Keys is what an enrollment is made from.
type Keys struct {
	PK  KeyPair // signs PK.auth (itself) and KEK.auth
	KEK KeyPair // signs db.auth
	// DB is the certificate images are signed with; its key is not needed.
	DB *x509.Certificate
	// ExtraKEK and ExtraDB go, after ours, into the -microsoft variants:
	// Microsoft's KEK CA, and its UEFI CA (option ROMs, shim) and Windows
	// Production PCA, which machines whose GPU or NIC firmware is signed by
	// Microsoft need in db.
	ExtraKEK, ExtraDB []*x509.Certificate
	// Owner is the SignatureOwner of our certificates.
	Owner guid.GUID
	// ExtraOwner is the SignatureOwner of the extra certificates; zero
	// means Owner. Microsoft's lists use 77fa9abd-0359-4d32-bd60-28f4e78f784b.
	ExtraOwner guid.GUID
	// Time is the timestamp of every update.
	Time time.Time
}

// Files are the signed updates of an enrollment, each the content of an
// .auth file. KEK, DB and their -microsoft variants are append writes;
// the variants are nil when there are no extra certificates.
type Files struct {
	PK, KEK, DB               []byte
	KEKMicrosoft, DBMicrosoft []byte
}

// Named returns the files under their usual names: PK.auth, KEK.auth,
// db.auth, and KEK-microsoft.auth and db-microsoft.auth when present.
func (f Files) Named() map[string][]byte {
	m := map[string][]byte{"PK.auth": f.PK, "KEK.auth": f.KEK, "db.auth": f.DB}
	if f.KEKMicrosoft != nil {
		m["KEK-microsoft.auth"] = f.KEKMicrosoft
	}
	if f.DBMicrosoft != nil {
		m["db-microsoft.auth"] = f.DBMicrosoft
	}
	return m
}

// update is one signed write of an enrollment and where it goes.
type update struct {
	dst    *[]byte
	v      Variable
	data   []byte
	signer KeyPair
}

// Enrollment makes PK.auth (self-signed by PK), KEK.auth (signed by PK,
// append) and db.auth (signed by KEK, append), and the -microsoft variants
// that also carry the extra certificates.
func Enrollment(k Keys) (Files, error) {
	if k.PK.Cert == nil || k.KEK.Cert == nil || k.DB == nil {
		return Files{}, errors.New("efiauth: enrollment needs the PK, KEK and db certificates")
	}
	extraOwner := k.ExtraOwner
	if extraOwner.IsZero() {
		extraOwner = k.Owner
	}
	var f Files
	kek, db := CertList(k.Owner, k.KEK.Cert), CertList(k.Owner, k.DB)
	updates := []update{
		{&f.PK, PK(), CertList(k.Owner, k.PK.Cert), k.PK},
		{&f.KEK, KEK().Appending(), kek, k.PK},
		{&f.DB, DB().Appending(), db, k.KEK},
	}
	if len(k.ExtraKEK) > 0 {
		data := slices.Concat(kek, CertList(extraOwner, k.ExtraKEK...))
		updates = append(updates, update{&f.KEKMicrosoft, KEK().Appending(), data, k.PK})
	}
	if len(k.ExtraDB) > 0 {
		data := slices.Concat(db, CertList(extraOwner, k.ExtraDB...))
		updates = append(updates, update{&f.DBMicrosoft, DB().Appending(), data, k.KEK})
	}
	for _, u := range updates {
		b, err := SignedUpdate(u.v, u.data, k.Time, u.signer.Key, u.signer.Cert)
		if err != nil {
			return Files{}, err // names the variable already
		}
		*u.dst = b
	}
	return f, nil
}
