/* The admin key of a daemon: given by --admin-key, ECCP_ADMIN_KEY or (best)
 * --admin-key-file, kept only as its SHA-256 and compared in constant time.
 * Every daemon that has admin-only methods declares ECCP_ADMIN_KEY_OPTIONS
 * among its options and loads the key at init and on reload. */
#ifndef ECCP_ADMINKEY_H
#define ECCP_ADMINKEY_H

#include "config.h"
#include "crypto.h"

#include <stdbool.h>
#include <stdint.h>

#define ECCP_ADMIN_KEY_OPTIONS                                                           \
	{"admin-key", ECCP_OPT_STRING,                                                   \
	 "",          0,                                                                 \
	 0,           "the admin API key (better: ECCP_ADMIN_KEY or --admin-key-file)"}, \
	{                                                                                \
		"admin-key-file", ECCP_OPT_STRING, "", 0, 0,                             \
		    "file whose first line is the admin key"                             \
	}

typedef struct eccp_admin_key {
	bool set;
	uint8_t hash[ECCP_SHA256_LEN];
} eccp_admin_key;

/* Reads the key from the options. A key shorter than 16 characters, a
 * missing or empty file are errors (-1 with a message naming the option). */
int eccp_admin_key_load(const eccp_config *cfg, eccp_admin_key *k, char *err,
                        size_t errlen);
/* On SIGHUP: loads the key again into k; when that fails, logs why and
 * keeps the key k had. */
void eccp_admin_key_reload(const eccp_config *cfg, eccp_admin_key *k);
/* Whether key is the admin key (false when none is set). */
bool eccp_admin_key_is(const eccp_admin_key *k, const char *key);

#endif
