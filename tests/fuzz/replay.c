/* replay.c - main() for `make check`: feeds saved inputs to a fuzz target, no fuzzing engine. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "fuzz.h"

/* Targets that need no set-up leave this out. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int replay_file(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = vd_read_file(path, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(-r));
		return r;
	}
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

static int replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir (no dot files) as paths, in name order; NULL-terminated. */
static char **replay_list(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	char **names = vd_xcalloc(1, sizeof(*names));
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		names = vd_xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = vd_xasprintf("%s/%s", dir, e->d_name);
		names[n] = NULL;
	}
	qsort(names, n, sizeof(*names), replay_cmp);
	return names;
}

/* A known/ directory holds crashes of bugs whose fix has not landed yet: they are named, not
 * run, so the test stays green until the fix arrives and the files move up a level. */
static void replay_known(const char *dir)
{
	_cleanup_strv_ char **names = replay_list(dir);
	for (char **p = names; *p; p++)
		fprintf(stderr, "replay: known, not run until its fix lands: %s\n", *p);
}

static bool replay_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every file under dir; a missing dir is an empty one. */
static int replay_dir(const char *dir, unsigned *count)
{
	_cleanup_strv_ char **names = replay_list(dir);
	for (char **p = names; *p; p++) {
		if (replay_is_dir(*p) && vd_streq(strrchr(*p, '/') + 1, "known"))
			replay_known(*p);
		else if (replay_is_dir(*p) && replay_dir(*p, count) < 0)
			return -1;
		else if (!replay_is_dir(*p) && replay_file(*p) < 0)
			return -1;
		else
			*count += !replay_is_dir(*p);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		int r = replay_is_dir(argv[i]) ? replay_dir(argv[i], &count) : replay_file(argv[i]);
		if (r < 0)
			return 1;
		count += !replay_is_dir(argv[i]);
	}
	printf("replayed %u inputs without a finding\n", count);
	return 0;
}
