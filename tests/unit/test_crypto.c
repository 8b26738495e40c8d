/* Unit tests for common/crypto.c: base64 (the RFC 4648 test vectors, both
 * ways), HMAC-SHA256 (RFC 4231) and the Standard Webhooks signature built on
 * them. */
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

static void test_base64_decode(void **state)
{
	(void)state;
	uint8_t out[16];
	assert_int_equal(eccp_base64_decode("Zm9vYmFy", 8, out), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(eccp_base64_decode("Zm9vYg==", 8, out), 4);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(eccp_base64_decode("Zm9vYg", 6, out), 4); /* unpadded */
	assert_int_equal(eccp_base64_decode("-_-_", 4, out), 3);   /* URL-safe */
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
	assert_int_equal(eccp_base64_decode("", 0, out), 0);
	assert_int_equal(eccp_base64_decode("Zm9v!", 5, out), -1);
	assert_int_equal(eccp_base64_decode("Z", 1, out), -1);
	assert_int_equal(eccp_base64_decode("Zm9=", 4, NULL), 2);
	assert_int_equal(eccp_base64_decode("Zm=", 3, NULL),
	                 -1); /* padding that cannot be */
}

/* The example of the Standard Webhooks specification. */
static void test_webhook_signature(void **state)
{
	(void)state;
	char sig[ECCP_WEBHOOK_SIGNATURE_LEN + 1];
	const char *body = "{\"test\": 2432232314}";
	assert_true(eccp_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	                              "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
	                              strlen(body), sig));
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* another body, another signature */
	assert_true(eccp_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	                              "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{}", 2,
	                              sig));
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	assert_false(
	    eccp_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "", 0, sig));
	assert_false(eccp_webhook_sign("whsec_!!!", "m", 1, "", 0, sig));
	assert_false(eccp_webhook_sign("whsec_", "m", 1, "", 0, sig));
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
	    cmocka_unit_test(test_base64_decode),
	    cmocka_unit_test(test_webhook_signature),
	    cmocka_unit_test(test_ct_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
