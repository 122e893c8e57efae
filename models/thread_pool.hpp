#pragma once
#include "models/model.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <optional>

namespace simul {

// A oneTBB arena of P worker threads; the calling thread only hands out tasks
// as they become due, so P threads run tasks, no more and no fewer.
//
// oneTBB sizes itself for CPU work (one worker per core). A pool for blocking
// IO needs more threads than cores, so the model raises
// global_control::max_allowed_parallelism to P + 1 (the + 1 is the calling
// thread, which oneTBB counts).
//
// oneTBB makes its workers on its own threads, where a refused
// pthread_create is std::terminate: so the limits (RLIMIT_NPROC, RLIMIT_AS,
// the kernel's and the cgroup's) are checked for room for P threads first,
// and a pool they refuse is an exception that names the limit. A pool that
// cannot start (refused, or not all P workers within `start_within`) leaves
// nothing behind: the workers of a pool that survive its case would be
// counted as the next case's and fix oneTBB's worker limit at the old P.
class thread_pool final : public model {
public:
    explicit thread_pool(int threads, std::chrono::milliseconds start_within = std::chrono::seconds(20));
    ~thread_pool() override;

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    void start(std::chrono::milliseconds start_within);
    void stop() noexcept;

    int threads_;
    oneapi::tbb::task_scheduler_handle scheduler_;
    std::optional<oneapi::tbb::global_control> allow_;
    std::optional<oneapi::tbb::task_arena> arena_;
};

}  // namespace simul
