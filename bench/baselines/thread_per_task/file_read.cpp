// The bare thread-per-task reader: a std::thread per file, each with its own
// buffer, all joined at the end of the pass (64 files: 64 threads at once).
// Usage: bare-thread_per_task-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES
#include "bench/baselines/files.hpp"

#include <atomic>
#include <thread>

int main(int argc, char** argv) {
    const auto set = simul::bare::file_set::from_args(argc, argv, "DIR FILES FILE_KIB CHUNK_KIB PASSES");
    simul::bare::time_passes(set, "thread_per_task", set.files, [&] {
        std::atomic<std::uint64_t> sum{0};
        std::vector<std::thread> threads;
        for (std::uint64_t i = 0; i < set.files; ++i)
            threads.emplace_back([&, i] { sum += set.read(i, simul::bare::page_aligned(set.chunk).get()); });
        for (auto& t : threads) t.join();
        return sum.load();
    });
}
