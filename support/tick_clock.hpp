#pragma once
// The clock the trace records tasks with: steady_clock's nanoseconds, read
// for a third of the price where the CPU's time-stamp counter allows it.
//
// Why: the trace reads the clock three times a task (handed out, started,
// ended). steady_clock::now() is a vDSO call of 24 ns here, rdtsc 9.6 ns
// (a loop of 10^7 each, docs/MEASUREMENTS.md), and at 1,000,000 sleeps the
// loop's extra reads were some 80 ms of simul's 230 ms lead over the bare
// program in one profile (issue 21).
//
// The counter is used only where the kernel keeps time with it itself
// (clocksource "tsc": the kernel found it constant and in step across CPUs)
// and on x86-64; elsewhere ticks are steady_clock's nanoseconds. Ticks become
// nanoseconds by one multiply with a rate measured against steady_clock once
// per process, over 20 ms, each end the narrowest of 16 brackets of two
// counter reads. Its error, estimated (not measured) from the brackets'
// width, is under a part in 10^6: under 100 µs over a 100 s case. A case's
// makespan is still timed with steady_clock itself.

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace simul {

class tick_clock {
    __extension__ using wide = unsigned __int128;  // GCC's and Clang's; -Wpedantic knows it as an extension

public:
    // The process's one calibration (made at the first call, which takes
    // 20 ms where the counter is used).
    static const tick_clock& get();

    bool uses_tsc() const { return ns_per_tick_q32_ != 0; }

    std::uint64_t ticks() const {
#if defined(__x86_64__)
        if (uses_tsc()) return __rdtsc();
#endif
        return std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    }

    // Nanoseconds from `from` to a later reading `to`: one multiply and a
    // shift, for the trace's records (a reading before `from`, which a
    // counter the kernel trusts never gives, counts as 0).
    std::int64_t ns_after(std::uint64_t from, std::uint64_t to) const {
        const std::uint64_t d = to > from ? to - from : 0;
        if (!uses_tsc()) return std::int64_t(d);
        return std::int64_t(static_cast<wide>(d) * ns_per_tick_q32_ >> 32);
    }

    // Nanoseconds from `from` to `to`, two readings of ticks().
    std::int64_t ns_between(std::uint64_t from, std::uint64_t to) const {
        const auto d = std::int64_t(to - from);
        if (!uses_tsc()) return d;
        const std::uint64_t magnitude = d < 0 ? std::uint64_t(-d) : std::uint64_t(d);
        const auto ns = std::int64_t(static_cast<wide>(magnitude) * ns_per_tick_q32_ >> 32);
        return d < 0 ? -ns : ns;
    }

private:
    tick_clock();
    std::uint64_t ns_per_tick_q32_ = 0;  // nanoseconds per tick × 2^32; 0: ticks are steady_clock's ns
};

}  // namespace simul
