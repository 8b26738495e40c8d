/* ISO 3166-1 alpha-2 country codes, with what the platform needs to know of
 * each: its English name, whether it is in Europe (the platform counts
 * "clusters outside Europe") and whether it is an EU member state. */
#ifndef ECCP_COUNTRIES_H
#define ECCP_COUNTRIES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct eccp_country {
	const char *code; /* "DE" */
	const char *name; /* "Germany" */
	bool europe; /* geographically/politically European (incl. UK, NO, CH, UA, TR, …)
	              */
	bool eu;     /* EU member state (27) */
} eccp_country;

/* The country with this code (exactly two upper-case letters), or NULL. */
const eccp_country *eccp_country_find(const char *code);
/* Every assigned code, sorted by code. */
const eccp_country *eccp_countries(size_t *n);

#endif
