/* fuzz-ctl-line.c - libFuzzer target: the control protocol's line framing and JSON getters. */
/* Fed in the odd chunk sizes a stream socket delivers. */
#include "common/ctl.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* What a daemon or client reads out of a message: every typed getter on a few keys. */
static void fuzz_ctl_use(struct json_object *o)
{
	static const char *const keys[] = {
		"cmd", "op", "ok", "code", "error", "signal", "bytes", "timeout", "rows", "cols",
		"mem_bytes", "cpus",
	};
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++) {
		vd_json_str(o, keys[i], NULL);
		vd_json_i64(o, keys[i], 0);
		vd_json_double(o, keys[i], 0);
		vd_json_bool(o, keys[i], false);
	}
	struct vd_error *err = NULL;
	vd_ctl_check_reply(o, &err);
	vd_error_free(err);
}

/* Append a chunk as vd_ctl_recv does, then take every complete line; false once the reader
 * gave up on this stream (the peer is dropped then). */
static bool fuzz_ctl_feed(struct vd_ctl_reader *rd, const uint8_t *p, size_t n)
{
	size_t room = VD_CTL_MAX_LINE - rd->len;
	memcpy(rd->buf + rd->len, p, n < room ? n : room);
	rd->len += n < room ? n : room;
	for (;;) {
		struct json_object *o = NULL;
		struct vd_error *err = NULL;
		int r = vd_ctl_take_line(rd, &o, &err);
		vd_error_free(err);
		if (rd->len > VD_CTL_MAX_LINE)
			fuzz_fail("reader holds %zu bytes", rd->len);
		if (r <= 0)
			return r == 0;
		fuzz_ctl_use(o);
		json_object_put(o);
	}
}

/* Input: a repeat count and a chunk size, then the stream; the stream is sent repeat + 1 times
 * so that a short input can still reach the 64 KiB line limit. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned repeat = fuzz_u8(&in) % 32;
	size_t chunk = fuzz_u8(&in) + 1;
	static struct vd_ctl_reader rd;
	rd.len = 0;
	for (unsigned r = 0; r <= repeat; r++) {
		for (size_t off = 0; off < in.n; off += chunk) {
			size_t n = in.n - off < chunk ? in.n - off : chunk;
			if (!fuzz_ctl_feed(&rd, in.p + off, n))
				return 0;
		}
	}
	return 0;
}
