#include "bench/harness/context.hpp"

#include <benchmark/benchmark.h>
#include <boost/version.hpp>
#include <fmt/format.h>
#include <oneapi/tbb/version.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <fstream>
#include <thread>

namespace simul {
namespace {

std::string read_first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line.empty() ? "unknown" : line;
}

std::string limit(int resource) {
    rlimit rl{};
    if (getrlimit(resource, &rl) != 0) return "unknown";
    const auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
    return fmt::format("{} (hard {})", show(rl.rlim_cur), show(rl.rlim_max));
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
    return "unknown";
}

}  // namespace

void add_context(const std::string& command_line, const round_rule& rounds) {
    utsname u{};
    uname(&u);
    benchmark::AddCustomContext("simul_command", command_line);
    benchmark::AddCustomContext("kernel", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
    benchmark::AddCustomContext("compiler", "g++ " __VERSION__);
    benchmark::AddCustomContext("build_type", SIMUL_BUILD_TYPE);
    benchmark::AddCustomContext("boost", BOOST_LIB_VERSION);
    benchmark::AddCustomContext("onetbb", TBB_runtime_version());
    benchmark::AddCustomContext("google_benchmark", SIMUL_BENCHMARK_VERSION);
    benchmark::AddCustomContext("cpu_model", cpu_model());
    benchmark::AddCustomContext("hardware_threads", std::to_string(std::thread::hardware_concurrency()));
    benchmark::AddCustomContext("rlimit_nproc", limit(RLIMIT_NPROC));
    benchmark::AddCustomContext("rlimit_nofile", limit(RLIMIT_NOFILE));
    benchmark::AddCustomContext("rlimit_stack", limit(RLIMIT_STACK));
    benchmark::AddCustomContext("pid_max", read_first_line("/proc/sys/kernel/pid_max"));
    benchmark::AddCustomContext("threads_max", read_first_line("/proc/sys/kernel/threads-max"));
    benchmark::AddCustomContext("max_map_count", read_first_line("/proc/sys/vm/max_map_count"));
    // A VM often has no cpufreq at all: the host decides the frequency.
    const std::string governor = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    benchmark::AddCustomContext("cpu_governor", governor == "unknown" ? "none readable (no cpufreq: a VM?)" : governor);
    benchmark::AddCustomContext(
        "simul_rounds",
        rounds.fixed > 0
            ? fmt::format("{} per case, interleaved", rounds.fixed)
            : fmt::format("auto: {} to {} per case, interleaved; past {} while the median's 95% interval "
                          "is wider than +-{:g}% and the case has used under {:.3g} s",
                          rounds.least, rounds.most, rounds.least, rounds.tolerance * 100, rounds.share_s));
}

}  // namespace simul
