package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is the sandbox's key material, as files in one directory.
type PKI struct {
	Dir string
}

// File names inside PKI.Dir.
const (
	caCertFile     = "ca.crt"
	caKeyFile      = "ca.key"
	serverCertFile = "apiserver.crt"
	serverKeyFile  = "apiserver.key"
	saKeyFile      = "sa.key"
	saPubFile      = "sa.pub"
	tokenFile      = "tokens.csv"
	adminTokenFile = "admin.token"
	// The real node's kubelet and kube-proxy authenticate with tokens of their own.
	kubeletTokenFile   = "kubelet.token"
	kubeProxyTokenFile = "kube-proxy.token"
)

// Path returns the path of one of the PKI's files.
func (p PKI) Path(name string) string { return filepath.Join(p.Dir, name) }

// GeneratePKI writes a new CA, a serving certificate for 127.0.0.1 and localhost signed by
// it, a service-account key pair and a token file granting an admin token system:masters,
// and tokens for the real node's kubelet (system:node:<RealNodeName> in system:nodes, which
// the Node authorizer lets register its Node) and kube-proxy (system:kube-proxy, which the
// default RBAC policy binds to system:node-proxier).
func GeneratePKI(dir string, now time.Time) (PKI, error) {
	p := PKI{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "slipway-sandbox-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return p, fmt.Errorf("create the CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return p, err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return p, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return p, fmt.Errorf("create the serving certificate: %w", err)
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return p, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return p, err
	}
	var tokens [3]string
	for i := range tokens {
		tok := make([]byte, 16)
		if _, err := rand.Read(tok); err != nil {
			return p, err
		}
		tokens[i] = hex.EncodeToString(tok)
	}
	token, kubeletToken, proxyToken := tokens[0], tokens[1], tokens[2]
	tokenCSV := token + `,slipway-admin,slipway-admin,"system:masters"` + "\n" +
		kubeletToken + ",system:node:" + RealNodeName + ",system:node:" + RealNodeName + `,"system:nodes"` + "\n" +
		proxyToken + ",system:kube-proxy,system:kube-proxy\n"

	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return p, err
	}
	srvKeyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return p, err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{caCertFile, pemBlock("CERTIFICATE", caDER), 0o644},
		{caKeyFile, pemBlock("EC PRIVATE KEY", caKeyDER), 0o600},
		{serverCertFile, pemBlock("CERTIFICATE", srvDER), 0o644},
		{serverKeyFile, pemBlock("EC PRIVATE KEY", srvKeyDER), 0o600},
		{saKeyFile, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)), 0o600},
		{saPubFile, pemBlock("PUBLIC KEY", saPub), 0o644},
		{tokenFile, []byte(tokenCSV), 0o600},
		{adminTokenFile, []byte(token), 0o600},
		{kubeletTokenFile, []byte(kubeletToken), 0o600},
		{kubeProxyTokenFile, []byte(proxyToken), 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(p.Path(f.name), f.data, f.mode); err != nil {
			return p, err
		}
	}
	return p, nil
}

// AdminToken returns the system:masters bearer token.
func (p PKI) AdminToken() (string, error) {
	b, err := os.ReadFile(p.Path(adminTokenFile))
	if err != nil {
		return "", fmt.Errorf("read the admin token: %w", err)
	}
	return string(b), nil
}

// token returns the token kept in file.
func (p PKI) token(file string) (string, error) {
	b, err := os.ReadFile(p.Path(file))
	if err != nil {
		return "", fmt.Errorf("read the token %s: %w", file, err)
	}
	return string(b), nil
}

// CACert returns the CA certificate in PEM.
func (p PKI) CACert() ([]byte, error) { return os.ReadFile(p.Path(caCertFile)) }

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
