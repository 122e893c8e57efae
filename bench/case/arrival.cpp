#include "bench/case/arrival.hpp"

#include "support/event_peak.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <utility>
#include <vector>

namespace simul {

void arrival_pattern::schedule(trace& tr) const {
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
    tr_.set_arrived_now(i);
    return true;
}

bool scheduled_arrivals::ready(std::size_t i) {
    const std::int64_t now = tr_.now_ns();  // one clock read per task: a burst of 10^6 asks 10^6 times
    if (tr_.due_ns(i) > now) return false;
    tr_.set_arrived_ns(i, now);
    return true;
}

awaitable<bool> scheduled_arrivals::async_wait(std::size_t i) {
    // A rate waits on a timer of the loop's own (a burst is always ready).
    if (tr_.due(i) > clock::now()) {
        steady_timer timer(co_await boost::asio::this_coro::executor, tr_.due(i));
        co_await timer.async_wait(boost::asio::deferred);
    }
    tr_.set_arrived_now(i);
    co_return true;
}

std::string arrival_pattern::name() const {
    if (how == kind::burst) return "";
    std::string out = "/arrival:rate/rate:" + fmt::format("{:g}", per_second);
    if (poisson) out += fmt::format("/poisson:{}", seed);
    return out;
}

double arrival_rate(const trace& tr) {
    std::int64_t first = -1, last = -1;
    std::size_t n = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        const std::int64_t t = tr.arrived_ns(i);
        if (t == trace::not_done) continue;
        first = first < 0 ? t : std::min(first, t);
        last = std::max(last, t);
        ++n;
    }
    return n >= 2 && last > first ? double(n - 1) / (double(last - first) / 1e9) : 0.0;
}

std::size_t backlog_peak(const trace& tr) {
    // +1 when a task falls due, −1 when it starts; starts sort first at the
    // same instant, so a task started on time never counts.
    std::vector<std::pair<std::int64_t, int>> events;
    events.reserve(2 * tr.size());
    for (std::size_t i = 0; i < tr.size(); ++i) {
        events.emplace_back(tr.due_ns(i), +1);
        if (tr.start_ns(i) != trace::not_done) events.emplace_back(std::max(tr.start_ns(i), tr.due_ns(i)), -1);
    }
    return event_peak(std::move(events));
}

}  // namespace simul
