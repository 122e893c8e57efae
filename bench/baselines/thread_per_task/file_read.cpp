// The bare thread-per-task reader: a std::thread per file, each with its own
// buffer, joined as it finishes (bench/baselines/threads.hpp); 64 files, up
// to 64 threads at once.
// Usage: bare-thread_per_task-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES
#include "bench/baselines/files.hpp"
#include "bench/baselines/threads.hpp"

#include <atomic>

int main(int argc, char** argv) {
    const auto set = simul::bare::file_set::from_args(argc, argv, "DIR FILES FILE_KIB CHUNK_KIB PASSES");
    simul::bare::time_passes(set, "thread_per_task", set.files, [&] {
        std::atomic<std::uint64_t> sum{0};
        simul::bare::threads threads;
        for (std::uint64_t i = 0; i < set.files; ++i)
            threads.start([&, i] { sum += set.read(i, simul::bare::page_aligned(set.chunk).get()); });
        threads.join_all();
        return sum.load();
    });
}
