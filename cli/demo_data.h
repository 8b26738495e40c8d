/* eccp demo-data: a realistic, reproducible data set for demos, tests and
 * benchmarks, in the shape of the real European Cluster Collaboration
 * Platform (880 cluster organisations, 66 of them outside Europe, 2,000
 * news, 1,000 events, 165 calls at --scale 1).
 *
 *   eccp demo-data [--scale N] [--seed S] [--out FILE]
 *                  [--orgs N] [--news N] [--events N] [--calls N]
 *
 * OUTPUT: JSON Lines, one proto3-JSON eccp.v1.SubmitRequest per line, encoded
 * with eccp_json_encode, so every line is exactly what `eccp import` and
 * eccp-ingest accept. In this order:
 *   1. every organisation: {"organisation":{"id":"org_…","name":…,"country":…}}
 *      — first a fixed set of platform, agency and programme publishers
 *      (ECCP, EISMEA, Interreg secretariats, national agencies; not scaled,
 *      they exist once), then the cluster organisations;
 *   2. one cluster profile per cluster organisation:
 *      {"cluster":{…,"organisationId":"org_…"}} (publishers have none);
 *   3. news, 4. events, 5. calls, each with the organisationId of its owner.
 * Organisation ids are "org_" + a slug of the acronym + "_" + a number and
 * match ^[a-z0-9][a-z0-9_.-]{1,63}$. externalIds are "cluster-NNNNN",
 * "news-NNNNN", "event-NNNNN", "call-NNNNN", unique per organisation and
 * kind. Item ids are left to ingest. Calls are dated around a fixed "now",
 * 2026-11-28, so that some are closed, some open and some forthcoming; about
 * one event in a hundred is published a second time by a co-organiser with
 * the same normalised title, start and city (ingest's duplicate rule).
 *
 * The same options and seed give byte-identical output on any machine: the
 * generator uses its own PRNG and integer arithmetic only (no rand(), no
 * libm, no clock). As with every option table, ECCP_SCALE, ECCP_SEED, … in
 * the environment and a --config file apply too.
 *
 * --out FILE is written to a temporary file beside FILE and renamed over it
 * only when complete, so FILE is never left half written.
 *
 * EXIT STATUS: 0 success (also after --help); 1 the output could not be
 * written; 2 bad usage (unknown option, value out of range). */
#ifndef ECCP_CLI_DEMO_DATA_H
#define ECCP_CLI_DEMO_DATA_H

/* argv[0] is "demo-data"; the rest are its options. Returns the exit status. */
int cli_demo_data(int argc, char **argv);

#endif
