#include "models/thread_per_task.hpp"

#include "models/thread_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace simul {

// Threads are joined as they finish: each names its slot when its task ends,
// and the dispatcher joins it before it starts the next thread, so a finished
// thread holds its stack and mappings only briefly, and run() returns only
// once every thread has exited (so the next case is not charged for a storm
// of exits). Slots are reused: the model holds one std::thread per thread
// alive at once, not one per task.
std::string thread_per_task::run(task_source& tasks, arrivals& arrive, trace& tr) {
    const std::size_t n = tasks.size();
    std::vector<std::thread> slots;
    std::vector<std::size_t> free_slots, finished;
    std::mutex m;
    std::condition_variable ended;
    std::size_t alive = 0, alive_peak = 0;

    // Joins the threads that have finished; with wait, first waits for one.
    // Joined under the lock, as the bare program does: threads that end
    // meanwhile wait to report, and exit after. Joined outside it, the
    // kernel took fresh pages for new threads more often (kmem:mm_page_alloc
    // 43,000 a run against 37,000 at 10,000 sleeps) and the case was slower
    // (docs/MEASUREMENTS.md, "Thread-per-task sleeps").
    const auto reap = [&](bool wait) {
        std::unique_lock lock(m);
        if (wait) ended.wait(lock, [&] { return !finished.empty(); });
        for (const std::size_t s : finished) {
            slots[s].join();
            free_slots.push_back(s);
            --alive;
        }
        finished.clear();
    };

    std::string limit;
    for (std::size_t i = 0; i < n; ++i) {
        if (!arrive.wait(i)) {
            limit = tr.abandon_from(i);
            break;
        }
        reap(false);
        if (free_slots.empty()) {
            free_slots.push_back(slots.size());
            slots.emplace_back();
        }
        const std::size_t s = free_slots.back();
        try {
            if (alive_cap_ != 0 && alive >= alive_cap_)
                throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "cap");
            slots[s] = std::thread([&, i, s] {
                tr.run_blocking(tasks, i);
                {
                    const std::lock_guard lock(m);
                    finished.push_back(s);
                }
                ended.notify_one();
            });
        } catch (const std::system_error& e) {
            limit = fmt::format("thread limit: {} threads alive at once; thread {} of {} refused: {}", alive_peak,
                                i + 1, n, alive_cap_ != 0 ? "the test's cap" : thread_limit_reason(e.code()));
            for (std::size_t j = i; j < n; ++j) tr.mark_not_started(j, limit);
            break;
        }
        free_slots.pop_back();
        alive_peak = std::max(alive_peak, ++alive);
    }
    while (alive > 0) reap(true);
    return limit;
}

}  // namespace simul
