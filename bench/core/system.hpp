#pragma once
// Process set-up shared by simul-bench and the helper tools.

#include <cstdint>

namespace simul {

// Raises RLIMIT_NOFILE's soft limit to the hard limit (and, as root, both to
// fs.nr_open): socket cases need descriptors by the thousand. Returns the new
// soft limit.
std::uint64_t raise_fd_limit();

// Writing to a socket the peer closed must be an error, not a signal.
void ignore_sigpipe();

}  // namespace simul
