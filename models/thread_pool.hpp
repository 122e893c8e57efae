#pragma once
#include "models/model.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <optional>

namespace simul {

// A oneTBB arena of P worker threads; the calling thread only hands out tasks
// as they become due, so P threads run tasks, no more and no fewer.
//
// oneTBB sizes itself for CPU work (one worker per core). A pool for blocking
// IO needs more threads than cores, so the model raises
// global_control::max_allowed_parallelism to P + 1 (the + 1 is the calling
// thread, which oneTBB counts).
class thread_pool final : public model {
public:
    explicit thread_pool(int threads);
    ~thread_pool() override;

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    int threads_;
    oneapi::tbb::task_scheduler_handle scheduler_;
    std::optional<oneapi::tbb::global_control> allow_;
    std::optional<oneapi::tbb::task_arena> arena_;
};

}  // namespace simul
