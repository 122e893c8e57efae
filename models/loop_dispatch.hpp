#pragma once
// The dispatcher every coroutine model shares: one coroutine that hands out
// the tasks as they arrive. What differs between the models is only where a
// task runs, which `place(i)` answers with an executor: the one loop, one of
// P loops, or the one io_context that P threads share.

#include "models/arrivals.hpp"
#include "models/task.hpp"
#include "models/trace.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <string>

namespace simul {

// Each task is the workload's own coroutine, spawned as it is: its start is
// recorded here and its end by co_spawn's completion handler, so the loop pays
// for no frame of ours around it. co_spawn onto the dispatcher's own loop runs
// the task at once, up to its first co_await; onto another loop it is posted.
// Arrivals come inside the loop (a timer, an accept): no cross-thread hop
// between an arrival and the dispatcher.
template <class Place>
awaitable<void> dispatch(task_source& tasks, arrivals& arrive, trace& tr, std::string& limit, Place place) {
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
        boost::asio::co_spawn(place(i), tasks.async(i),
                              [&tr, i](const std::exception_ptr& error, std::uint64_t sum) { tr.finish(i, error, sum); });
    }
}

}  // namespace simul
