// The bare sequential client: the requests one after another, each the
// blocking exchange (bench/baselines/fetch.hpp) on the calling thread.
// Usage: bare-sequential-fetch PORT TASKS DELAY_MS BYTES
#include "bench/baselines/fetch.hpp"

int main(int argc, char** argv) {
    const auto set = simul::bare::fetch_set::from_args(argc, argv);
    boost::asio::io_context io;  // owns the socket; never run
    std::uint64_t sum = 0, failed = 0;
    simul::bare::run run;
    for (std::uint64_t i = 0; i < set.tasks; ++i) {
        try {
            sum += simul::bare::fetch_blocking(io, set, i);
        } catch (...) {
            simul::bare::failed_request(failed, i, std::current_exception());
        }
    }
    return simul::bare::finish(run, "sequential", set, 1, sum, failed);
}
