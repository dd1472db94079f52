package versitygw

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// credentialsFile is the name of the credentials file inside the directory given to
// LoadOrCreateCredentials.
const credentialsFile = "credentials.json"

// credentials is the JSON shape of credentials.json.
type credentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// LoadOrCreateCredentials returns the root keys kept in dir/credentials.json, creating dir (0700)
// and the file (0600) on the first call with keys from crypto/rand: a 20-character access key
// [A-Z0-9] and a 40-character secret [A-Za-z0-9]. Every later call, from this or another
// process, returns the same pair; concurrent first calls agree on one pair (the file appears
// atomically, the first writer wins). Errors: dir not writable, or an existing file that is not
// valid credentials JSON (it is never overwritten).
func LoadOrCreateCredentials(dir string) (accessKey, secretKey string, err error) {
	path := filepath.Join(dir, credentialsFile)
	if c, err := readCredentials(path); !errors.Is(err, fs.ErrNotExist) {
		return c.AccessKey, c.SecretKey, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create credentials dir: %w", err)
	}
	c := credentials{
		AccessKey: randomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		SecretKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
	}
	body, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("encode credentials: %w", err)
	}
	// Write a temporary file, then hard-link it to the final name: os.Link fails when the name
	// exists, so a concurrent creator cannot be overwritten and readers never see a partial file.
	tmp, err := os.CreateTemp(dir, ".credentials-*.json")
	if err != nil {
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	if _, err := tmp.Write(append(body, '\n')); err != nil {
		_ = tmp.Close()
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", "", fmt.Errorf("write credentials: %w", err)
	}
	c, err = readCredentials(path)
	return c.AccessKey, c.SecretKey, err
}

func readCredentials(path string) (credentials, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	var c credentials
	if err := json.Unmarshal(body, &c); err != nil {
		return credentials{}, fmt.Errorf("read credentials %s: %w", path, err)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return credentials{}, fmt.Errorf("read credentials %s: access_key or secret_key is empty", path)
	}
	return c, nil
}

// randomString returns n characters drawn uniformly from alphabet with crypto/rand.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	// Rejection sampling keeps the draw uniform: bytes at or above the largest multiple of
	// len(alphabet) are dropped.
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}
