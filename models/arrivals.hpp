#pragma once
// Arrivals: when each task becomes available. A model asks before it hands
// out task i, in the colour it runs:
//   wait(i)        blocks the dispatching thread (sequential, threads, pool)
//   async_wait(i)  suspends the arrival coroutine (coroutine loop)
// Both return false when task i will never arrive (the source has closed):
// the model then stops handing out tasks and marks the rest not started.
//
// Implementations live with the arrival patterns in bench/case/arrival.* and bench/net/accept.*: schedules
// (burst, rate) and accepted connections.

#include "models/task.hpp"

#include <cstddef>

namespace simul {

class arrivals {
public:
    virtual ~arrivals() = default;
    virtual bool wait(std::size_t i) = 0;
    virtual awaitable<bool> async_wait(std::size_t i) = 0;

    // True if task i has arrived already, so the loop need not suspend (a
    // burst's tasks all have): it then records the arrival, at the moment of
    // asking, as wait() does. The loop asks this first so that a burst costs
    // no coroutine per task, and starts a task it hands out to itself at
    // that recorded moment (trace::begin_at_arrival).
    virtual bool ready(std::size_t /*i*/) { return false; }
};

}  // namespace simul
