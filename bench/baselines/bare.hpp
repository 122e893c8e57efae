#pragma once
// What every bare program shares, and nothing else: its two numbers from the
// command line, and the one JSON line it prints. Memory is measured the way
// simul's meter does it (bench/case/meter.cpp): give free heap back, reset the
// kernel's resident high-water mark, and report the peak above that mark, so
// a bare figure and simul's compare like for like. Like the meter, it first
// makes the program's file mappings resident, so that faulting in library code
// is not counted as the tasks' memory.

#include <malloc.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace simul::bare {

inline std::int64_t vm_hwm_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmHWM:")) return std::atoll(line.c_str() + 6) * 1024;
    return -1;
}

// Argument k as a positive number, or exit 2 with a usage line.
inline std::uint64_t arg(int argc, char** argv, int k, const char* usage) {
    char* end = nullptr;
    const unsigned long long v = k < argc ? std::strtoull(argv[k], &end, 10) : 0;
    if (k >= argc || *end != '\0' || v == 0) {
        std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        std::exit(2);
    }
    return v;
}

inline void prefault_mapped_files() {
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        unsigned long begin = 0, end = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %4s", &begin, &end, perms) == 3 && perms[0] == 'r' &&
            line.find('/') != std::string::npos)
            madvise(reinterpret_cast<void*>(begin), end - begin, 22 /* MADV_POPULATE_READ */);
    }
}

class run {
public:
    run() {
        prefault_mapped_files();
        malloc_trim(0);
        std::ofstream("/proc/self/clear_refs") << "5";
        hwm_start_ = vm_hwm_bytes();
        t0_ = std::chrono::steady_clock::now();
    }

    // For a program that gets ready after the memory baseline (a pool
    // starting its workers): the makespan counts from here.
    void start_clock() { t0_ = std::chrono::steady_clock::now(); }

    // in_flight: the most tasks alive at once, which memory is divided by.
    // The checksum is printed mod 2^52, as simul sums it. The makespan runs
    // from the clock's start to now, unless the program timed it itself.
    void print(const char* model, const char* workload, std::uint64_t tasks, std::uint64_t in_flight,
               std::uint64_t checksum, double makespan = -1) const {
        if (makespan < 0) makespan = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        const std::int64_t peak = vm_hwm_bytes() - hwm_start_;
        std::printf("{\"model\":\"%s\",\"workload\":\"%s\",\"tasks\":%llu,\"makespan_s\":%.6f,"
                    "\"mem_peak_bytes\":%lld,\"in_flight\":%llu,\"mem_per_task_bytes\":%.1f,\"checksum\":%llu}\n",
                    model, workload, static_cast<unsigned long long>(tasks), makespan, static_cast<long long>(peak),
                    static_cast<unsigned long long>(in_flight), double(peak) / double(in_flight ? in_flight : 1),
                    static_cast<unsigned long long>(checksum & ((std::uint64_t{1} << 52) - 1)));
    }

private:
    std::int64_t hwm_start_ = 0;
    std::chrono::steady_clock::time_point t0_;
};

}  // namespace simul::bare
