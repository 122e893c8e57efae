// sleep: N tasks, each waits D and does nothing else. The purest measure of
// what a model costs per waiting task: threads, stacks, switches, timers.

#include "bench/case/workload.hpp"
#include "support/mix64.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <optional>
#include <stdexcept>
#include <thread>

namespace simul {
namespace {

class sleep_tasks final : public prepared_tasks {
public:
    sleep_tasks(std::size_t n, std::chrono::milliseconds wait) : n_(n), wait_(wait) {}
    std::size_t size() const override { return n_; }

    std::uint64_t blocking(std::size_t i) override {
        const auto begun = clock::now();
        std::this_thread::sleep_for(wait_);
        return done(i, begun);
    }

    awaitable<std::uint64_t> async(std::size_t i) override {
        const auto begun = clock::now();
        steady_timer timer(co_await boost::asio::this_coro::executor, wait_);
        co_await timer.async_wait(boost::asio::deferred);
        co_return done(i, begun);
    }

    std::uint64_t stackful(std::size_t i, yield_context yield) override {
        const auto begun = clock::now();
        steady_timer timer(yield.get_executor(), wait_);
        timer.async_wait(yield);
        return done(i, begun);
    }

    std::optional<std::uint64_t> expected_checksum(std::size_t i) const override { return mix64(i); }

private:
    // The checksum vouches for the wait: a task that woke early fails.
    std::uint64_t done(std::size_t i, clock::time_point begun) const {
        if (clock::now() - begun < wait_) throw std::runtime_error("sleep: woke before the wait was over");
        return mix64(i);
    }
    std::size_t n_;
    std::chrono::milliseconds wait_;
};

class sleep_workload_t final : public workload {
public:
    std::string_view name() const override { return "sleep"; }
    std::string_view description() const override { return "N tasks, each waits D (sleep_for / steady_timer)"; }
    std::vector<param_spec> params() const override {
        return {{.name = "tasks",
                 .help = "number of tasks N",
                 .quick = {10, 100, 1000, 10000, 100000},
                 .full = {10, 100, 1000, 10000, 100000, 1000000},
                 .smoke = 12,
                 .counts_tasks = true},
                {.name = "wait_ms", .help = "how long each task waits, D", .quick = {100}, .full = {100}, .smoke = 5}};
    }
    double service_s(const simul::params& p) const override { return double(p["wait_ms"]) / 1e3; }
    bool has_stackful() const override { return true; }

    // 10 ms waits, past sequential's capacity (100/s) and the pools' (200/s,
    // 2,400/s, 25,600/s); quick takes every other rung, for more rounds.
    rate_sweep default_rates(bool quick) const override {
        if (quick) return {{{"wait_ms", 10}}, {100, 1000, 10000}, 1};
        return {{{"wait_ms", 10}}, {100, 300, 1000, 3000, 10000, 20000, 50000}, 2};
    }

    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        return std::make_unique<sleep_tasks>(task_count(p), std::chrono::milliseconds(p["wait_ms"]));
    }
};

}  // namespace

const workload& sleep_workload() { return the_workload<sleep_workload_t>(); }

}  // namespace simul
