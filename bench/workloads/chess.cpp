// chess: the simultaneous exhibition that gives the suite its name.
//
// One master, B boards, M move pairs per board. In each pair the master
// thinks for C (real CPU work) and the opponent answers after W (a wait).
// With C = 0.5 ms and W = 5.5 ms (one second of the story = 0.1 ms):
//   one board after another:        B × M × (C + W) = 24 × 30 × 6 ms  = 4.32 s (12 h)
//   moving from board to board:     B × M × C       = 24 × 30 × .5 ms = 0.36 s (1 h)
// A task is one board's whole game.

#include "bench/case/workload.hpp"
#include "support/mix64.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>

namespace asio = boost::asio;

namespace simul {
namespace {

// Steps per microsecond on this machine, measured once per process (the best
// of several tries, so a busy neighbour does not make the master slow). Every
// model in the process thinks the same number of steps, so checksums agree.
double steps_per_us() {
    static const double rate = [] {
        constexpr std::uint64_t steps = 200'000;
        double best = 0;
        std::uint64_t sink = 0;
        for (std::uint64_t attempt = 0; attempt < 7; ++attempt) {
            const auto begun = clock::now();
            sink += think(sink + attempt, steps);
            const double us = std::chrono::duration<double, std::micro>(clock::now() - begun).count();
            best = std::max(best, double(steps) / std::max(us, 1e-3));
        }
        return sink == 42 ? best + 1e-9 : best;  // use sink so the loop stays
    }();
    return rate;
}

// What one move's thinking costs at the least now: the fastest of a batch
// of moves timed one by one. The ideal is a lower bound, so it takes the
// fastest move, not a typical one: a median taken once before the case can
// come out slow, and a run then beat its own "ideal" (efficiency 1.01).
double time_think_us(std::uint64_t steps) {
    constexpr int batch = 63;
    double best = std::numeric_limits<double>::infinity();
    std::uint64_t sink = 0;
    for (int m = 0; m < batch; ++m) {
        const auto begun = clock::now();
        sink = think(sink, steps);
        best = std::min(best, std::chrono::duration<double, std::micro>(clock::now() - begun).count());
    }
    return best + (sink == 42 ? 1e-9 : 0);  // use sink so the loop stays
}

// Boards go in waves of `concurrency`, each wave a whole game long; and all
// thinking, B × M × C, must fit on the CPUs the model can use, after which
// the last move's reply still takes W (every game ends with one).
double exhibition_ideal_s(const simul::params& p, const model_shape& shape, double think_us) {
    const double game_s = double(p["moves"]) * (think_us + double(p["reply_us"])) / 1e6;
    const double think_s = double(p["boards"] * p["moves"]) * think_us / 1e6;
    const double waves = std::ceil(double(p["boards"]) / shape.concurrency);
    return std::max(waves * game_s, think_s / shape.cpu_parallelism + double(p["reply_us"]) / 1e6);
}

class chess_games final : public prepared_tasks {
public:
    explicit chess_games(const simul::params& p)
        : p_(p),
          boards_(std::size_t(p["boards"])),
          moves_(p["moves"]),
          think_steps_(std::uint64_t(std::llround(double(p["think_us"]) * steps_per_us()))),
          think_us_measured_(time_think_us(think_steps_)),
          reply_(p["reply_us"]) {}

    std::size_t size() const override { return boards_; }

    std::optional<double> measured_ideal_s(const model_shape& shape) const override {
        return exhibition_ideal_s(p_, shape, think_us_measured_);
    }

    void on_end(case_result& r) override {
        r.extra.emplace_back("think_us_measured", think_us_measured_);
        r.extra.emplace_back("think_steps", double(think_steps_));  // what a bare program must think
    }

    // Every move is one mix64 whatever the thinking took (chess_move).
    std::optional<std::uint64_t> expected_checksum(std::size_t board) const override {
        std::uint64_t position = mix64(board);
        for (std::int64_t m = 0; m < moves_; ++m) position = mix64(position);
        return position;
    }

    std::uint64_t blocking(std::size_t board) override {
        std::uint64_t position = mix64(board);
        for (std::int64_t m = 0; m < moves_; ++m) {
            position = chess_move(position, think_steps_);  // the master's move
            std::this_thread::sleep_for(reply_);            // the opponent's reply
        }
        return position;
    }

    awaitable<std::uint64_t> async(std::size_t board) override {
        steady_timer timer(co_await asio::this_coro::executor);
        std::uint64_t position = mix64(board);
        for (std::int64_t m = 0; m < moves_; ++m) {
            position = chess_move(position, think_steps_);
            timer.expires_after(reply_);
            co_await timer.async_wait(asio::deferred);
        }
        co_return position;
    }

    std::uint64_t stackful(std::size_t board, yield_context yield) override {
        steady_timer timer(yield.get_executor());
        std::uint64_t position = mix64(board);
        for (std::int64_t m = 0; m < moves_; ++m) {
            position = chess_move(position, think_steps_);
            timer.expires_after(reply_);
            timer.async_wait(yield);
        }
        return position;
    }

private:
    simul::params p_;
    std::size_t boards_;
    std::int64_t moves_;
    std::uint64_t think_steps_;
    double think_us_measured_;
    std::chrono::microseconds reply_;
};

class chess_workload_t final : public workload {
public:
    std::string_view name() const override { return "chess"; }
    std::string_view description() const override {
        return "simultaneous exhibition: B boards, M move pairs of C think (CPU) + W reply (wait)";
    }

    std::vector<param_spec> params() const override {
        return {
            {.name = "boards",
             .help = "boards B (one task per board)",
             .quick = {24},
             .full = {6, 24, 96},
             .smoke = 5,
             .counts_tasks = true},
            {.name = "moves", .help = "move pairs M per board", .quick = {30}, .full = {30}, .smoke = 3},
            {.name = "think_us",
             .help = "the master's thinking C per move, CPU work",
             .quick = {500},
             .full = {500},
             .smoke = 100},
            {.name = "reply_us",
             .help = "the opponent's reply W per move, a wait",
             .quick = {5500},
             .full = {5500},
             .smoke = 1000},
        };
    }

    // The nominal ideal; a case reports the measured one (chess_games).
    double ideal_s(const simul::params& p, const model_shape& shape) const override {
        return exhibition_ideal_s(p, shape, double(p["think_us"]));
    }

    double service_s(const simul::params& p) const override {
        return double(p["moves"]) * double(p["think_us"] + p["reply_us"]) / 1e6;
    }
    double cpu_s(const simul::params& p) const override { return double(p["moves"] * p["think_us"]) / 1e6; }
    bool has_stackful() const override { return true; }

    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        return std::make_unique<chess_games>(p);
    }
};

}  // namespace

const workload& chess_workload() { return the_workload<chess_workload_t>(); }

}  // namespace simul
