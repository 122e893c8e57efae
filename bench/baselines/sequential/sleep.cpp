// The bare sequential program: N waits of D, one after another.
// Usage: bare-sequential-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <thread>

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    std::uint64_t sum = 0;
    simul::bare::run run;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto begun = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(wait);
        if (std::chrono::steady_clock::now() - begun >= wait) sum += simul::mix64(i);  // as simul checks it
    }
    run.print("sequential", "sleep", n, 1, sum);
}
