#pragma once
#include "models/model.hpp"

namespace simul {

// One io_context run by P threads: any thread resumes any coroutine, so a
// waiting task wakes on whichever thread is free. A task still runs on one
// thread at a time (it has one operation pending at a time), but it may move
// between threads at each co_await.
class shared_loop final : public model {
public:
    explicit shared_loop(int threads) : threads_(threads) {}

    std::string run(task_source& tasks, arrivals& arrive, trace& tr) override;

private:
    int threads_;
};

}  // namespace simul
