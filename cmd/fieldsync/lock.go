package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// lockFileName is the file in the data directory that the process owning the embedded stores
// holds an exclusive lock on.
const lockFileName = "fieldsync.lock"

// errDataDirBusy is returned when another process (a running server) holds the data directory.
var errDataDirBusy = errors.New("the server is running on this data dir: stop it, or use the API")

// dataLock is an exclusive flock(2) on <data dir>/fieldsync.lock. The embedded FerretDB must
// have one owner (two processes on its SQLite files lose updates), so the server in embedded
// mode and every `fieldsync admin` command hold it while they run. The kernel releases it when
// the process exits, however it exits, so a crash leaves no stale lock.
type dataLock struct{ f *os.File }

// lockDataDir takes the lock without waiting. Errors: errDataDirBusy when another process holds
// it; the file system's errors otherwise.
func lockDataDir(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked)", errDataDirBusy, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The pid is for the curious operator; the lock itself is what counts.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dataLock{f: f}, nil
}

// release unlocks (closing the file releases the flock). Safe on nil.
func (l *dataLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
