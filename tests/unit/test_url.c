/* Unit tests for eccp_url_ok (common/util.c): what counts as a URL a person
 * or a webhook can follow. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util.h"

static void test_accepted(void **state)
{
	(void)state;
	static const char *const ok[] = {
	    "https://example.org",        "http://example.org/path?q=1#frag",
	    "HTTPS://Example.ORG/",       "http://127.0.0.1:8080/hook",
	    "http://[::1]:9000/x",        "https://user@example.org/",
	    "https://m\xc3\xbcnchen.de/", "http://localhost:1/",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(eccp_url_ok(ok[i]));
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "example.org",
	    "ftp://example.org/",
	    "https://",
	    "https:///path",
	    "https://exa mple.org/",
	    "http://example.org:port/",
	    "http://example.org:123456/",
	    "http://[]/",
	    "http://[::1/",
	    "javascript:alert(1)",
	    "https://a/b c",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(eccp_url_ok(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
