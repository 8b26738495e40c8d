/* eccp-broker: forwards every bus message from bus-in to bus-out.
 *
 * Publishers' PUB sockets dial bus-in (a raw SUB: it delivers everything,
 * unfiltered); consumers' SUB sockets dial bus-out (a raw PUB). The broker
 * keeps no state: anything lost here is repaired by the consumers' cursors
 * and the publishers' Replay. Two brokers can run side by side. */
#include "daemon.h"
#include "log.h"
#include "metrics.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <stdlib.h>

typedef struct broker {
	nng_socket in, out;
	pthread_t thread;
	bool running;
} broker;

static const eccp_option broker_options[] = {
    {"bus-in-url", ECCP_OPT_STRING, "tcp://127.0.0.1:7400", 0, 0,
     "where publishers send (raw SUB listens)"},
    {"bus-out-url", ECCP_OPT_STRING, "tcp://127.0.0.1:7401", 0, 0,
     "where consumers listen (raw PUB listens)"},
    {"max-message", ECCP_OPT_INT, "8388608", 1024, 1 << 30,
     "largest bus message forwarded, bytes"},
};

/* One thread forwards: a raw PUB send never blocks (a slow subscriber's
 * queue drops), so a blocking receive loop cannot stall. */
static void *broker_forward(void *arg)
{
	broker *b = arg;
	for (;;) {
		nng_msg *m;
		int rv = nng_recvmsg(b->in, &m, 0);
		if (rv == NNG_ECLOSED)
			break;
		if (rv != 0)
			continue;
		atomic_fetch_add(&eccp_m.bus_in, 1);
		if (nng_sendmsg(b->out, m, 0) != 0)
			nng_msg_free(m);
		else
			atomic_fetch_add(&eccp_m.bus_out, 1);
	}
	return NULL;
}

static int broker_init(eccp_daemon *d, void **state, char *err, size_t errlen)
{
	const eccp_config *cfg = eccp_daemon_config(d);
	broker *b = calloc(1, sizeof(*b));
	int rv;
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *in = eccp_config_str(cfg, "bus-in-url");
	const char *out = eccp_config_str(cfg, "bus-out-url");
	if ((rv = nng_sub0_open_raw(&b->in)) != 0 ||
	    (rv = nng_pub0_open_raw(&b->out)) != 0) {
		snprintf(err, errlen, "bus sockets: %s", nng_strerror(rv));
		free(b);
		return -1;
	}
	nng_socket_set_size(b->in, NNG_OPT_RECVMAXSZ,
	                    (size_t)eccp_config_int(cfg, "max-message"));
	nng_socket_set_int(b->in, NNG_OPT_RECVBUF, 8192);
	nng_socket_set_int(b->out, NNG_OPT_SENDBUF, 8192);
	if ((rv = nng_listen(b->in, in, NULL, 0)) != 0) {
		snprintf(err, errlen, "bus-in %s: %s", in, nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_listen(b->out, out, NULL, 0)) != 0) {
		snprintf(err, errlen, "bus-out %s: %s", out, nng_strerror(rv));
		goto fail;
	}
	if (pthread_create(&b->thread, NULL, broker_forward, b) != 0) {
		snprintf(err, errlen, "cannot start the forwarding thread");
		goto fail;
	}
	b->running = true;
	eccp_info("forwarding %s -> %s", in, out);
	*state = b;
	return 0;
fail:
	nng_close(b->in);
	nng_close(b->out);
	free(b);
	return -1;
}

static void broker_stop(void *state)
{
	broker *b = state;
	if (b == NULL || !b->running)
		return;
	nng_close(b->in);
	pthread_join(b->thread, NULL);
	nng_close(b->out);
	b->running = false;
}

static void broker_fini(void *state)
{
	broker_stop(state);
	free(state);
}

static const eccp_service broker_service = {
    .name = "broker",
    .summary = "forwards bus messages from publishers to consumers",
    .options = broker_options,
    .n_options = ECCP_ARRAY_LEN(broker_options),
    .default_admin_url = "http://127.0.0.1:7409",
    .init = broker_init,
    .stop = broker_stop,
    .fini = broker_fini,
};

int main(int argc, char **argv)
{
	return eccp_daemon_main(&broker_service, argc, argv);
}
