#include "bench/core/meter.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <latch>
#include <mutex>

namespace simul {
namespace {

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

void reset_peak_rss() {
    // "5" resets the peak resident set size (Linux >= 4.0).
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
        std::fputs("5", f);
        std::fclose(f);
    }
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels say EINVAL and we go on
#endif

// Resident memory counts mapped file pages too, and the first case to run a
// library's code path would be charged for faulting that code in. So, once per
// process, every file mapping (libraries, the executable) is made resident
// before the first baseline.
void prefault_mapped_files() {
    std::FILE* maps = std::fopen("/proc/self/maps", "r");
    if (maps == nullptr) return;
    char line[512];
    while (std::fgets(line, sizeof line, maps) != nullptr) {
        unsigned long begin = 0, end = 0;
        char perms[5] = {};
        if (std::sscanf(line, "%lx-%lx %4s", &begin, &end, perms) != 3) continue;
        if (perms[0] != 'r' || std::strchr(line, '/') == nullptr) continue;
        madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
    }
    std::fclose(maps);
}

}  // namespace

std::int64_t proc_status_field(const char* key) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr) return -1;
    char line[256];
    const std::size_t len = std::strlen(key);
    std::int64_t value = -1;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::strncmp(line, key, len) == 0 && line[len] == ':') {
            long long v = 0;
            if (std::sscanf(line + len + 1, "%lld", &v) == 1)
                value = std::strstr(line, "kB") != nullptr ? v * 1024 : v;
            break;
        }
    }
    std::fclose(f);
    return value;
}

meter::~meter() {
    if (sampler_.joinable()) sampler_.request_stop();
}

void meter::start() {
    static std::once_flag prefaulted;
    std::call_once(prefaulted, prefault_mapped_files);
    // The sampler starts, and takes its first sample, before the baseline, so
    // its own stack and buffers are not charged to the model.
    std::latch sampling(1);
    sampler_ = std::jthread([this, &sampling](std::stop_token stop) { sample_loop(stop, sampling); });
    sampling.wait();
    malloc_trim(0);
    reset_peak_rss();
    // The high-water mark right after the reset is the baseline: were RSS
    // still falling (threads of the last case exiting), a VmRSS baseline
    // would sit below the mark the reset just set, and show a phantom peak.
    rss_start_ = proc_status_field("VmHWM");
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    user_start_ = seconds(ru.ru_utime);
    sys_start_ = seconds(ru.ru_stime);
    vol_start_ = ru.ru_nvcsw;
    invol_start_ = ru.ru_nivcsw;
}

void meter::sample_loop(std::stop_token stop, std::latch& sampling) {
    using std::chrono::steady_clock;
    const auto begun = steady_clock::now();
    auto next_report = begun + std::chrono::seconds(1);
    bool started = false;
    rusage before{};
    while (!stop.stop_requested()) {
        const int threads = int(proc_status_field("Threads")) - 1;  // not the sampler
        threads_peak_.store(std::max(threads, threads_peak_.load()));  // only this thread writes
        const auto now = steady_clock::now();
        if (progress_ && now >= next_report) {
            progress_(now - begun);
            next_report += std::chrono::seconds(1);
        }
        if (!started) {
            getrusage(RUSAGE_THREAD, &before);  // what it used before the baseline is not in the delta
            sampling.count_down();
            started = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    rusage own{};
    getrusage(RUSAGE_THREAD, &own);
    sampler_user_ = seconds(own.ru_utime) - seconds(before.ru_utime);
    sampler_sys_ = seconds(own.ru_stime) - seconds(before.ru_stime);
    sampler_vol_ = own.ru_nvcsw - before.ru_nvcsw;
    sampler_invol_ = own.ru_nivcsw - before.ru_nivcsw;
}

meter_reading meter::stop() {
    sampler_.request_stop();
    sampler_.join();  // publishes the sampler's own usage
    meter_reading r;
    r.mem_peak_bytes = std::max<std::int64_t>(0, proc_status_field("VmHWM") - rss_start_);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.cpu_user_s = std::max(0.0, seconds(ru.ru_utime) - user_start_ - sampler_user_);
    r.cpu_sys_s = std::max(0.0, seconds(ru.ru_stime) - sys_start_ - sampler_sys_);
    r.ctx_voluntary = std::max<std::int64_t>(0, ru.ru_nvcsw - vol_start_ - sampler_vol_);
    r.ctx_involuntary = std::max<std::int64_t>(0, ru.ru_nivcsw - invol_start_ - sampler_invol_);
    r.threads_peak = threads_peak_.load();
    return r;
}

}  // namespace simul
