#pragma once
// Arrival: when each task becomes available. A task's latency is measured from
// that moment, not from when a model got round to starting it, so a model
// that queues work shows the queueing in its latency (no coordinated
// omission).
//
//   burst   all N tasks are due at t0 (the exhibition; "fetch these 100 pages")
//   rate    task i is due at t0 + i/λ (open loop), or at Poisson-spaced times
//   accept  task i arrives when the i-th client connects (bench/net/accept.hpp)

#include "models/arrivals.hpp"
#include "models/trace.hpp"

#include <cstdint>
#include <string>

namespace simul {

// The pattern a case's tasks arrive in: its plan, chosen on the command
// line. At run time a model asks an `arrivals` (models/arrivals.hpp) whether
// task i has arrived; scheduled_arrivals below answers from this plan.
struct arrival_pattern {
    enum class kind { burst, rate };

    kind how = kind::burst;
    double per_second = 0;   // λ, for rate
    bool poisson = false;    // exponential gaps with mean 1/λ instead of constant ones
    std::uint64_t seed = 1;  // for poisson: the same seed gives the same schedule

    // Writes every task's due offset into the trace.
    void schedule(trace& tr) const;

    // "" for burst; "/arrival:rate/rate:1000" (and "/poisson:SEED") for rate.
    std::string name() const;
};

// Arrivals at the due times written in the trace: the dispatching thread
// sleeps until each, the loop waits on a timer.
class scheduled_arrivals final : public arrivals {
public:
    explicit scheduled_arrivals(trace& tr) : tr_(tr) {}
    bool wait(std::size_t i) override;
    awaitable<bool> async_wait(std::size_t i) override;
    bool ready(std::size_t i) override;

private:
    trace& tr_;
};

// Achieved arrivals per second: tasks handed out over the time between the
// first and the last hand-out (0 with fewer than two).
double arrival_rate(const trace& tr);

// Tasks due but not yet started, at the worst moment.
std::size_t backlog_peak(const trace& tr);

}  // namespace simul
