/* Helpers shared by the unit tests. */
#ifndef ECCP_TESTUTIL_H
#define ECCP_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

#endif
