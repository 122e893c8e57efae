#include "models/loop_per_thread.hpp"

#include "models/loop_dispatch.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <deque>
#include <vector>

namespace asio = boost::asio;

namespace simul {
namespace {

using work_guard = asio::executor_work_guard<executor>;

// The dispatcher runs on loop 0. Round-robin rather than least-loaded: the
// tasks of one case are alike, so dealing them in turn balances the loops,
// and it needs no count that every loop would update for every task.
template <class Start>
awaitable<void> deal(task_source& tasks, arrivals& arrive, trace& tr, std::string& limit,
                     std::deque<asio::io_context>& loops, std::vector<work_guard>& busy, Start start) {
    const auto round_robin = [&loops](std::size_t i) { return loops[i % loops.size()].get_executor(); };
    co_await dispatch(tasks, arrive, tr, limit, round_robin, start);
    busy.clear();  // every task is out: each loop may end once its own have
}

}  // namespace

std::string loop_per_thread::run(task_source& tasks, arrivals& arrive, trace& tr) {
    std::deque<asio::io_context> loops;  // io_context cannot move: a deque keeps each in place
    std::vector<work_guard> busy;        // keeps a loop running while it waits for its first task
    for (int k = 0; k < threads_; ++k) busy.push_back(asio::make_work_guard(loops.emplace_back(1)));

    std::string limit;
    std::optional<start_stackful> stackful;
    if (stackful_) {
        stackful.emplace(tasks, tr, *stackful_);
        asio::co_spawn(loops[0], deal(tasks, arrive, tr, limit, loops, busy, *stackful), rethrow_failure);
    } else {
        asio::co_spawn(loops[0], deal(tasks, arrive, tr, limit, loops, busy, start_coroutine(tasks, tr)),
                       rethrow_failure);
    }
    std::vector<asio::io_context*> on_thread;
    for (auto& loop : loops) on_thread.push_back(&loop);
    run_loops(on_thread);  // this thread is loop 0
    // A stack refused on another loop, after the dispatcher was done.
    if (limit.empty() && stackful) limit = stackful->limit();
    return limit;
}

}  // namespace simul
