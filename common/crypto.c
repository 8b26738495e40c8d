#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long eccp_base64_decode(const char *s, size_t n, uint8_t *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pad = 0;
	while (n > 0 && u[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(u[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out != NULL)
				out[o] = (uint8_t)(acc >> bits);
			o++;
		}
	}
	return (long)o;
}

bool eccp_webhook_sign(const char *secret, const char *id, int64_t timestamp,
                       const void *body, size_t len, char *out)
{
	size_t sl = strlen(secret);
	if (sl < 6 || strncmp(secret, "whsec_", 6) != 0)
		return false;
	uint8_t key[ECCP_BASE64_DECODED_MAX(256)];
	if (sl - 6 > 256)
		return false;
	long kl = eccp_base64_decode(secret + 6, sl - 6, key);
	if (kl <= 0)
		return false;
	char head[160];
	int hl = snprintf(head, sizeof(head), "%s.%lld.", id, (long long)timestamp);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return false;
	uint8_t *msg = malloc((size_t)hl + len + 1);
	if (msg == NULL)
		return false;
	memcpy(msg, head, (size_t)hl);
	if (len > 0)
		memcpy(msg + hl, body, len);
	uint8_t mac[ECCP_SHA256_LEN];
	eccp_hmac_sha256(key, (size_t)kl, msg, (size_t)hl + len, mac);
	free(msg);
	memcpy(out, "v1,", 3);
	eccp_base64(mac, sizeof(mac), out + 3);
	return true;
}
