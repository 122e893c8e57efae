// The bare thread-per-task program: a thread per task, each waits D and adds
// its checksum; finished threads are joined as they finish (before the next
// is made), and main returns once every thread has exited.
// Usage: bare-thread_per_task-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    std::atomic<std::uint64_t> sum{0};
    std::vector<std::thread> threads;  // slot s holds a live thread, or a joined one to reuse
    std::vector<std::size_t> free_slots, finished;
    std::mutex m;
    std::condition_variable ended;
    std::uint64_t alive = 0, alive_peak = 0;
    const auto join_finished = [&](bool wait_for_one) {
        std::unique_lock lock(m);
        if (wait_for_one) ended.wait(lock, [&] { return !finished.empty(); });
        for (const auto s : finished) threads[s].join(), free_slots.push_back(s), --alive;
        finished.clear();
    };
    simul::bare::run run;
    for (std::uint64_t i = 0; i < n; ++i) {
        join_finished(false);
        if (free_slots.empty()) free_slots.push_back(threads.size()), threads.emplace_back();
        const std::size_t s = free_slots.back();
        free_slots.pop_back();
        threads[s] = std::thread([&, i, s] {
            const auto begun = std::chrono::steady_clock::now();
            std::this_thread::sleep_for(wait);
            if (std::chrono::steady_clock::now() - begun >= wait) sum += simul::mix64(i);  // as simul checks it
            const std::lock_guard lock(m);
            finished.push_back(s);
            ended.notify_one();
        });
        alive_peak = std::max(alive_peak, ++alive);
    }
    while (alive > 0) join_finished(true);
    run.print("thread_per_task", "sleep", n, alive_peak, sum);
}
