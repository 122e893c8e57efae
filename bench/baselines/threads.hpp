#pragma once
// A std::thread per task, as simul's thread_per_task model runs them
// (models/thread_per_task.cpp): a thread that has finished is joined before
// the next is made, so its stack goes back to glibc's cache for the next
// thread to take, and the most threads alive at once is counted. Joined at
// the end instead, 64 file readers could not reuse each other's stacks (the
// cache holds 40 MiB, five 8 MiB stacks, most likely the cost), and the bare
// reader was slower than the model it checks: simul ÷ bare 0.918 and 0.932,
// then 1.041 and 1.015 (docs/MEASUREMENTS.md, "Warm file reads").

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace simul::bare {

class threads {
public:
    threads() = default;
    threads(const threads&) = delete;
    threads& operator=(const threads&) = delete;
    ~threads() { join_all(); }

    template <typename F>
    void start(F f) {
        join_finished(false);
        if (free_.empty()) free_.push_back(slots_.size()), slots_.emplace_back();
        const std::size_t s = free_.back();
        free_.pop_back();
        slots_[s] = std::thread([this, s, f = std::move(f)] {
            f();
            const std::lock_guard lock(m_);
            finished_.push_back(s);
            ended_.notify_one();
        });
        peak_ = std::max(peak_, ++alive_);
    }

    void join_all() {
        while (alive_ > 0) join_finished(true);
    }

    // The most threads alive at once.
    std::uint64_t peak() const { return peak_; }

private:
    void join_finished(bool wait_for_one) {
        std::unique_lock lock(m_);
        if (wait_for_one) ended_.wait(lock, [&] { return !finished_.empty(); });
        for (const auto s : finished_) slots_[s].join(), free_.push_back(s), --alive_;
        finished_.clear();
    }

    std::vector<std::thread> slots_;  // slot s holds a live thread, or a joined one to reuse
    std::vector<std::size_t> free_, finished_;
    std::mutex m_;
    std::condition_variable ended_;
    std::uint64_t alive_ = 0, peak_ = 0;
};

}  // namespace simul::bare
