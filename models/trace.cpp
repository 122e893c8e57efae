#include "models/trace.hpp"

#include <algorithm>
#include <exception>

namespace simul {

trace::trace(std::size_t n)
    : n_(n),
      clock_(&tick_clock::get()),  // calibrated at the first trace, before any clock starts
      due_ns_(new std::int64_t[n]()),
      arrived_ns_(new std::int64_t[n]),
      start_ns_(new std::atomic<std::int64_t>[n]),
      end_ns_(new std::atomic<std::int64_t>[n]),
      failed_(new std::atomic<bool>[n]),
      checksum_(new std::uint64_t[n]()) {
    // Writing every slot now faults the pages in before the meter takes its
    // baseline, so the trace's own memory is not charged to the model.
    for (std::size_t i = 0; i < n; ++i) {
        start_ns_[i].store(not_done, std::memory_order_relaxed);
        end_ns_[i].store(not_done, std::memory_order_relaxed);
        failed_[i].store(false, std::memory_order_relaxed);
        arrived_ns_[i] = not_done;
    }
}

void trace::fail(std::size_t i, const char* what) {
    failed_[i].store(true, std::memory_order_relaxed);
    if (!error_taken_.test_and_set()) first_error_ = what;
    end_ns_[i].store(now_ns(), std::memory_order_relaxed);
}

void trace::run_blocking(task_source& tasks, std::size_t i) {
    begin(i);
    try {
        end(i, tasks.blocking(i));
    } catch (const std::exception& e) {
        fail(i, e.what());
    }
}

void trace::fail(std::size_t i, const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        fail(i, e.what());
    } catch (...) {
        fail(i, "unknown exception");
    }
}

void trace::mark_not_started(std::size_t i, const std::string& why) {
    failed_[i].store(true, std::memory_order_relaxed);
    if (!error_taken_.test_and_set()) first_error_ = why;
}

void trace::set_recorded(std::size_t i, std::int64_t start_ns, std::int64_t end_ns, std::uint64_t sum,
                         const std::string& error) {
    arrived_ns_[i] = start_ns;  // a peer hands a task out when it starts it
    start_ns_[i].store(start_ns, std::memory_order_relaxed);
    end_ns_[i].store(end_ns, std::memory_order_relaxed);
    checksum_[i] = sum & checksum_mask;
    if (error.empty()) return;
    failed_[i].store(true, std::memory_order_relaxed);
    if (!error_taken_.test_and_set()) first_error_ = error;
}

std::string trace::abandon_from(std::size_t i) {
    const std::string why = std::to_string(n_ - i) + " of " + std::to_string(n_) + " tasks never arrived";
    for (std::size_t j = i; j < n_; ++j) mark_not_started(j, why);
    return why;
}

std::string trace::first_error() const { return first_error_; }

std::size_t trace::count_ended() const {
    std::size_t ended = 0;
    for (std::size_t i = 0; i < n_; ++i) ended += end_ns_[i].load(std::memory_order_relaxed) != not_done;
    return ended;
}

}  // namespace simul
