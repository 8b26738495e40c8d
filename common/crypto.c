#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

void eccp_sha256(const void *data, size_t len, uint8_t out[ECCP_SHA256_LEN])
{
	unsigned int n = 0;
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != ECCP_SHA256_LEN)
		abort(); /* only fails without memory or a broken libcrypto */
}

void eccp_sha256_hex(const void *data, size_t len, char out[2 * ECCP_SHA256_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[ECCP_SHA256_LEN];
	eccp_sha256(data, len, d);
	for (size_t i = 0; i < ECCP_SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * ECCP_SHA256_LEN] = '\0';
}

void eccp_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t out[ECCP_SHA256_LEN])
{
	unsigned int n = 0;
	if (HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) == NULL ||
	    n != ECCP_SHA256_LEN)
		abort();
}

bool eccp_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

size_t eccp_base64(const void *data, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	char *o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return (size_t)(o - out);
}
