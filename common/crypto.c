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
