#include "bench/core/arrival.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>
#include <random>
#include <thread>

namespace simul {

void arrival::schedule(trace& tr) const {
    if (how == kind::burst) {
        for (std::size_t i = 0; i < tr.size(); ++i) tr.set_due_ns(i, 0);
        return;
    }
    // Due times are computed from the start, not by adding up rounded gaps,
    // so a long schedule does not drift.
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(per_second);
    double t = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        if (poisson && i > 0) t += gap(rng);
        const double at = poisson ? t : double(i) / per_second;
        tr.set_due_ns(i, std::llround(at * 1e9));
    }
}

bool scheduled_arrivals::wait(std::size_t i) {
    std::this_thread::sleep_until(tr_.due(i));
    return true;
}

boost::asio::awaitable<bool> scheduled_arrivals::async_wait(std::size_t i) {
    // A burst never waits; a rate waits on a timer of the loop's own.
    if (tr_.due(i) > clock::now()) {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, tr_.due(i));
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return true;
}

}  // namespace simul
