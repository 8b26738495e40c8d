#include "adminkey.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int eccp_admin_key_load(const eccp_config *cfg, eccp_admin_key *k, char *err,
                        size_t errlen)
{
	char key[512] = "";
	const char *file = eccp_config_str(cfg, "admin-key-file");
	if (file[0] != '\0') {
		FILE *f = fopen(file, "r");
		if (f == NULL) {
			snprintf(err, errlen, "--admin-key-file %s: %s", file,
			         strerror(errno));
			return -1;
		}
		if (fgets(key, sizeof(key), f) == NULL)
			key[0] = '\0';
		fclose(f);
		key[strcspn(key, "\r\n")] = '\0';
		if (key[0] == '\0') {
			snprintf(err, errlen, "--admin-key-file %s: the file is empty",
			         file);
			return -1;
		}
	} else {
		snprintf(key, sizeof(key), "%s", eccp_config_str(cfg, "admin-key"));
	}
	if (key[0] != '\0' && strlen(key) < 16) {
		snprintf(err, errlen, "admin key: must be at least 16 characters");
		return -1;
	}
	k->set = key[0] != '\0';
	if (k->set)
		eccp_sha256(key, strlen(key), k->hash);
	memset(key, 0, sizeof(key));
	return 0;
}

bool eccp_admin_key_is(const eccp_admin_key *k, const char *key)
{
	if (!k->set || key == NULL || key[0] == '\0')
		return false;
	uint8_t h[ECCP_SHA256_LEN];
	eccp_sha256(key, strlen(key), h);
	return eccp_ct_equal(h, k->hash, sizeof(h));
}

void eccp_admin_key_reload(const eccp_config *cfg, eccp_admin_key *k)
{
	char err[256];
	eccp_admin_key next;
	if (eccp_admin_key_load(cfg, &next, err, sizeof(err)) != 0) {
		eccp_error("SIGHUP: admin key kept: %s", err);
		return;
	}
	*k = next;
}
