#include "models/stackful_loop.hpp"

#include "models/loop_dispatch.hpp"

#include <boost/asio/io_context.hpp>

namespace asio = boost::asio;

namespace simul {

std::string stackful_loop::run(task_source& tasks, arrivals& arrive, trace& tr) {
    asio::io_context io(1);  // one thread: coroutine_loop.cpp says why the hint
    std::string limit;
    const auto here = [ex = io.get_executor()](std::size_t) { return ex; };
    const start_stackful start(tasks, tr, stack_);
    asio::co_spawn(io, dispatch(tasks, arrive, tr, limit, here, start), rethrow_failure);
    io.run();
    return limit;
}

}  // namespace simul
