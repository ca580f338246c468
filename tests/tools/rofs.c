/* rofs.c — a pass-through FUSE file system that turns read-only on demand,
 * for the test of a database whose file system becomes read-only under a
 * running sensor (tests/e2e/unwritable.sh).
 *
 * Why not a read-only remount: Linux refuses to make a mount or a file
 * system read-only while a file on it is open for writing (EBUSY), and
 * SQLite keeps the database, its -wal and -shm open O_RDWR for the whole
 * connection. The only way the kernel turns a file system read-only under
 * open files is an emergency (ext4 errors=remount-ro, measured: writes then
 * fail with EROFS), and that lasts until the file system is unmounted,
 * which those same open files forbid. So this file system answers EROFS
 * itself, on every operation that would change something, exactly as a
 * read-only file system does (write, fsync, truncate, create, unlink, an
 * open for writing, ...), while the sensor's files stay open, and answers
 * normally again when told: the kernel hands SQLite the same error a
 * read-only mount gives.
 *
 * usage: rofs BACKING_DIR MOUNTPOINT   (runs in the foreground)
 *   SIGUSR1  read-only from now on
 *   SIGUSR2  writable again
 *   SIGTERM  unmounts, says how many operations it refused, exits
 * Root only (allow_other); kernel-side locks (SQLite's fcntl and the run
 * lock's OFD locks) are the kernel's own, as FUSE does when the file
 * system implements no lock operation. */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The one mutable global: set by the signal handlers, read by every
 * operation (a signal handler can reach nothing else). */
static volatile sig_atomic_t read_only;

static void on_usr1(int sig)
{
	(void)sig;
	read_only = 1;
}

static void on_usr2(int sig)
{
	(void)sig;
	read_only = 0;
}

/* What the operations share, given to fuse_main as private data. */
typedef struct {
	int dir;                 /* the backing directory */
	atomic_ulong refused;    /* operations answered EROFS, said at exit */
} rofs;

static rofs *self(void)
{
	return fuse_get_context()->private_data;
}

static int backing(void)
{
	return self()->dir;
}

/* -EROFS when read-only (and counted), else 0. */
static int refuse(void)
{
	if (!read_only)
		return 0;
	atomic_fetch_add(&self()->refused, 1);
	return -EROFS;
}

/* A FUSE path ("/x") relative to the backing directory ("x", "." for /). */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

#define REFUSE_IF_RO()                  \
	do {                            \
		int refused_ = refuse(); \
		if (refused_)           \
			return refused_; \
	} while (0)

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc = fi ? fstat((int)fi->fh, st) : fstatat(backing(), rel(path), st, AT_SYMLINK_NOFOLLOW);
	return rc < 0 ? -errno : 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	int fd = openat(backing(), rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (fill(buf, de->d_name, NULL, 0, 0))
			break;
	closedir(d);
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		REFUSE_IF_RO();
	int fd = openat(backing(), rel(path), fi->flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	REFUSE_IF_RO();
	int fd = openat(backing(), rel(path), fi->flags | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	ssize_t n = pread((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	REFUSE_IF_RO();
	ssize_t n = pwrite((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	REFUSE_IF_RO();
	int rc = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
	return rc < 0 ? -errno : 0;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	REFUSE_IF_RO();
	int rc;
	if (fi) {
		rc = ftruncate((int)fi->fh, size);
	} else {
		int fd = openat(backing(), rel(path), O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		rc = ftruncate(fd, size);
		int e = errno;
		close(fd);
		errno = e;
	}
	return rc < 0 ? -errno : 0;
}

static int fs_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	(void)path;
	REFUSE_IF_RO();
	int rc = fallocate((int)fi->fh, mode, off, len);
	return rc < 0 ? -errno : 0;
}

static int fs_unlink(const char *path)
{
	REFUSE_IF_RO();
	return unlinkat(backing(), rel(path), 0) < 0 ? -errno : 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	REFUSE_IF_RO();
	return mkdirat(backing(), rel(path), mode) < 0 ? -errno : 0;
}

static int fs_rmdir(const char *path)
{
	REFUSE_IF_RO();
	return unlinkat(backing(), rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	REFUSE_IF_RO();
	if (flags)
		return -EINVAL;
	return renameat(backing(), rel(from), backing(), rel(to)) < 0 ? -errno : 0;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	REFUSE_IF_RO();
	int rc = fi ? fchmod((int)fi->fh, mode) : fchmodat(backing(), rel(path), mode, 0);
	return rc < 0 ? -errno : 0;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	REFUSE_IF_RO();
	int rc = fi ? fchown((int)fi->fh, uid, gid) : fchownat(backing(), rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
	return rc < 0 ? -errno : 0;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	REFUSE_IF_RO();
	int rc = fi ? futimens((int)fi->fh, tv) : utimensat(backing(), rel(path), tv, AT_SYMLINK_NOFOLLOW);
	return rc < 0 ? -errno : 0;
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	if (fstatvfs(backing(), sv) < 0)
		return -errno;
	if (read_only)
		sv->f_flag |= ST_RDONLY;
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.fsync = fs_fsync,
	.release = fs_release,
	.truncate = fs_truncate,
	.fallocate = fs_fallocate,
	.unlink = fs_unlink,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.rename = fs_rename,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.utimens = fs_utimens,
	.statfs = fs_statfs,
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s BACKING_DIR MOUNTPOINT\n", argv[0]);
		return 2;
	}
	rofs fs = {.dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	if (fs.dir < 0) {
		fprintf(stderr, "rofs: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct sigaction sa = {0};
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	/* -f: foreground, so the test owns the process; no caching of
	 * attributes, so a size SQLite reads is the backing file's. */
	char *fargv[] = {argv[0], argv[2], "-f", "-o", "allow_other,default_permissions,attr_timeout=0,entry_timeout=0,max_threads=8",
			 NULL};
	int rc = fuse_main(5, fargv, &ops, &fs);
	close(fs.dir);
	fprintf(stderr, "rofs: %lu operations refused as read-only\n", atomic_load(&fs.refused));
	return rc;
}
