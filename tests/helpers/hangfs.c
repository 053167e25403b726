/*
 * hangfs: a tiny FUSE filesystem for the hung-share tests
 * (tests/scenarios/checksamba.hungfs.001.sh).
 *
 *   HANGFS_BLOCK_FILE=FILE hangfs MOUNTPOINT
 *
 * Runs in the foreground until unmounted (fusermount3 -u MOUNTPOINT).
 * Every path whose components all start with "ok", "d" or "hang" is a
 * (empty) directory; other names do not exist.  Looking up or stat()ing
 * a path whose last component starts with "hang" blocks while FILE
 * exists (checked every 100 ms), then answers: the test creates FILE to
 * hang a share and removes it to release it.  Nothing is cached by the
 * kernel, so every stat() comes here.
 *
 * The kernel may serialise lookups in one directory (it did here even
 * with FUSE_CAP_PARALLEL_DIROPS): a test that needs several hung paths
 * at once puts each in a directory of its own, d1/hang, d2/hang, ...
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse3/fuse.h>

static const char *block_file;

static void *hangfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* lookups in one directory must not wait for each other */
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) {
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	}
	/* no caching: every stat() must ask us */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static bool hangfs_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Wait while the block file exists. */
static void hangfs_block(void)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 100000000 };

	if (block_file == NULL) {
		return;
	}
	while (access(block_file, F_OK) == 0) {
		nanosleep(&tick, NULL);
	}
}

/* Does @p path exist here; *hang: its last component blocks */
static bool hangfs_exists(const char *path, bool *hang)
{
	const char *p = path;

	*hang = false;
	while (*p == '/') {
		p++;
	}
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		*hang = hangfs_starts(p, "hang");
		if (!*hang && !hangfs_starts(p, "ok") &&
		    !hangfs_starts(p, "d")) {
			return false;
		}
		p += len;
		while (*p == '/') {
			p++;
		}
	}
	return true;
}

static int hangfs_getattr(const char *path, struct stat *st,
			  struct fuse_file_info *fi)
{
	bool hang = false;

	memset(st, 0, sizeof(*st));
	if (!hangfs_exists(path, &hang)) {
		return -ENOENT;
	}
	if (hang) {
		hangfs_block();
	}
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = getuid();
	st->st_gid = getgid();
	return 0;
}

static int hangfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
			  off_t off, struct fuse_file_info *fi,
			  enum fuse_readdir_flags flags)
{
	static const char *const names[] = { ".", "..", "ok", "hang" };
	size_t i;

	if (strcmp(path, "/") != 0) {
		/* the subdirectories are empty */
		fill(buf, ".", NULL, 0, 0);
		fill(buf, "..", NULL, 0, 0);
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fill(buf, names[i], NULL, 0, 0);
	}
	return 0;
}

static const struct fuse_operations hangfs_ops = {
	.init = hangfs_init,
	.getattr = hangfs_getattr,
	.readdir = hangfs_readdir,
};

int main(int argc, char *argv[])
{
	char *fargv[] = { argv[0], "-o", "default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_loop_config *loop = NULL;
	struct fuse *fuse = NULL;
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: HANGFS_BLOCK_FILE=FILE %s "
			"MOUNTPOINT\n", argv[0]);
		return 2;
	}
	block_file = getenv("HANGFS_BLOCK_FILE");
	fuse = fuse_new(&args, &hangfs_ops, sizeof(hangfs_ops), NULL);
	if (fuse == NULL) {
		goto done;
	}
	if (fuse_mount(fuse, argv[1]) != 0) {
		goto done;
	}
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0) {
		fuse_unmount(fuse);
		goto done;
	}
	/* a worker per hung stat, and more for everything else */
	loop = fuse_loop_cfg_create();
	if (loop == NULL) {
		fuse_unmount(fuse);
		goto done;
	}
	fuse_loop_cfg_set_max_threads(loop, 256);
	fuse_loop_cfg_set_idle_threads(loop, 8);
	ret = fuse_loop_mt(fuse, loop) == 0 ? 0 : 1;
	fuse_loop_cfg_destroy(loop);
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	fuse_unmount(fuse);
done:
	if (fuse != NULL) {
		fuse_destroy(fuse);
	}
	fuse_opt_free_args(&args);
	return ret;
}
