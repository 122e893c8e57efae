// The bare pool reader: a oneTBB arena of P threads, a task per file
// (enqueued, FIFO), each worker reusing one buffer of its own.
// Usage: bare-thread_pool-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES THREADS
#include "bench/baselines/files.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <latch>
#include <memory>

int main(int argc, char** argv) {
    const char* usage = "DIR FILES FILE_KIB CHUNK_KIB PASSES THREADS";
    const auto set = simul::bare::file_set::from_args(argc, argv, usage);
    const int p = int(simul::bare::arg(argc, argv, 6, usage));
    oneapi::tbb::global_control allow(oneapi::tbb::global_control::max_allowed_parallelism,
                                      static_cast<std::size_t>(p + 1));
    oneapi::tbb::task_arena arena(p, 0);  // P workers; main only hands out tasks
    // Every worker running before the clock, as simul's are: asleep after
    // the untimed warming of the cache, oneTBB wakes them one by one.
    const auto wake_all = [&] {
        // Shared: a worker may still be leaving its wait when main goes on.
        const auto running = std::make_shared<std::latch>(p);
        for (int w = 0; w < p; ++w) arena.enqueue([running] { running->arrive_and_wait(); });
        running->wait();
    };
    simul::bare::time_passes(set, "thread_pool", std::min<std::uint64_t>(set.files, std::uint64_t(p)), wake_all, [&] {
        std::atomic<std::uint64_t> sum{0};
        std::latch done{std::ptrdiff_t(set.files)};
        for (std::uint64_t i = 0; i < set.files; ++i)
            arena.enqueue([&, i] {
                thread_local const auto buf = simul::bare::page_aligned(set.chunk);
                sum += set.read(i, buf.get());
                done.count_down();
            });
        done.wait();
        return sum.load();
    });
}
