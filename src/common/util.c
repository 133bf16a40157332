/* util.c - allocation, string, size and file helpers used across virtdeck. */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <sys/sysinfo.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void vd_freep(void *p)
{
	free(*(void **)p);
}

void vd_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void vd_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void vd_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

void vd_strvfreep(char ***v)
{
	if (!*v)
		return;
	for (char **p = *v; *p; p++)
		free(*p);
	free(*v);
}

static void vd_oom(void)
{
	fputs("virtdeck: out of memory\n", stderr);
	abort();
}

void *vd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		vd_oom();
	return p;
}

void *vd_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		vd_oom();
	return p;
}

void *vd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		vd_oom();
	return q;
}

char *vd_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		vd_oom();
	return p;
}

char *vd_xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		vd_oom();
	return s;
}

char *vd_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vd_xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

bool vd_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size == 0)
		return n == 0;
	size_t c = n < size - 1 ? n : size - 1;
	memcpy(dst, src, c);
	dst[c] = '\0';
	return c == n;
}

bool vd_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool vd_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Digits, then at most one '.' with digits after it: what sizes and CPU counts are written as. */
static size_t vd_decimal_len(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (n > 0 && s[n] == '.' && s[n + 1] >= '0' && s[n + 1] <= '9')
		n += 1 + strspn(s + n + 1, "0123456789");
	return n;
}

int vd_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Plain decimal with an optional sign and exponent: strtod alone also takes nan, inf and hex. */
int vd_parse_double(const char *s, double *out)
{
	if (!s || !*s || strspn(s, "0123456789.eE+-") != strlen(s))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

static int vd_size_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

/* The suffix after the number: K, M, G, T, each optionally with "i" and "B". */
static int vd_size_suffix(const char *end)
{
	if (!*end)
		return 0;
	int shift = vd_size_shift(*end++);
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	return *end ? -1 : shift;
}

int vd_parse_size(const char *s, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	size_t n = vd_decimal_len(s);
	int shift = n ? vd_size_suffix(s + n) : -1;
	if (shift < 0)
		return -EINVAL;
	_cleanup_free_ char *num = vd_xasprintf("%.*s", (int)n, s);
	if (shift == 0) /* bytes: exact, and a fraction of a byte makes no sense */
		return vd_parse_u64(num, out);
	double bytes = ldexp(strtod(num, NULL), shift);
	if (bytes >= 18446744073709551616.0)
		return -ERANGE;
	*out = (uint64_t)bytes;
	return 0;
}

unsigned vd_host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

uint64_t vd_host_mem(void)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

int vd_check_cpus(double cpus)
{
	if (!isfinite(cpus) || cpus <= 0)
		return -EINVAL;
	return cpus < VD_CPUS_MIN || cpus > (double)vd_host_cpus() ? -ERANGE : 0;
}

int vd_check_mem(uint64_t bytes, uint64_t min)
{
	return bytes < min || bytes > vd_host_mem() ? -ERANGE : 0;
}

bool vd_ifname_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= IFNAMSIZ || vd_streq(name, ".") || vd_streq(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

const char *vd_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024.0 && u < sizeof(units) - 2) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else if (v < 10.0)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
	return buf;
}

int vd_read_file(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, n = 0;
	_cleanup_free_ char *buf = vd_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = vd_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = TAKE_PTR(buf);
	return 0;
}

int vd_write_file(const char *path, const char *data)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(data);
	ssize_t w = write(fd, data, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

int vd_mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = vd_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static uint64_t vd_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vd_now_mono_ns(void)
{
	return vd_clock_ns(CLOCK_MONOTONIC);
}

uint64_t vd_now_real_ns(void)
{
	return vd_clock_ns(CLOCK_REALTIME);
}

int vd_pid_file_live(const char *path)
{
	_cleanup_free_ char *t = NULL;
	uint64_t pid = 0;
	if (vd_read_file(path, &t, NULL) < 0)
		return 0;
	t[strcspn(t, "\n")] = '\0';
	if (vd_parse_u64(t, &pid) < 0 || pid == 0 || pid > INT_MAX || kill((pid_t)pid, 0) < 0)
		return 0;
	return (int)pid;
}

bool vd_pid_stopped(int pid)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_free_ char *st = NULL;
	if (pid <= 0 || vd_read_file(path, &st, NULL) < 0)
		return false;
	const char *end = strrchr(st, ')'); /* the command name may hold spaces and parentheses */
	return end && end[1] == ' ' && (end[2] == 'T' || end[2] == 't');
}
