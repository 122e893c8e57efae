#pragma once
// simul-bench's network flags (--serve-bind, --delay-bind, --delay-server,
// --helper-netns, --helper-via, --helper-dir): checked before any case is
// made, then handed to the layers that use them (the workloads' settings,
// support/settings.hpp; the helper spawner, bench/net/helper.hpp), and
// recorded in the results' context, so that a figure says which network it
// crossed.

#include "bench/harness/cli.hpp"

#include <string>

namespace simul {

// Throws usage_error: an address that is not one, a --serve-bind this
// machine does not have, a namespace that cannot be entered, helpers
// elsewhere told to meet on loopback.
void apply_network(const options& opt);

// "loopback" (the helpers in this network namespace), "netns" (in another,
// --helper-netns) or "remote" (through --helper-via; or a --delay-server).
std::string network_mode(const options& opt);

// Adds simul_network (the mode) and simul_network_detail (where each side
// listens) to the JSON context.
void add_network_context(const options& opt);

}  // namespace simul
