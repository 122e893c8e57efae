#pragma once
// What a run costs the process: peak memory, CPU time, context switches and
// peak thread count. (What it costs per task, latency, comes from the trace.)
//
// Memory: glibc's free memory is returned to the OS (malloc_trim), the
// kernel's resident-set high-water mark is reset (/proc/self/clear_refs = 5)
// and the peak is VmHWM at the end minus VmHWM just after that reset. So a case is not
// charged for, or helped by, what earlier cases left behind. It misses what
// the kernel spends outside the process: kernel stacks, page tables, socket
// buffers.
//
// Threads are counted by a sampler thread every 2 ms (it can miss a thread
// that lives less than that). The sampler's own CPU time and context switches
// are subtracted, and it is not counted among the threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <stop_token>
#include <thread>

namespace simul {

struct meter_reading {
    std::int64_t mem_peak_bytes = 0;  // VmHWM at stop − VmHWM just after the reset at start
    double cpu_user_s = 0, cpu_sys_s = 0;
    std::int64_t ctx_voluntary = 0, ctx_involuntary = 0;
    int threads_peak = 0;  // threads of this process at the most, sampler excluded
};

class meter {
public:
    // Called by the sampler about once a second while the run goes on.
    using progress_fn = std::function<void(std::chrono::duration<double>)>;

    explicit meter(progress_fn progress = {}) : progress_(std::move(progress)) {}
    ~meter();

    void start();
    meter_reading stop();

private:
    void sample_loop(std::stop_token stop, std::latch& sampling);

    progress_fn progress_;
    std::jthread sampler_;
    std::atomic<int> threads_peak_{0};
    std::int64_t rss_start_ = 0;
    double user_start_ = 0, sys_start_ = 0;
    std::int64_t vol_start_ = 0, invol_start_ = 0;
    // The sampler's own usage, published when it stops.
    double sampler_user_ = 0, sampler_sys_ = 0;
    std::int64_t sampler_vol_ = 0, sampler_invol_ = 0;
};

// Fields of /proc/self/status in bytes (kB lines) or counts; -1 if absent.
std::int64_t proc_status_field(const char* key);

}  // namespace simul
