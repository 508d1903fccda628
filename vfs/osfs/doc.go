// Package osfs is a [vfs.FS] that serves a directory of the local file
// system (Linux only).
//
// # Handles
//
// A handle is the kernel's own file handle (name_to_handle_at(2): on ext4,
// XFS, btrfs or tmpfs an inode number and a generation) wrapped with a tag
// of the export (a hash of the file system's id and the export root's
// handle) and a checksum, at most [vfs.MaxHandleSize] bytes. The kernel
// knows it for as long as the file exists, so handles survive a restart of
// the server and a new FS over the same directory resolves the old ones.
// A malformed handle gets [vfs.ErrBadHandle]; a handle of another export
// or file system, or of a file that is gone, [vfs.ErrStale].
//
// A handle is turned back into a file with open_by_handle_at(2), which
// needs CAP_DAC_READ_SEARCH (root has it), and then checked to be inside
// the export on every use, since the kernel opens any file of the file
// system: a directory by walking ".." with file descriptors up to the
// export's root, anything else by finding a name for it in a directory
// that is inside (a name remembered from Lookup, Create, ReadDir and the
// like, checked with fstatat; failing that, by walking the export, one
// walk at a time, remembering up to 131072 names it passes, so that after
// a restart the first handle used pays for the others). A file moved out
// of the export behind osfs's back is stale until it comes back.
//
// # Confinement
//
// Every operation works relative to directory file descriptors of the
// export with the *at system calls, never on joined path strings; names
// are single components (vfs.CheckName) and symbolic links are never
// followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, O_PATH). A Lookup that would
// cross into another mount gets [vfs.ErrCrossDevice]. No handle, name,
// ".." or symbolic link leads out of the export: the parent of the root is
// the root.
//
// # Identity
//
// With [Options.ActAsCaller], every operation whose permissions the kernel
// should check runs with the caller's identity: osfs locks the calling
// goroutine to its OS thread, gives that thread alone the caller's file
// system uid, gid and supplementary groups (setfsuid(2), setfsgid(2) and
// the raw setgroups(2), which act on one thread), makes the system calls
// and gives the thread back its own identity before unlocking it. So the
// kernel enforces permissions, ACLs included, new files belong to the
// caller, and calls run in parallel on as many threads as there are
// callers. A thread that cannot get its identity back stays locked to its
// goroutine and ends with it. Opening files by handle and checking that
// they are inside the export is done as root, before. Without the option,
// osfs acts as root and checks the mode bits itself with [vfs.Permitted],
// as memfs does, and gives new files to the caller.
//
// Two rules follow knfsd rather than the system calls: a hard link may be
// made to a file the caller cannot write (fs.protected_hardlinks is a rule
// for local users, and knfsd does not apply it either), and a caller with
// write permission may set one of the times to the server's clock without
// owning the file.
//
// # Open files
//
// osfs keeps up to [Options.OpenFiles] files open between calls (and
// the FSs of a process together no more than an eighth of its
// RLIMIT_NOFILE), by handle, least recently used out first: an O_PATH descriptor opened by
// handle as the process, and, for a regular file once read, a descriptor
// open for reading, also the process's. So a call on a file in use needs
// neither open_by_handle_at nor close: a READ of a file one level down
// is fstat of the file, fstatat of its name in its directory and of the
// directory's ".." (the check that it is inside the export) and pread. A
// file found by Lookup is kept too. The descriptors carry no
// caller's rights and the cache is not keyed by caller: every call checks
// what it would check opening the file anew. The file must be alive
// (fstat: a file removed behind osfs's back is stale, never served from
// the descriptor) and inside the export, and the caller may read only
// if, now, it could open the file to read: the kernel checks that with
// faccessat2(2) as the caller where osfs acts as callers (ACLs and all),
// osfs by the mode bits otherwise. Acting as a caller costs a dozen
// system calls, so a kept file remembers a few callers the kernel let
// read it, for as long as its ctime stays what it was (whatever changes
// who may read a file changes its ctime; a grant is remembered only once
// the ctime is older than the kernel's coarse clock could blur). One descriptor per file, whoever
// calls, keeps the cache small and a permission taken away takes effect
// at the next call, as with knfsd's open-file cache. A file leaves the
// cache when its last link goes through osfs (so its space is freed),
// when it is found gone or moved out, when opening anything fails with
// EMFILE or ENFILE (half the cache is closed and the open tried again),
// and at Close; a file removed behind osfs's back keeps its space until
// its descriptors leave the cache (at its next use, which finds it gone,
// or when it is the least recently used). Writes still open the file
// for each call, as the caller.
//
// # Data
//
// Writes are pwrite(2), followed by fdatasync(2) for [vfs.DataSync] and
// fsync(2) for [vfs.FileSync]; Commit is fsync(2). An exclusive Create
// keeps its verifier in the extended attribute "user.nfskit.verifier"
// (in the atime and mtime, as knfsd does, where the file system has no
// user extended attributes), so a retransmitted create succeeds.
//
// # Directories
//
// ReadDir cookies are the file system's own directory offsets (getdents(2)
// d_off, resumed with lseek(2)), stable for as long as an entry exists, so
// the cookie verifier is always 0.
package osfs
