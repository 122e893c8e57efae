#pragma once
#include "models/model.hpp"

#include <cstddef>

namespace simul {

// A std::jthread per task: the kernel schedules and every blocking call just
// blocks its own thread. Its limit is the OS's: threads (pid_max,
// RLIMIT_NPROC, threads-max), memory maps and stack memory. Hitting it is a
// result, not a crash: the tasks it could not start are counted as failed.
class thread_per_task final : public model {
public:
    // thread_cap > 0 stops creating threads at that count, as if the OS had
    // said no; tests use it to reach the limit quickly.
    explicit thread_per_task(std::size_t thread_cap = 0) : thread_cap_(thread_cap) {}

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    std::size_t thread_cap_;
};

}  // namespace simul
