/* fuzz.h - what every libFuzzer target shares: an input reader, a scratch file, quiet logs. */
#ifndef VD_TESTS_FUZZ_H
#define VD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The entry points libFuzzer calls; replay.c calls them the same way. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The fuzzer's bytes, consumed front to back; past the end every read gives zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* Up to max bytes (fewer at the end of the input); returns how many were taken. */
size_t fuzz_bytes(struct fuzz_in *in, void *out, size_t max);

/* Once per process: log nothing (a hostile input makes the code under test warn a lot). */
void fuzz_quiet(void);
/* A memfd holding exactly data; returns a path that opens it ("/proc/self/fd/N"). */
const char *fuzz_file(const uint8_t *data, size_t size);
/* A private directory for files the code under test writes (made once per process). */
const char *fuzz_tmpdir(void);
/* Report a broken property and abort: the fuzzer saves the input, replay fails. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
