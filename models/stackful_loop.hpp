#pragma once
#include "models/model.hpp"
#include "models/stacks.hpp"

namespace simul {

// One thread, one boost::asio::io_context(1), one stackful coroutine per task
// (asio::spawn on a Boost.Context fiber): coroutine_loop with a stack per
// task instead of a frame. A task reads as blocking code and may suspend
// from any depth of calls; what it costs is a stack, touched as deep as the
// task's calls go, and a switch of stacks at each suspension.
class stackful_loop final : public model {
public:
    explicit stackful_loop(stack_options stack) : stack_(stack) {}

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    stack_options stack_;
};

}  // namespace simul
