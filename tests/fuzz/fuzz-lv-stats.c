/* fuzz-lv-stats.c - libFuzzer target: the libvirt engine's stats fields and domain XML scan. */
/* lv_stats_parse on bulk stats fields, and the XML device scan of the per-domain fallback. */
#include "fuzz.h"

/* The XML scan is private to the file: the target includes it. */
#include "backend/libvirt-stats.c"

#define FUZZ_LV_PARAMS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* One field: type, name length, name, 8 value bytes (a string field points at a constant). */
static void fuzz_lv_param(struct fuzz_in *in, virTypedParameter *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->type = 1 + fuzz_u8(in) % VIR_TYPED_PARAM_STRING;
	size_t len = fuzz_u8(in) % VIR_TYPED_PARAM_FIELD_LENGTH;
	fuzz_bytes(in, tp->field, len);
	uint64_t v = fuzz_u64(in);
	memcpy(&tp->value, &v, sizeof(v));
	if (tp->type == VIR_TYPED_PARAM_STRING)
		tp->value.s = (char *)"fuzz";
}

/* A double beyond uint64_t must saturate, not wrap or trap. */
static void fuzz_lv_check_double(const virTypedParameter *tp)
{
	uint64_t v = lv_param_u64(tp);
	double d = tp->value.d;
	if (tp->type != VIR_TYPED_PARAM_DOUBLE)
		return;
	if ((!(d > 0) && v != 0) || (d >= 18446744073709551616.0 && v != UINT64_MAX))
		fuzz_fail("field %.80s: %g became %llu", tp->field, d, (unsigned long long)v);
}

static void fuzz_lv_xml(const char *xml)
{
	char **names = NULL;
	size_t n = 0;
	lv_xml_devices(xml, "disk", &names, &n);
	lv_xml_devices(xml, "interface", &names, &n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Input: a kind byte, a field count and the fields, then domain XML. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static virTypedParameter tp[FUZZ_LV_PARAMS];
	struct vd_backend be = { .label = (char *)"fuzz" };
	struct lv_priv p = { .be = &be, .kind = fuzz_u8(&in) & 1 ? VD_KIND_CT : VD_KIND_VM };
	int n = fuzz_u8(&in) % (FUZZ_LV_PARAMS + 1);
	for (int i = 0; i < n; i++) {
		fuzz_lv_param(&in, &tp[i]);
		fuzz_lv_check_double(&tp[i]);
	}
	struct vd_guest g;
	lv_stats_parse(&p, NULL, "fuzz", tp, n, 42, &g);
	if (!memchr(g.name, '\0', sizeof(g.name)) || !memchr(g.host, '\0', sizeof(g.host)))
		fuzz_fail("guest name or host not terminated");
	_cleanup_free_ char *xml = strndup((const char *)in.p, in.n);
	fuzz_lv_xml(xml);
	return 0;
}
