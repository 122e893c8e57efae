#include "models/coroutine_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace simul {
namespace {

// Tasks arrive from inside the loop: a timer waits for each due time, so
// there is no cross-thread hop between the arrival and the task.
asio::awaitable<void> arrive(task_source& tasks, trace& tr) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (tr.due(i) > clock::now()) {
            timer.expires_at(tr.due(i));
            co_await timer.async_wait(asio::use_awaitable);
        }
        asio::co_spawn(ex, tr.run_async(tasks, i), asio::detached);
    }
}

}  // namespace

std::string coroutine_loop::run(task_source& tasks, trace& tr) {
    asio::io_context io(1);  // one thread: Asio can skip its locks
    asio::co_spawn(io, arrive(tasks, tr), asio::detached);
    io.run();
    return {};
}

}  // namespace simul
