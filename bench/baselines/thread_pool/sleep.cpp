// The bare thread pool: a oneTBB arena of P threads (allowed past the core
// count, as a pool for blocking waits must be); N tasks, each enqueued (FIFO)
// and each waiting D; main waits on a latch.
// Usage: bare-thread_pool-sleep TASKS WAIT_MS THREADS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <new>
#include <thread>

int main(int argc, char** argv) {
    const char* usage = "TASKS WAIT_MS THREADS";
    const auto n = simul::bare::arg(argc, argv, 1, usage);
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, usage));
    const int p = int(simul::bare::arg(argc, argv, 3, usage));
    oneapi::tbb::global_control allow(oneapi::tbb::global_control::max_allowed_parallelism,
                                      static_cast<std::size_t>(p + 1));
    oneapi::tbb::task_arena arena(p, 0);  // P workers; main only hands out tasks
    std::atomic<std::uint64_t> sum{0};
    // One warm-up pool first, as simul warms every model up once per process:
    // the first threads a process starts cost it one-time memory (oneTBB's
    // globals, glibc's malloc arenas), about 20 KiB per thread here at P = 256.
    std::latch warmed(p);  // outlives the warm-up tasks, which may still be leaving its wait
    {
        oneapi::tbb::task_arena warm(p, 0);
        for (int w = 0; w < p; ++w) warm.enqueue([&] { warmed.arrive_and_wait(); });
        warmed.wait();
    }
    oneapi::tbb::task_scheduler_handle workers(oneapi::tbb::attach{});
    oneapi::tbb::finalize(workers, std::nothrow);  // its workers exit
    simul::bare::run run;
    // All P workers start before the clock, as a server's pool does (and
    // simul's): their stacks count as memory, their start-up is not timed.
    std::latch all_started(p);
    for (int w = 0; w < p; ++w) arena.enqueue([&] { all_started.arrive_and_wait(); });
    all_started.wait();
    run.start_clock();
    std::latch done{std::ptrdiff_t(n)};
    for (std::uint64_t i = 0; i < n; ++i)
        arena.enqueue([&, i] {
            const auto begun = std::chrono::steady_clock::now();
            std::this_thread::sleep_for(wait);
            if (std::chrono::steady_clock::now() - begun >= wait) sum += simul::mix64(i);  // as simul checks it
            done.count_down();
        });
    done.wait();
    run.print("thread_pool", "sleep", n, std::min<std::uint64_t>(n, std::uint64_t(p)), sum);
}
