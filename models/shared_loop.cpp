#include "models/shared_loop.hpp"

#include "models/loop_dispatch.hpp"

#include <boost/asio/io_context.hpp>

#include <vector>

namespace asio = boost::asio;

namespace simul {

// No strand per task: a task has one operation pending at a time, so its
// coroutine never runs on two threads at once, and the scheduler's mutex
// orders each resumption after the last. The workloads' only per-task state
// that two handlers could touch at once is a Beast stream's timeout timer,
// which acts only when a timeout fires (see docs/ARCHITECTURE.md). A strand
// would not fit anyway: tasks are typed for io_context's own executor
// (models/task.hpp), which is what makes the one-thread loop cheap.
std::string shared_loop::run(task_source& tasks, arrivals& arrive, trace& tr) {
    asio::io_context io(threads_);  // the hint: this many threads run it
    std::string limit;
    const auto anywhere = [ex = io.get_executor()](std::size_t) { return ex; };
    asio::co_spawn(io, dispatch(tasks, arrive, tr, limit, anywhere, start_coroutine(tasks, tr)), rethrow_failure);
    run_loops(std::vector<asio::io_context*>(std::size_t(threads_), &io));  // this thread is one of the P
    return limit;
}

}  // namespace simul
