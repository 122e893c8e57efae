#pragma once
// What a run costs the process: peak memory (user and kernel side), CPU time,
// context switches and peak thread count. (What it costs per task, latency,
// comes from the trace.)
//
// User memory: glibc's free memory is returned to the OS (malloc_trim), the
// kernel's resident-set high-water mark is reset (/proc/self/clear_refs = 5)
// and the peak is VmHWM at the end minus VmHWM just after that reset. So a case is not
// charged for, or helped by, what earlier cases left behind.
//
// Kernel memory has no high-water mark, so a sampler thread reads it every
// 2 ms (and once more at the end): page tables (VmPTE), kernel stacks (live
// threads × kernel_stack_bytes) and socket buffers (/proc/net/sockstat, which
// is system-wide). A peak shorter than 2 ms can be missed. The same sampler
// counts threads; its own CPU time and context switches are subtracted, and
// it is not counted among the threads. It also takes the peak of the address
// space (VmSize), where a stack per task shows whole, touched or not; and,
// for a model whose tasks each map memory of their own (guarded stacks),
// the kernel's records of mappings (vm_area_struct objects in
// /proc/slabinfo, system-wide like the socket buffers: /proc/self/maps
// would take milliseconds to read with tens of thousands of mappings).
//
// The same meter reads another process from outside (a peer, docs/PEERS.md)
// by its /proc/PID files: the same figures, with three differences. Its CPU
// clock is read through clock_getcpuclockid and its user/sys split from
// /proc/PID/stat; its context switches are those of the threads alive at
// stop; and its threads are all of its own (a runtime's helpers too), with
// no sampler among them.

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <stop_token>
#include <string>
#include <thread>

namespace simul {

// THREAD_SIZE: every thread has a kernel stack of this size while it lives
// (x86-64 and arm64 without KASAN: 16 KiB). Not visible in any per-process
// figure; a test checks it against KernelStack in /proc/meminfo.
#if defined(__x86_64__) || defined(__aarch64__)
inline constexpr std::int64_t kernel_stack_bytes = 16 * 1024;
#else
#error "kernel_stack_bytes: the kernel's THREAD_SIZE is not known for this architecture"
#endif

struct meter_reading {
    std::int64_t mem_peak_bytes = 0;  // VmHWM at stop − VmHWM just after the reset at start
    // Kernel side, each a sampled peak above its value at start. The parts
    // are each their own peak; mem_kernel_bytes is the peak of their sum, so
    // it can be less than the parts added up.
    std::int64_t mem_pte_bytes = 0;     // page tables (VmPTE), this process
    std::int64_t mem_kstack_bytes = 0;  // (threads at the peak − at start) × kernel_stack_bytes
    // TCP + UDP buffer memory, system-wide: every process's, so on loopback
    // the peer's end too. Each CPU batches up to net.core.mem_pcpu_rsv pages
    // (1 MiB by default) before the count moves: a reading is off by up to that per CPU.
    std::int64_t mem_sock_bytes = 0;
    std::int64_t mem_vma_bytes = 0;      // mappings' records, system-wide; 0 unless asked for
    std::int64_t mem_kernel_bytes = 0;   // peak of pte + kstack + sock + vma
    std::int64_t mem_virtual_bytes = 0;  // address space (VmSize) the run added at its peak
    // cpu_total_s is exact; the user/sys split is the kernel's tick sample.
    double cpu_user_s = 0, cpu_sys_s = 0, cpu_total_s = 0;
    std::int64_t ctx_voluntary = 0, ctx_involuntary = 0;
    int threads_peak = 0;  // threads of the case at the most: the caller and those the model started
};

class meter {
public:
    // Called by the sampler about once a second while the run goes on.
    using progress_fn = std::function<void(std::chrono::duration<double>)>;

    // count_mappings: sample the kernel's mapping records too (guarded stacks).
    // pid: the process to meter; 0, this one.
    explicit meter(progress_fn progress = {}, bool count_mappings = false, pid_t pid = 0);
    ~meter();

    void start();
    meter_reading stop();

private:
    // Kernel-side figures at one instant: threads are counted without the sampler.
    struct kernel_sample {
        std::int64_t pte = 0, threads = 0, sock = 0, vma = 0;
        std::int64_t vm = 0;  // VmSize: address space, not kernel memory
        std::int64_t total() const { return pte + threads * kernel_stack_bytes + sock + vma; }
    };
    kernel_sample sample_kernel() const;
    void record(const kernel_sample& s);
    void sample_loop(std::stop_token stop, std::latch& sampling);
    bool self() const { return pid_ == 0; }
    // The process's CPU time, user and sys, and context switches, now.
    struct usage {
        double cpu = 0, user = 0, sys = 0;
        std::int64_t voluntary = 0, involuntary = 0;
    };
    usage read_usage() const;

    progress_fn progress_;
    bool count_mappings_;
    pid_t pid_;
    std::string proc_;  // "/proc/self" or "/proc/PID"
    clockid_t cpu_clock_;
    // The files the sampler reads every 2 ms, opened once and read with
    // pread: with 4,000 threads alive, opening, reading and closing both
    // took 36 to 44 µs a sample, a pread of each 12 to 15 (docs/MEASUREMENTS.md).
    // -1: not there; the figure is then 0, as before.
    int status_fd_ = -1, sockstat_fd_ = -1;
    std::jthread sampler_;
    std::atomic<bool> recording_{false};  // set once the baselines are taken
    // Written by the sampler only, read by stop() after it joined.
    kernel_sample most_;           // each part's peak
    std::int64_t most_total_ = 0;  // the peak of the sum
    kernel_sample start_kernel_;
    std::int64_t rss_start_ = 0;
    usage start_usage_;
    // The sampler's own usage, published when it stops.
    double sampler_user_ = 0, sampler_sys_ = 0, sampler_cpu_ = 0;
    std::int64_t sampler_vol_ = 0, sampler_invol_ = 0;
};

// Fields of /proc/self/status (or `proc`/status, e.g. /proc/PID) in bytes
// (kB lines) or counts; -1 if absent.
std::int64_t proc_status_field(const char* key, const std::string& proc = "/proc/self");

// TCP + UDP buffer memory of the whole machine (the "mem" pages of
// /proc/net/sockstat) in bytes; -1 if it cannot be read.
std::int64_t socket_buffer_bytes();

// The kernel's records of memory mappings on the whole machine (the
// vm_area_struct slab of /proc/slabinfo: objects in use × their size), in
// bytes; -1 if it cannot be read (slabinfo is root's only).
std::int64_t mapping_record_bytes();

}  // namespace simul
