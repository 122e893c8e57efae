// The bare thread-per-task program: a thread per task, each waits D and adds
// its checksum; finished threads are joined as they finish, before the next
// is made (bench/baselines/threads.hpp), and main returns once every thread
// has exited.
// Usage: bare-thread_per_task-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "bench/baselines/threads.hpp"
#include "support/mix64.hpp"

#include <atomic>

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    std::atomic<std::uint64_t> sum{0};
    simul::bare::run run;
    simul::bare::threads threads;
    for (std::uint64_t i = 0; i < n; ++i)
        threads.start([&, i] {
            const auto begun = std::chrono::steady_clock::now();
            std::this_thread::sleep_for(wait);
            if (std::chrono::steady_clock::now() - begun >= wait) sum += simul::mix64(i);  // as simul checks it
        });
    threads.join_all();
    run.print("thread_per_task", "sleep", n, threads.peak(), sum);
}
