/* test_filehash.c — SHA-256 of files: known vectors, chunk boundaries,
 * errors, and agreement with coreutils' sha256sum on a real capture. */
#include "testutil.h"

#include <errno.h>
#include <unistd.h>

#include "util/filehash.h"

/* FIPS 180-2 examples. */
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Writes len bytes to a fresh temporary file; the caller unlinks it. */
static void write_temp(char path[64], const void *data, size_t len)
{
	snprintf(path, 64, "/tmp/ea_filehash_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* What sha256sum says about path, as 64 hex characters. */
static void sha256sum(const char *path, char hex[65])
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[1200];
	assert_non_null(fgets(line, sizeof line, p));
	assert_int_equal(pclose(p), 0);
	assert_true(strlen(line) > 64);
	memcpy(hex, line, 64);
	hex[64] = '\0';
}

static void test_abc(void **state)
{
	(void)state;
	char path[64], hex[65], err[256] = "";
	uint64_t size = 12345;
	write_temp(path, "abc", 3);
	assert_int_equal(ea_sha256_file(path, hex, &size, err, sizeof err), EA_OK);
	unlink(path);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(size, 3);
}

static void test_empty(void **state)
{
	(void)state;
	char path[64], hex[65], err[256] = "";
	uint64_t size = 12345;
	write_temp(path, "", 0);
	assert_int_equal(ea_sha256_file(path, hex, &size, err, sizeof err), EA_OK);
	unlink(path);
	assert_string_equal(hex, SHA256_EMPTY);
	assert_int_equal(size, 0);
}

/* Sizes around the read chunk, so a lost or repeated chunk tail shows.
 * The pattern is not periodic in the chunk size. */
static void test_chunk_boundaries(void **state)
{
	(void)state;
	static const size_t sizes[] = {65535, 65536, 65537, 3 * 65536 + 17};
	size_t max = sizes[3];
	uint8_t *data = malloc(max);
	assert_non_null(data);
	for (size_t i = 0; i < max; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char path[64], hex[65], want[65], err[256] = "";
		uint64_t size = 0;
		write_temp(path, data, sizes[k]);
		assert_int_equal(ea_sha256_file(path, hex, &size, err, sizeof err), EA_OK);
		sha256sum(path, want);
		unlink(path);
		assert_string_equal(hex, want);
		assert_int_equal(size, sizes[k]);
	}
	free(data);
}

static void test_missing_file(void **state)
{
	(void)state;
	const char *path = "/nonexistent-dir/edgeaudit/no-such-capture.pcap";
	char hex[65] = "stale", err[256] = "";
	uint64_t size = 7;
	assert_int_equal(ea_sha256_file(path, hex, &size, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_string_equal(hex, "");
	assert_int_equal(size, 7);
}

/* A directory opens but cannot be read: that is an I/O error too, not the
 * hash of nothing. */
static void test_directory(void **state)
{
	(void)state;
	char hex[65], err[256] = "";
	assert_int_equal(ea_sha256_file("/tmp", hex, NULL, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, "/tmp: "));
	assert_string_equal(hex, "");
}

/* A short errbuf is truncated, never overrun; a NULL one is allowed. */
static void test_small_errbuf(void **state)
{
	(void)state;
	char hex[65], err[8];
	memset(err, 'X', sizeof err);
	assert_int_equal(ea_sha256_file("/nonexistent/x", hex, NULL, err, sizeof err), EA_ERR_IO);
	assert_int_equal(strlen(err), sizeof err - 1);
	assert_int_equal(ea_sha256_file("/nonexistent/x", hex, NULL, NULL, 0), EA_ERR_IO);
}

static void test_agrees_with_sha256sum(void **state)
{
	(void)state;
	static const char *const captures[] = {
		EA_SHARED_PCAPS "/ndpi_stun.pcap",
		EA_SHARED_PCAPS "/ndpi_443-chrome.pcap",
		EA_SHARED_PCAPS "/tcpdump_empty.pcap",
	};
	for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
		char hex[65], want[65], err[256] = "";
		uint64_t size = 0;
		assert_int_equal(ea_sha256_file(captures[i], hex, &size, err, sizeof err), EA_OK);
		sha256sum(captures[i], want);
		assert_string_equal(hex, want);
		FILE *f = fopen(captures[i], "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		long end = ftell(f);
		fclose(f);
		assert_true(end > 0);
		assert_int_equal(size, (uint64_t)end);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_small_errbuf),
		cmocka_unit_test(test_agrees_with_sha256sum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
