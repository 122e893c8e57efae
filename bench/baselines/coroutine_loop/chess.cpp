// The bare exhibition on one coroutine loop: B boards, each M moves of STEPS
// thinking (CPU) then a reply wait of W µs on a steady_timer.
// Usage: bare-coroutine_loop-chess BOARDS MOVES STEPS REPLY_US
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace asio = boost::asio;
using executor = asio::io_context::executor_type;
using timer = asio::steady_timer::rebind_executor<executor>::other;

asio::awaitable<std::uint64_t, executor> game(std::uint64_t board, std::uint64_t moves, std::uint64_t steps,
                                              std::chrono::microseconds reply) {
    timer t(co_await asio::this_coro::executor);
    std::uint64_t position = simul::mix64(board);
    for (std::uint64_t m = 0; m < moves; ++m) {
        position = simul::chess_move(position, steps);  // think, then move
        t.expires_after(reply);
        co_await t.async_wait(asio::deferred);
    }
    co_return position;
}

int main(int argc, char** argv) {
    const char* usage = "BOARDS MOVES STEPS REPLY_US";
    const auto boards = simul::bare::arg(argc, argv, 1, usage), moves = simul::bare::arg(argc, argv, 2, usage);
    const auto steps = simul::bare::arg(argc, argv, 3, usage);
    const std::chrono::microseconds reply(simul::bare::arg(argc, argv, 4, usage));
    asio::io_context io(1);
    std::uint64_t sum = 0;
    simul::bare::run run;
    for (std::uint64_t b = 0; b < boards; ++b)
        asio::co_spawn(io, game(b, moves, steps, reply), [&sum](std::exception_ptr, std::uint64_t v) { sum += v; });
    io.run();
    run.print("coroutine_loop", "chess", boards, boards, sum);
}
