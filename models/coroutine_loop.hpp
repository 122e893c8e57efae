#pragma once
#include "models/model.hpp"

namespace simul {

// One thread, one boost::asio::io_context(1), one C++20 coroutine per task:
// the master moving from board to board. A task that waits suspends at its
// co_await and the loop runs whichever task is ready; CPU work runs on the
// single thread, one task at a time.
class coroutine_loop final : public model {
public:
    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;
};

}  // namespace simul
