#pragma once
// Process set-up shared by simul-bench and the helper tools, and what the
// machine is doing around a case.

#include <cstdint>

namespace simul {

// Raises RLIMIT_NOFILE's soft limit to the hard limit (and, as root, both to
// fs.nr_open): socket cases need descriptors by the thousand. Returns the new
// soft limit.
std::uint64_t raise_fd_limit();

// Grows this process's descriptor table to hold at least n descriptors (up to
// RLIMIT_NOFILE), by taking one at n-1 and closing it; the table never
// shrinks. Why before a case's clock: the kernel grows the table when a
// descriptor past its end is opened (at 256, 512, 1024, ...), and in a
// process with more than one thread it then waits for an RCU grace period
// (expand_fdtable: synchronize_rcu), some 9 ms here. A fetch of 1,000
// requests stopped twice for 9 ms while the single-threaded bare client
// never did: simul's tasks started 55 ms apart from first to last, the bare
// program's 35 (issue 21). Returns the table's size it asked for.
std::uint64_t grow_descriptor_table(std::uint64_t n);

// Writing to a socket the peer closed must be an error, not a signal.
void ignore_sigpipe();

// What the machine was doing, read from /proc: the 1-minute load average,
// and the CPU time of every CPU (in clock ticks) split as /proc/stat does,
// with this process's own share and its waited-for children's (/proc/self/stat).
struct host_sample {
    double load1 = -1;  // -1: unreadable
    std::uint64_t total = 0, idle = 0, steal = 0, self = 0;
};
host_sample sample_host();

// Between two samples: the load average at the first, the share of all CPU
// time the hypervisor stole, and the share other processes used (not this
// one, nor the helpers it started and waited for), in percent; -1 where
// /proc was unreadable.
struct host_activity {
    double load1 = -1, steal_pct = -1, others_pct = -1;
};
host_activity host_between(const host_sample& before, const host_sample& after);

}  // namespace simul
