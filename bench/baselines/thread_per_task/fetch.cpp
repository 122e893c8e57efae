// The bare thread-per-task client: a std::thread per request, each making the
// blocking exchange (bench/baselines/fetch.hpp); finished threads are joined
// as they finish, before the next is made (bench/baselines/threads.hpp), as
// simul's model does. Memory is divided by the most requests in flight at
// once.
// Usage: bare-thread_per_task-fetch PORT TASKS DELAY_MS BYTES
#include "bench/baselines/fetch.hpp"
#include "bench/baselines/threads.hpp"

#include <atomic>

int main(int argc, char** argv) {
    const auto set = simul::bare::fetch_set::from_args(argc, argv);
    boost::asio::io_context io;  // owns the sockets; never run
    std::atomic<std::uint64_t> sum{0}, failed{0}, in_flight{0}, peak{0};
    simul::bare::run run;
    simul::bare::threads threads;
    for (std::uint64_t i = 0; i < set.tasks; ++i)
        threads.start([&, i] {
            const auto now = ++in_flight;
            for (auto seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
            }
            try {
                sum += simul::bare::fetch_blocking(io, set, i);
            } catch (...) {
                simul::bare::failed_request(failed, i, std::current_exception());
            }
            --in_flight;
        });
    threads.join_all();
    return simul::bare::finish(run, "thread_per_task", set, peak, sum, failed);
}
