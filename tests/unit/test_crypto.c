/* Unit tests for common/crypto.c: base64 (the RFC 4648 test vectors) and
 * HMAC-SHA256 (RFC 4231), which signed webhooks rest on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "crypto.h"

static void test_base64_rfc4648(void **state)
{
	(void)state;
	static const char *const v[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[ECCP_BASE64_LEN(6) + 1];
		size_t n = eccp_base64(v[i][0], strlen(v[i][0]), out);
		assert_string_equal(out, v[i][1]);
		assert_int_equal(n, strlen(v[i][1]));
		assert_int_equal(ECCP_BASE64_LEN(strlen(v[i][0])), n);
	}
	/* every byte value, and the two characters beyond letters and digits */
	uint8_t all[3] = {0xfb, 0xff, 0xfe};
	char out[ECCP_BASE64_LEN(3) + 1];
	eccp_base64(all, 3, out);
	assert_string_equal(out, "+//+");
}

static void test_hmac_sha256_rfc4231(void **state)
{
	(void)state;
	/* RFC 4231, test case 2 */
	static const uint8_t want[ECCP_SHA256_LEN] = {
	    0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
	    0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
	    0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
	uint8_t mac[ECCP_SHA256_LEN];
	const char *data = "what do ya want for nothing?";
	eccp_hmac_sha256("Jefe", 4, data, strlen(data), mac);
	assert_memory_equal(mac, want, sizeof(want));
	char b64[ECCP_BASE64_LEN(ECCP_SHA256_LEN) + 1];
	eccp_base64(mac, sizeof(mac), b64);
	assert_string_equal(b64, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

static void test_ct_equal(void **state)
{
	(void)state;
	assert_true(eccp_ct_equal("abcdef", "abcdef", 6));
	assert_false(eccp_ct_equal("abcdef", "abcdeF", 6));
	assert_false(eccp_ct_equal("Abcdef", "abcdef", 6));
	assert_true(eccp_ct_equal("", "", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_rfc4648),
	    cmocka_unit_test(test_hmac_sha256_rfc4231),
	    cmocka_unit_test(test_ct_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
