/* The admin HTTP endpoint of a daemon, on nng's HTTP server:
 *   GET /healthz  200 "ok" while the process runs
 *   GET /readyz   200 "ready" once *ready is true, else 503 "not ready"
 *   GET /metrics  Prometheus text (eccp_metrics_render)
 * Handlers run on nng's threads and only read atomics. */
#ifndef ECCP_ADMIN_H
#define ECCP_ADMIN_H

#include <stdatomic.h>

typedef struct eccp_admin eccp_admin;

/* url is e.g. "http://127.0.0.1:7411". service and ready must outlive the
 * endpoint. Returns 0 or an nng error code (e.g. NNG_EADDRINUSE). */
int eccp_admin_start(const char *url, const char *service, atomic_bool *ready,
                     eccp_admin **out);
void eccp_admin_stop(eccp_admin *admin);

#endif
