#pragma once
#include "models/model.hpp"

#include <cstddef>

namespace simul {

// A thread per task: the kernel schedules and every blocking call just
// blocks its own thread. Each thread is joined as soon as its task ends, so
// only live threads cost memory and mappings. Its limits are the OS's on live threads (pid_max,
// threads-max, RLIMIT_NPROC, a cgroup's pids.max, memory maps, memory) and how
// fast it can create them. Hitting a limit is a result, not a crash: the tasks
// it could not start are counted as failed and the label names the limit.
class thread_per_task final : public model {
public:
    // alive_cap > 0 refuses a new thread while that many are alive, as if
    // the OS had said no; tests use it to reach the limit quickly.
    explicit thread_per_task(std::size_t alive_cap = 0) : alive_cap_(alive_cap) {}

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    std::size_t alive_cap_;
};

}  // namespace simul
