/* Hashes and comparisons for secrets (OpenSSL's libcrypto underneath). */
#ifndef ECCP_CRYPTO_H
#define ECCP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECCP_SHA256_LEN 32

void eccp_sha256(const void *data, size_t len, uint8_t out[ECCP_SHA256_LEN]);
/* Lower-case hex of the SHA-256 of data, NUL-terminated. */
void eccp_sha256_hex(const void *data, size_t len, char out[2 * ECCP_SHA256_LEN + 1]);
void eccp_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      uint8_t out[ECCP_SHA256_LEN]);
/* Standard base64 (RFC 4648, padded) of data into out, which has room for
 * ECCP_BASE64_LEN(len) + 1 bytes; NUL-terminated. Returns the length. */
#define ECCP_BASE64_LEN(n) (((n) + 2) / 3 * 4)
size_t eccp_base64(const void *data, size_t len, char *out);
/* The bytes base64 text s[0..n) stands for: the standard or the URL-safe
 * alphabet, padded or not. Returns their number (at most
 * ECCP_BASE64_DECODED_MAX(n), written to out when out is not NULL), or -1
 * when s is not base64. */
#define ECCP_BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 2)
long eccp_base64_decode(const char *s, size_t n, uint8_t *out);

/* Standard Webhooks (standardwebhooks.com): the webhook-signature header
 * for a message, "v1," and the base64 HMAC-SHA256 of "id.timestamp.body"
 * keyed with the secret's bytes (secret: "whsec_" and base64). Returns
 * false when the secret is malformed. out has room for
 * ECCP_WEBHOOK_SIGNATURE_LEN + 1 bytes. */
#define ECCP_WEBHOOK_SIGNATURE_LEN (3 + ECCP_BASE64_LEN(ECCP_SHA256_LEN))
bool eccp_webhook_sign(const char *secret, const char *id, int64_t timestamp,
                       const void *body, size_t len, char *out);
/* Compares in time that depends only on len, never on where they differ. */
bool eccp_ct_equal(const void *a, const void *b, size_t len);

#endif
