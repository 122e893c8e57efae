#include "models/coroutine_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

namespace asio = boost::asio;

namespace simul {
namespace {

// Tasks arrive inside the loop (a timer, an accept), so there is no
// cross-thread hop between the arrival and the task.
asio::awaitable<void> dispatch(task_source& tasks, arrivals& arrive, trace& tr, std::string& limit) {
    auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!co_await arrive.async_wait(i)) {
            limit = tr.abandon_from(i);
            co_return;
        }
        asio::co_spawn(ex, tr.run_async(tasks, i), asio::detached);
    }
}

}  // namespace

std::string coroutine_loop::run(task_source& tasks, arrivals& arrive, trace& tr) {
    asio::io_context io(1);  // one thread: Asio can skip its locks
    std::string limit;
    asio::co_spawn(io, dispatch(tasks, arrive, tr, limit), asio::detached);
    io.run();
    return limit;
}

}  // namespace simul
