#include "models/thread_limits.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace simul {
namespace {

std::int64_t read_number(const std::string& path) {
    std::ifstream in(path);
    std::int64_t v = -1;
    in >> v;
    return in ? v : -1;
}

// Threads on the whole system: the fourth field of /proc/loadavg, "5/114".
std::int64_t system_threads() {
    std::ifstream in("/proc/loadavg");
    std::string skip, running_total;
    in >> skip >> skip >> skip >> running_total;
    const auto slash = running_total.find('/');
    return slash == std::string::npos ? -1 : std::stoll(running_total.substr(slash + 1));
}

std::int64_t lines_of(const char* path) {
    std::ifstream in(path);
    std::int64_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

// The pids controller's limit for this process's cgroup (v2, then v1).
std::string cgroup_pids(std::int64_t& max, std::int64_t& current) {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.rfind(':');
        const std::string controllers = line.substr(line.find(':') + 1, colon - line.find(':') - 1);
        const std::string path = line.substr(colon + 1);
        const std::string dir = controllers.empty()     ? "/sys/fs/cgroup" + path
                                : controllers == "pids" ? "/sys/fs/cgroup/pids" + path
                                                        : "";
        if (dir.empty()) continue;
        max = read_number(dir + "/pids.max");  // "max" reads as -1: no limit
        current = read_number(dir + "/pids.current");
        if (max > 0) return dir + "/pids.max";
    }
    return {};
}

// Within this many of a limit counts as reached: other processes come and go.
bool near(std::int64_t used, std::int64_t limit) { return limit > 0 && used >= limit - limit / 50 - 8; }

}  // namespace

std::string thread_limit_reason(const std::error_code& error) {
    const std::int64_t threads = system_threads();
    if (const auto v = read_number("/proc/sys/kernel/pid_max"); near(threads, v))
        return fmt::format("kernel.pid_max ({}) reached: {} threads on the system (raise it with sysctl)", v, threads);
    if (const auto v = read_number("/proc/sys/kernel/threads-max"); near(threads, v))
        return fmt::format("kernel.threads-max ({}) reached: {} threads on the system (raise it with sysctl)", v,
                           threads);
    std::int64_t pids_max = -1, pids_now = -1;
    if (const auto file = cgroup_pids(pids_max, pids_now); near(pids_now, pids_max))
        return fmt::format("the cgroup's pids.max ({}) reached ({})", pids_max, file);
    if (const auto maps = lines_of("/proc/self/maps"), v = read_number("/proc/sys/vm/max_map_count"); near(maps, v))
        return fmt::format("vm.max_map_count ({}) reached: {} mappings, two per thread stack (raise it with sysctl)",
                           v, maps);
    rlimit nproc{};
    if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY && geteuid() != 0)
        return fmt::format("RLIMIT_NPROC ({}) counts every thread of this user (raise it: ulimit -u)",
                           std::uint64_t(nproc.rlim_cur));
    return fmt::format("{} (no known limit is near: memory for stacks, most likely)", error.message());
}

}  // namespace simul
