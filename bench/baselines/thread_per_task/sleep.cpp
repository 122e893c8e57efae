// The bare thread-per-task program: a detached thread per task, each waits D
// and adds its checksum; main waits until the last one has counted out.
// Usage: bare-thread_per_task-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "bench/workloads/util.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    std::atomic<std::uint64_t> sum{0}, alive{0};
    std::uint64_t alive_peak = 0;
    simul::bare::run run;
    for (std::uint64_t i = 0; i < n; ++i) {
        alive_peak = std::max(alive_peak, alive.fetch_add(1) + 1);
        std::thread([&, i] {
            std::this_thread::sleep_for(wait);
            sum += simul::mix64(i);
            if (alive.fetch_sub(1) == 1) alive.notify_all();
        }).detach();
    }
    for (auto left = alive.load(); left != 0; left = alive.load()) alive.wait(left);
    run.print("thread_per_task", "sleep", n, alive_peak, sum);
}
