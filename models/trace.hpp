#pragma once
// One preallocated slot per task: when it was due, when it started and ended,
// its checksum and whether it failed. Models record into it through
// run_blocking, or begin/finish around a coroutine; everything the meter reports about tasks (latency
// percentiles, in-flight peak, backlog) is computed from it after the run.
//
// Recording is a store into the task's own slot: no lock and no allocation on
// the measured path. The slots are relaxed atomics only so that the progress
// reporter may read them while the run goes on; on x86 a relaxed store is a
// plain mov. Times come from tick_clock (support/tick_clock.hpp): the
// CPU's counter where the kernel trusts it, a third of steady_clock's cost.

#include "models/task.hpp"
#include "support/tick_clock.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace simul {

class trace {
public:
    // Ends of slots that never completed.
    static constexpr std::int64_t not_done = -1;

    explicit trace(std::size_t n);

    std::size_t size() const { return n_; }

    // t0: the instant the run started; due offsets are relative to it. The
    // trace's own clock starts here too, to within a clock read.
    clock::time_point t0() const { return t0_; }
    void start(clock::time_point t0) {
        t0_ = t0;
        ticks0_ = clock_->ticks();
    }

    // Nanoseconds since t0 on the trace's clock, as it records them.
    std::int64_t now_ns() const { return clock_->ns_after(ticks0_, clock_->ticks()); }

    // When task i becomes available, set by the arrival schedule before the run.
    clock::time_point due(std::size_t i) const { return t0_ + std::chrono::nanoseconds(due_ns_[i]); }
    std::int64_t due_ns(std::size_t i) const { return due_ns_[i]; }
    void set_due_ns(std::size_t i, std::int64_t ns) { due_ns_[i] = ns; }

    // When task i was handed out (by the dispatching thread or the loop's
    // arrival_pattern coroutine): written once, by that one thread.
    void set_arrived_now(std::size_t i) { arrived_ns_[i] = now_ns(); }
    void set_arrived_ns(std::size_t i, std::int64_t ns) { arrived_ns_[i] = ns; }
    std::int64_t arrived_ns(std::size_t i) const { return arrived_ns_[i]; }

    // Run task i with blocking calls, recording its start, end and checksum.
    // An exception from the task marks it failed; it never escapes.
    void run_blocking(task_source& tasks, std::size_t i);

    // The coroutine colour records around the task rather than inside it,
    // so that no frame of ours wraps the workload's: begin just before the
    // loop starts task i, finish from its completion handler. Both are
    // inline, as they are on every task's path (a loop's task is some 3,300
    // instructions in all: docs/MEASUREMENTS.md).
    void begin(std::size_t i) { start_ns_[i].store(now_ns(), std::memory_order_relaxed); }
    // A task that the thread which handed it out starts at once: its start
    // is its hand-out, to within the few instructions between, and costs no
    // second clock read. Only after its arrival was recorded at hand-out.
    void begin_at_arrival(std::size_t i) { start_ns_[i].store(arrived_ns_[i], std::memory_order_relaxed); }
    void finish(std::size_t i, const std::exception_ptr& error, std::uint64_t sum) {
        if (error) return fail(i, error);
        end(i, sum);
    }

    // A task that a model could not even start (no thread for it).
    void mark_not_started(std::size_t i, const std::string& why);

    // Task i as another process recorded it (a peer, docs/PEERS.md), in ns
    // after t0: its start and end (not_done if it never reached them), and
    // its checksum, or the reason it failed (non-empty).
    void set_recorded(std::size_t i, std::int64_t start_ns, std::int64_t end_ns, std::uint64_t sum,
                      const std::string& error);

    // Tasks i.. never arrived (their source closed): marks them not started
    // and returns the label for the case.
    std::string abandon_from(std::size_t i);

    std::int64_t start_ns(std::size_t i) const { return start_ns_[i].load(std::memory_order_relaxed); }
    std::int64_t end_ns(std::size_t i) const { return end_ns_[i].load(std::memory_order_relaxed); }
    bool failed(std::size_t i) const { return failed_[i].load(std::memory_order_relaxed); }
    std::uint64_t checksum(std::size_t i) const { return checksum_[i]; }

    // First failure message, for the case's label (the only write that
    // synchronises, and only on the error path).
    std::string first_error() const;

    // Tasks that have ended (completed or failed): for progress reports only.
    std::size_t count_ended() const;

private:
    void end(std::size_t i, std::uint64_t sum) {
        checksum_[i] = sum & checksum_mask;
        end_ns_[i].store(now_ns(), std::memory_order_relaxed);
    }
    void fail(std::size_t i, const char* what);
    void fail(std::size_t i, const std::exception_ptr& error);

    std::size_t n_;
    const tick_clock* clock_;
    clock::time_point t0_{};
    std::uint64_t ticks0_ = 0;
    std::unique_ptr<std::int64_t[]> due_ns_;
    std::unique_ptr<std::int64_t[]> arrived_ns_;
    std::unique_ptr<std::atomic<std::int64_t>[]> start_ns_;
    std::unique_ptr<std::atomic<std::int64_t>[]> end_ns_;
    std::unique_ptr<std::atomic<bool>[]> failed_;
    std::unique_ptr<std::uint64_t[]> checksum_;
    std::atomic_flag error_taken_;
    std::string first_error_;
};

}  // namespace simul
