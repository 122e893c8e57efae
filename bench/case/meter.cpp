#include "bench/case/meter.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>

namespace simul {
namespace {

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

// Exact CPU time. Both clocks read the scheduler's own account of each
// thread's run time (sum_exec_runtime, in ns, accumulated at every switch),
// the process clock summed over its live and exited threads. getrusage's
// user/sys split, in contrast, divides that total by where timer ticks
// happened to land, so a short case's split is a sample.
double cpu_seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// The value after "key:" in one line of a /proc status file, or -1.
std::int64_t status_value(const char* line, const char* key) {
    const std::size_t len = std::strlen(key);
    if (std::strncmp(line, key, len) != 0 || line[len] != ':') return -1;
    long long v = 0;
    if (std::sscanf(line + len + 1, "%lld", &v) != 1) return -1;
    return std::strstr(line, "kB") != nullptr ? v * 1024 : v;
}

// A /proc file's text, read from its start into `text` (NUL-terminated):
// a seq_file makes it anew at every read from offset 0. Empty if it cannot
// be read.
constexpr std::size_t proc_text_size = 8192;  // /proc/PID/status is about 1.5 KiB
const char* read_whole(int fd, char (&text)[proc_text_size]) {
    const ssize_t n = fd < 0 ? -1 : ::pread(fd, text, proc_text_size - 1, 0);
    text[n > 0 ? std::size_t(n) : 0] = '\0';
    return text;
}

// The lines of a text, each handed to `use` (which reads up to its '\n').
template <class Use>
void each_line(const char* text, Use use) {
    for (const char* line = text; *line != '\0';) {
        use(line);
        const char* end = std::strchr(line, '\n');
        if (end == nullptr) break;
        line = end + 1;
    }
}

// "TCP: inuse 3 orphan 0 tw 0 alloc 5 mem 151" and "UDP: inuse 0 mem 0",
// in pages. TCPv6 shares TCP's account, so these two lines are all of it.
std::int64_t sockstat_bytes(const char* text) {
    std::int64_t pages = 0;
    bool found = false;
    each_line(text, [&](const char* line) {
        if (std::strncmp(line, "TCP:", 4) != 0 && std::strncmp(line, "UDP:", 4) != 0) return;
        const char* mem = std::strstr(line, " mem ");
        const char* eol = std::strchr(line, '\n');
        long long v = 0;
        if (mem != nullptr && (eol == nullptr || mem < eol) && std::sscanf(mem + 5, "%lld", &v) == 1) {
            pages += v;
            found = true;
        }
    });
    return found ? pages * sysconf(_SC_PAGESIZE) : -1;
}

void reset_peak_rss(const std::string& proc) {
    // "5" resets the peak resident set size (Linux >= 4.0).
    if (std::FILE* f = std::fopen((proc + "/clear_refs").c_str(), "w")) {
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

std::int64_t proc_status_field(const char* key, const std::string& proc) {
    std::FILE* f = std::fopen((proc + "/status").c_str(), "r");
    if (f == nullptr) return -1;
    char line[256];
    std::int64_t value = -1;
    while (value < 0 && std::fgets(line, sizeof line, f) != nullptr) value = status_value(line, key);
    std::fclose(f);
    return value;
}

std::int64_t socket_buffer_bytes() {
    const int fd = ::open("/proc/net/sockstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char text[proc_text_size];
    const std::int64_t bytes = sockstat_bytes(read_whole(fd, text));
    ::close(fd);
    return bytes;
}

std::int64_t mapping_record_bytes() {
    // "vm_area_struct  41843  44954  208  39  2 : tunables ...": name,
    // active objects, all objects, object size.
    std::FILE* f = std::fopen("/proc/slabinfo", "r");
    if (f == nullptr) return -1;
    char line[512];
    std::int64_t bytes = -1;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        long long active = 0, all = 0, size = 0;
        if (std::strncmp(line, "vm_area_struct ", 15) == 0 &&
            std::sscanf(line + 15, "%lld %lld %lld", &active, &all, &size) == 3) {
            bytes = active * size;
            break;
        }
    }
    std::fclose(f);
    return bytes;
}

meter::meter(progress_fn progress, bool count_mappings, pid_t pid)
    : progress_(std::move(progress)),
      count_mappings_(count_mappings),
      pid_(pid),
      proc_(pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid)),
      cpu_clock_(CLOCK_PROCESS_CPUTIME_ID) {
    if (!self() && clock_getcpuclockid(pid, &cpu_clock_) != 0)
        throw std::runtime_error("cannot read the CPU clock of process " + std::to_string(pid));
    status_fd_ = ::open((proc_ + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    sockstat_fd_ = ::open("/proc/net/sockstat", O_RDONLY | O_CLOEXEC);
}

meter::usage meter::read_usage() const {
    usage u;
    u.cpu = cpu_seconds(cpu_clock_);
    if (self()) {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        u.user = seconds(ru.ru_utime);
        u.sys = seconds(ru.ru_stime);
        u.voluntary = ru.ru_nvcsw;
        u.involuntary = ru.ru_nivcsw;
        return u;
    }
    // /proc/PID/stat: utime and stime are fields 14 and 15, in clock ticks,
    // counted after the command's ")" (the command may hold spaces).
    if (std::FILE* f = std::fopen((proc_ + "/stat").c_str(), "r")) {
        char line[1024];
        if (std::fgets(line, sizeof line, f) != nullptr)
            if (const char* rest = std::strrchr(line, ')')) {
                unsigned long long utime = 0, stime = 0;
                if (std::sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) ==
                    2) {
                    const double tick = double(sysconf(_SC_CLK_TCK));
                    u.user = double(utime) / tick;
                    u.sys = double(stime) / tick;
                }
            }
        std::fclose(f);
    }
    // No account for the process as a whole: the sum over its live threads.
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(proc_ + "/task", ec)) {
        const std::string dir = t.path().string();
        u.voluntary += std::max<std::int64_t>(0, proc_status_field("voluntary_ctxt_switches", dir));
        u.involuntary += std::max<std::int64_t>(0, proc_status_field("nonvoluntary_ctxt_switches", dir));
    }
    return u;
}

meter::kernel_sample meter::sample_kernel() const {
    kernel_sample s;
    char text[proc_text_size];
    each_line(read_whole(status_fd_, text), [&](const char* line) {
        if (const auto v = status_value(line, "Threads"); v >= 0) s.threads = self() ? v - 1 : v;  // not the sampler
        if (const auto v = status_value(line, "VmPTE"); v >= 0) s.pte = v;
        if (const auto v = status_value(line, "VmSize"); v >= 0) s.vm = v;
    });
    s.sock = std::max<std::int64_t>(0, sockstat_bytes(read_whole(sockstat_fd_, text)));
    if (count_mappings_) s.vma = std::max<std::int64_t>(0, mapping_record_bytes());
    return s;
}

void meter::record(const kernel_sample& s) {
    most_.pte = std::max(most_.pte, s.pte);
    most_.threads = std::max(most_.threads, s.threads);
    most_.sock = std::max(most_.sock, s.sock);
    most_.vma = std::max(most_.vma, s.vma);
    most_.vm = std::max(most_.vm, s.vm);
    most_total_ = std::max(most_total_, s.total());
}

meter::~meter() {
    if (sampler_.joinable()) {
        sampler_.request_stop();
        sampler_.join();  // before its files close
    }
    for (const int fd : {status_fd_, sockstat_fd_})
        if (fd >= 0) ::close(fd);
}

void meter::start() {
    static std::once_flag prefaulted;
    if (self()) std::call_once(prefaulted, prefault_mapped_files);
    // The sampler starts, and takes its first sample, before the baseline, so
    // its own stack and buffers are not charged to the model.
    std::latch sampling(1);
    sampler_ = std::jthread([this, &sampling](std::stop_token stop) { sample_loop(stop, sampling); });
    sampling.wait();
    if (self()) malloc_trim(0);
    reset_peak_rss(proc_);
    // The high-water mark right after the reset is the baseline: were RSS
    // still falling (threads of the last case exiting), a VmRSS baseline
    // would sit below the mark the reset just set, and show a phantom peak.
    rss_start_ = proc_status_field("VmHWM", proc_);
    start_kernel_ = sample_kernel();
    most_ = start_kernel_;
    most_total_ = start_kernel_.total();
    start_usage_ = read_usage();
    recording_.store(true, std::memory_order_release);  // publishes the baselines and most_
}

void meter::sample_loop(std::stop_token stop, std::latch& sampling) {
    using std::chrono::steady_clock;
    const auto begun = steady_clock::now();
    auto next_report = begun + std::chrono::seconds(1);
    bool started = false;
    rusage before{};
    double cpu_before = 0;
    while (!stop.stop_requested()) {
        if (recording_.load(std::memory_order_acquire)) record(sample_kernel());
        const auto now = steady_clock::now();
        if (progress_ && now >= next_report) {
            progress_(now - begun);
            next_report += std::chrono::seconds(1);
        }
        if (!started) {
            getrusage(RUSAGE_THREAD, &before);  // what it used before the baseline is not in the delta
            cpu_before = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
            sampling.count_down();
            started = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // The state at the end: a case shorter than one period still gets a sample.
    if (recording_.load(std::memory_order_acquire)) record(sample_kernel());
    sampler_cpu_ = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_before;
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
    r.mem_peak_bytes = std::max<std::int64_t>(0, proc_status_field("VmHWM", proc_) - rss_start_);
    r.mem_pte_bytes = std::max<std::int64_t>(0, most_.pte - start_kernel_.pte);
    r.mem_kstack_bytes = std::max<std::int64_t>(0, most_.threads - start_kernel_.threads) * kernel_stack_bytes;
    r.mem_sock_bytes = std::max<std::int64_t>(0, most_.sock - start_kernel_.sock);
    r.mem_vma_bytes = std::max<std::int64_t>(0, most_.vma - start_kernel_.vma);
    r.mem_virtual_bytes = std::max<std::int64_t>(0, most_.vm - start_kernel_.vm);
    r.mem_kernel_bytes = std::max<std::int64_t>(0, most_total_ - start_kernel_.total());
    // The sampler's CPU is read by its own clock and subtracted; it exited
    // before this reading, so its time is in the process clock. What is left
    // inexact is the microseconds it spends between its clock readings and
    // the baselines. Another process's figures have no sampler in them.
    const usage end = read_usage();
    const bool own = self();
    r.cpu_total_s = std::max(0.0, end.cpu - start_usage_.cpu - (own ? sampler_cpu_ : 0));
    r.cpu_user_s = std::max(0.0, end.user - start_usage_.user - (own ? sampler_user_ : 0));
    r.cpu_sys_s = std::max(0.0, end.sys - start_usage_.sys - (own ? sampler_sys_ : 0));
    r.ctx_voluntary = std::max<std::int64_t>(0, end.voluntary - start_usage_.voluntary - (own ? sampler_vol_ : 0));
    r.ctx_involuntary = std::max<std::int64_t>(0,
                                               end.involuntary - start_usage_.involuntary - (own ? sampler_invol_ : 0));
    // The threads the case added, plus the one that runs it: a thread the
    // harness keeps for the whole process (the one that starts helpers) is
    // not the model's. Another process: all of its threads.
    r.threads_peak = own ? int(most_.threads - start_kernel_.threads + 1) : int(most_.threads);
    return r;
}

}  // namespace simul
