#include "models/coroutine_loop.hpp"

#include "models/loop_dispatch.hpp"

#include <boost/asio/io_context.hpp>

namespace asio = boost::asio;

namespace simul {

std::string coroutine_loop::run(task_source& tasks, arrivals& arrive, trace& tr) {
    // A hint of 1 tells Asio that one thread runs the loop: handlers go on
    // that thread's private queue and no other thread is ever woken. It keeps
    // the scheduler's mutex (uncontended), because other threads may still
    // post to the loop: file_read's offload pool hands its completions back
    // that way. BOOST_ASIO_CONCURRENCY_HINT_UNSAFE would drop the mutex too,
    // and make such a post a data race.
    asio::io_context io(1);
    std::string limit;
    const auto here = [ex = io.get_executor()](std::size_t) { return ex; };
    asio::co_spawn(io, dispatch(tasks, arrive, tr, limit, here, start_coroutine(tasks, tr)), rethrow_failure);
    io.run();
    return limit;
}

}  // namespace simul
