/* Matchmaking events. */
#include "matchmaking.h"

static void not_yet(eccp_rpc_call *call)
{
	eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNIMPLEMENTED,
	               "matchmaking events are not served yet");
}

void mm_create(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_show(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_register(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_request(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_respond(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_schedule_rpc(eccp_rpc_call *call)
{
	not_yet(call);
}
void mm_agenda(eccp_rpc_call *call)
{
	not_yet(call);
}
