#include "models/coroutine_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

namespace asio = boost::asio;

namespace simul {
namespace {

// Tasks arrive inside the loop (a timer, an accept), so there is no
// cross-thread hop between the arrival and the task. Each task is the
// workload's own coroutine, spawned as it is: its start is recorded here and
// its end by co_spawn's completion handler, so the loop pays for no frame of
// ours around it. co_spawn from inside the loop runs the task at once, up to
// its first co_await.
awaitable<void> dispatch(task_source& tasks, arrivals& arrive, trace& tr, std::string& limit) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        // Not `ready(i) || co_await ...` in one condition: GCC 12 allocates
        // the awaited coroutine's frame even when the left side decides.
        if (!arrive.ready(i)) {
            if (!co_await arrive.async_wait(i)) {
                limit = tr.abandon_from(i);
                co_return;
            }
        }
        tr.begin(i);
        asio::co_spawn(ex, tasks.async(i),
                       [&tr, i](const std::exception_ptr& error, std::uint64_t sum) { tr.finish(i, error, sum); });
    }
}

}  // namespace

std::string coroutine_loop::run(task_source& tasks, arrivals& arrive, trace& tr) {
    // A hint of 1 tells Asio that one thread runs the loop: handlers go on
    // that thread's private queue and no other thread is ever woken. It keeps
    // the scheduler's mutex (uncontended), because other threads may still
    // post to the loop: file_read's offload pool hands its completions back
    // that way. BOOST_ASIO_CONCURRENCY_HINT_UNSAFE would drop the mutex too,
    // and make such a post a data race.
    asio::io_context io(1);
    std::string limit;
    asio::co_spawn(io, dispatch(tasks, arrive, tr, limit), asio::detached);
    io.run();
    return limit;
}

}  // namespace simul
