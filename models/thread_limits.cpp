#include "models/thread_limits.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

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

// A field of a /proc/PID/status file ("Threads:", "VmSize:"): its first
// number, or -1.
std::int64_t status_field(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, key.size(), key) == 0) {
            try {
                return std::stoll(line.substr(key.size()));
            } catch (const std::exception&) {
                return -1;
            }
        }
    return -1;
}

// Threads of processes whose real user is `uid`: what RLIMIT_NPROC counts.
std::int64_t threads_of_user(uid_t uid) {
    std::int64_t n = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string status = entry.path() / "status";
        if (status_field(status, "Uid:") != std::int64_t(uid)) continue;
        n += std::max<std::int64_t>(0, status_field(status, "Threads:"));
    }
    return n;
}

}  // namespace

std::string thread_room_refusal(std::int64_t threads, std::int64_t stack_bytes) {
    const std::int64_t on_system = system_threads();
    for (const char* name : {"pid_max", "threads-max"})
        if (const auto v = read_number(std::string("/proc/sys/kernel/") + name);
            v > 0 && on_system >= 0 && on_system + threads > v)
            return fmt::format("kernel.{} ({}) leaves room for {} more threads on the system, not {} (raise it with "
                               "sysctl)",
                               name, v, std::max<std::int64_t>(0, v - on_system), threads);
    std::int64_t pids_max = -1, pids_now = -1;
    if (const auto file = cgroup_pids(pids_max, pids_now);
        pids_max > 0 && pids_now >= 0 && pids_now + threads > pids_max)
        return fmt::format("the cgroup's pids.max ({}) leaves room for {} more threads, not {} ({})", pids_max,
                           std::max<std::int64_t>(0, pids_max - pids_now), threads, file);
    if (const auto maps = lines_of("/proc/self/maps"), v = read_number("/proc/sys/vm/max_map_count");
        v > 0 && maps + 2 * threads > v)
        return fmt::format("vm.max_map_count ({}) leaves room for {} more mappings, and {} threads need {}, two per "
                           "stack (raise it with sysctl)",
                           v, std::max<std::int64_t>(0, v - maps), threads, 2 * threads);
    // Root is not held to RLIMIT_NPROC (CAP_SYS_RESOURCE).
    rlimit nproc{};
    if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY && geteuid() != 0) {
        const auto limit = std::int64_t(nproc.rlim_cur), used = threads_of_user(getuid());
        if (used + threads > limit)
            return fmt::format("RLIMIT_NPROC ({}) leaves room for {} more threads of this user, not {} "
                               "(raise it: ulimit -u)",
                               limit, std::max<std::int64_t>(0, limit - used), threads);
    }
    // Each stack is address space, with a guard page; 64 MiB more for what
    // the threads themselves map (oneTBB's own structures, malloc's arenas
    // fall back to the main one when refused).
    rlimit as{};
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
        const std::int64_t limit = std::int64_t(as.rlim_cur),
                           used = std::max<std::int64_t>(0, status_field("/proc/self/status", "VmSize:")) * 1024,
                           need = threads * (stack_bytes + ::sysconf(_SC_PAGESIZE)) + (std::int64_t(64) << 20);
        if (used + need > limit)
            return fmt::format("RLIMIT_AS ({} MiB) leaves {} MiB of address space, and {} threads need {} MiB for "
                               "their stacks (raise it: ulimit -v)",
                               limit >> 20, std::max<std::int64_t>(0, limit - used) >> 20, threads, need >> 20);
    }
    return {};
}

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
        return fmt::format("vm.max_map_count ({}) reached: {} mappings, two per thread stack (raise it with sysctl)", v,
                           maps);
    rlimit nproc{};
    if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY && geteuid() != 0)
        return fmt::format("RLIMIT_NPROC ({}) counts every thread of this user (raise it: ulimit -u)",
                           std::uint64_t(nproc.rlim_cur));
    return fmt::format("{} (no known limit is near: memory for stacks, most likely)", error.message());
}

std::string stack_limit_reason(int error, std::size_t stack_bytes, bool mapped) {
    if (const auto maps = lines_of("/proc/self/maps"), v = read_number("/proc/sys/vm/max_map_count");
        mapped && near(maps, v))
        return fmt::format("vm.max_map_count ({}) reached: {} mappings, two per guarded stack (raise it with sysctl, "
                           "or use malloc'd stacks)",
                           v, maps);
    // Within 128 MiB of the limit counts as at it: a thread's first malloc
    // maps that much for a moment (glibc's new_heap maps twice an arena's
    // 64 MiB, to align it, and unmaps the rest). A stack refused then found
    // the space free again by the time it was read here: Stackful.
    // AStackTheSystemRefusesIsAResult saw a refusal with more than a stack
    // free once in 30 runs, and none in 60 with this margin.
    rlimit as{};
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
        const std::int64_t limit = std::int64_t(as.rlim_cur),
                           used = std::max<std::int64_t>(0, status_field("/proc/self/status", "VmSize:")) * 1024;
        if (used + std::int64_t(stack_bytes) + (std::int64_t(129) << 20) > limit)
            return fmt::format("RLIMIT_AS ({} MiB) reached: {} MiB of address space in use, and a new thread's "
                               "malloc arena maps 128 MiB for a moment (raise it: ulimit -v)",
                               limit >> 20, used >> 20);
    }
    return fmt::format("{} (no known limit is near: memory for stacks, most likely)",
                       std::error_code(error, std::generic_category()).message());
}

}  // namespace simul
