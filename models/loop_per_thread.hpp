#pragma once
#include "models/model.hpp"
#include "models/stacks.hpp"

#include <optional>

namespace simul {

// P threads, each running its own io_context(1): the one-thread loop,
// P times over, as nginx runs N workers or seastar a shard per core. Tasks
// are dealt to the loops round-robin and stay on their loop, so each task
// still lives on one thread and nothing in it needs a lock. CPU work runs on
// up to P cores at once. coroutine_loop:P runs C++20 coroutines this way,
// stackful_loop:P stackful ones (with a stack).
class loop_per_thread final : public model {
public:
    explicit loop_per_thread(int threads, std::optional<stack_options> stackful = std::nullopt)
        : threads_(threads), stackful_(stackful) {}

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    int threads_;
    std::optional<stack_options> stackful_;  // unset: the coroutine colour
};

}  // namespace simul
