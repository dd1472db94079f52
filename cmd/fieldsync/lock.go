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

// errDataDirBusy is returned when another server already serves the data directory.
var errDataDirBusy = errors.New("another fieldsync server runs on this data dir")

// dataLock is an exclusive flock(2) on <data dir>/fieldsync.lock, held by a server that keeps
// the photos in the embedded object store (<data dir>/objects has one owner: two servers on it
// would both sweep its uploads). The embedded SQLite store needs no lock: `fieldsync admin`
// commands open it beside the running server. The kernel releases the lock when the process
// exits, however it exits, so a crash leaves no stale lock.
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
