package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fieldsync/fieldsync/sync/dump"
	"github.com/fieldsync/fieldsync/sync/objectstore"
)

// The data commands of `fieldsync admin` (docs/moving-data.md): dump and restore move a whole
// store between the embedded SQLite file and MongoDB + MinIO (sync/dump); backup copies the
// embedded data directory while the server runs.

// dumpCmd: `admin dump [--photos] [--out FILE]` writes the store's dump (JSON Lines) to FILE, or
// to stdout without --out or with "-". With --photos the photo originals go along (from the
// embedded object store or the configured S3). A dump of the embedded store is one read
// snapshot, so it may run beside the server; on MongoDB stop the servers first.
func dumpCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	photos := fs.Bool("photos", false, "include the photo originals (base64, in chunks of 1 MiB)")
	out := fs.String("out", "", "dump file to create (default: stdout)")
	return func(ctx context.Context, x *adminRun) error {
		opt := dump.Options{}
		if *photos {
			if err := x.app.startObjects(ctx); err != nil {
				return err
			}
			opt.Objects = objectstore.DumpObjects{Store: x.app.objects}
		}
		counts, err := writeOutput(*out, x.stdout, func(w io.Writer) (dump.Counts, error) {
			return dump.Write(ctx, x.app.docs.Source, w, opt)
		})
		if err != nil {
			return fmt.Errorf("admin dump: %w", err)
		}
		fmt.Fprintf(x.stderr, "dumped %s\n", countsLine(counts))
		return nil
	}
}

// restoreCmd: `admin restore [--photos] [--in FILE]` loads a dump (FILE, or stdin without --in
// or with "-") into the configured store, which must be empty: a store no server has started on
// (dump.ErrNotEmpty otherwise). Sequence numbers are kept, so phones keep their cursors. With
// --photos the dump's photo originals go to the object store; with embedded photos the server
// must not run on the data directory.
func restoreCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	photos := fs.Bool("photos", false, "write the dump's photo originals to the object store")
	in := fs.String("in", "", "dump file to read (default: stdin)")
	return func(ctx context.Context, x *adminRun) error {
		opt := dump.RestoreOptions{}
		if *photos {
			if x.app.cfg.EmbeddedObjects() {
				var err error
				if x.app.lock, err = lockDataDir(x.app.cfg.DataDir); err != nil {
					return fmt.Errorf("admin restore --photos: %w", err)
				}
			}
			if err := x.app.startObjects(ctx); err != nil {
				return err
			}
			opt.Objects = objectstore.DumpObjects{Store: x.app.objects}
		}
		r := x.stdin
		if *in != "" && *in != "-" {
			f, err := os.Open(*in)
			if err != nil {
				return fmt.Errorf("admin restore: %w", err)
			}
			defer f.Close()
			r = f
		}
		counts, err := dump.Restore(ctx, x.app.docs.Sink, bufio.NewReaderSize(r, 1<<20), opt)
		if errors.Is(err, dump.ErrNotEmpty) {
			return fmt.Errorf("admin restore: %w: restore into a new data directory (or an empty MongoDB database) before any server starts on it", err)
		}
		if err != nil {
			return fmt.Errorf("admin restore: %w", err)
		}
		fmt.Fprintf(x.stdout, "restored %s\n", countsLine(counts))
		return nil
	}
}

// backupCmd: `admin backup DIR` makes DIR a copy of the embedded data directory, consistent
// while the server runs: DIR/fieldsync.db (SQLite VACUUM INTO, one snapshot), then, with
// embedded photos, DIR/objects (extended attributes kept: they hold the objects' metadata) and
// DIR/credentials.json. DIR must not exist or be empty. The documents are copied first, so every
// photo the copied records name is in the copy. Errors: the store is MongoDB (use dump or
// mongodump), DIR holds files, the copy fails.
func backupCmd(*flag.FlagSet) func(context.Context, *adminRun) error {
	return func(ctx context.Context, x *adminRun) error {
		if x.app.docs.Backup == nil {
			return errors.New("admin backup: copies the embedded store; on MongoDB use `fieldsync admin dump` or mongodump")
		}
		dir := x.arg
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("admin backup: %s is not empty", dir)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("admin backup: %w", err)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("admin backup: %w", err)
		}
		if err := x.app.docs.Backup(ctx, filepath.Join(dir, documentsFile)); err != nil {
			return fmt.Errorf("admin backup: %w", err)
		}
		what := documentsFile
		if x.app.cfg.EmbeddedObjects() {
			src := x.app.cfg.DataDir
			if err := copyTree(filepath.Join(src, "objects"), filepath.Join(dir, "objects")); err != nil {
				return fmt.Errorf("admin backup: photos: %w", err)
			}
			if err := copyFile(filepath.Join(src, "credentials.json"), filepath.Join(dir, "credentials.json")); err != nil &&
				!errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("admin backup: %w", err)
			}
			what += ", objects/ and credentials.json"
		}
		fmt.Fprintf(x.stdout, "backed up %s to %s\n", what, dir)
		return nil
	}
}

// writeOutput runs write on the file path (created new; written to path.partial and renamed
// when complete, so a failed dump leaves no file that looks whole) or on stdout for "" and "-".
func writeOutput(path string, stdout io.Writer, write func(io.Writer) (dump.Counts, error)) (dump.Counts, error) {
	if path == "" || path == "-" {
		w := bufio.NewWriterSize(stdout, 1<<20)
		counts, err := write(w)
		if err == nil {
			err = w.Flush()
		}
		return counts, err
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	counts, err := write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	return counts, nil
}

// countsLine is "3 record, 2 user, ..." in kind order, for the operator.
func countsLine(c dump.Counts) string {
	parts := make([]string, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
	}
	if len(parts) == 0 {
		return "nothing (an empty store)"
	}
	return strings.Join(parts, ", ")
}

// copyTree copies the directory src to dst (which must not exist): directories, regular files
// and their extended attributes. A missing src copies nothing.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, 0o750); err != nil {
				return err
			}
			return copyXattrs(path, target)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return nil // sockets, links: nothing the object store keeps
		}
	})
}

// copyFile copies the regular file src to the new file dst, with its extended attributes.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return copyXattrs(src, dst)
}

// copyXattrs copies the user.* extended attributes of src to dst (versitygw keeps an object's
// and a bucket's metadata there).
func copyXattrs(src, dst string) error {
	size, err := unix.Llistxattr(src, nil)
	if err != nil || size == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(src, buf); err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if !strings.HasPrefix(name, "user.") {
			continue
		}
		n, err := unix.Lgetxattr(src, name, nil)
		if err != nil {
			return err
		}
		val := make([]byte, n)
		if n, err = unix.Lgetxattr(src, name, val); err != nil {
			return err
		}
		if err := unix.Lsetxattr(dst, name, val[:n], 0); err != nil {
			return fmt.Errorf("copy %s of %s: %w", name, src, err)
		}
	}
	return nil
}
