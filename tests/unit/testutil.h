/* Helpers shared by the unit tests. */
#ifndef ECCP_TESTUTIL_H
#define ECCP_TESTUTIL_H

#include <arpa/inet.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Makes a fresh directory /tmp/eccp-test-NAME-<6 random characters> in dir
 * (cap bytes); false when it could not. */
static inline bool test_temp_dir(char *dir, size_t cap, const char *name)
{
	int n = snprintf(dir, cap, "/tmp/eccp-test-%s-%s", name, "XXXXXX");
	return n > 0 && (size_t)n < cap && mkdtemp(dir) != NULL;
}

/* Removes a temporary test directory and everything below it. */
static inline void test_rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int n = snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(p))
			continue;
		if (remove(p) != 0)
			test_rm_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

/* A loopback TCP port that was free a moment ago (-1 on failure): the
 * kernel picks it for a throwaway socket, which is closed again. For servers
 * that do not report the port nng bound when asked for port 0. */
static inline int test_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	int port = -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

#endif
