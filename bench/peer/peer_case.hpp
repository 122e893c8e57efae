#pragma once
// A case run under a peer: another runtime's program that runs the tasks in
// its own process (docs/PEERS.md has the protocol). The workload is prepared
// here as for any model (its helper servers, its expected checksums); the
// peer learns the case from its environment, is metered from outside between
// its "ready" and its "done", and its records become the trace that every
// figure comes from, as a model's trace does in run_case.

#include "bench/case/case.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace simul {

// Throws case_error with one line for any failure of the peer (it died,
// hung past `timeout`, printed something else, reported too few tasks), and
// case_skipped when the peer says it cannot do the workload. The peer and
// anything it started are gone when this returns or throws.
case_result run_peer_case(const case_spec& c, std::chrono::duration<double> timeout, const progress_sink& progress = {},
                          const trace_sink& on_trace = {});

// --peer=NAME=COMMAND: the peer's name and its command, split at spaces.
// Throws usage_error for a bad name (simul's own models' names are taken) or
// a program that is neither a path nor found on PATH.
peer_command parse_peer(std::string_view text);

// The case's parameters as the peer gets them: "tasks=1000 wait_ms=100".
std::string peer_params(const params& p);

}  // namespace simul
