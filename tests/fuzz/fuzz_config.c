/* The INI parser of the option table: any file must load or fail with a
 * message, never crash. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const eccp_option fuzz_opts[] = {
    {"rpc-url", ECCP_OPT_STRING, "tcp://127.0.0.1:7410", 0, 0, "endpoint"},
    {"rpc-workers", ECCP_OPT_INT, "64", 1, 4096, "workers"},
    {"verbose", ECCP_OPT_BOOL, "false", 0, 0, "more output"},
    {"origins", ECCP_OPT_STRING, "", 0, 0, "origins"},
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[] = "/tmp/eccp-fuzz-ini-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	char *argv[] = {"fuzz", "--config", path, NULL};
	eccp_config *cfg = NULL;
	char err[512];
	int rc = eccp_config_load(fuzz_opts, sizeof(fuzz_opts) / sizeof(fuzz_opts[0]),
	                          "fuzz", "ingest", 3, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_OK) {
		(void)eccp_config_str(cfg, "rpc-url");
		long long w = eccp_config_int(cfg, "rpc-workers");
		if (w < 1 || w > 4096)
			abort(); /* bounds must hold whatever the file says */
		eccp_config_free(cfg);
	}
	unlink(path);
	return 0;
}
