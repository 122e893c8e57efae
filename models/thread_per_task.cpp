#include "models/thread_per_task.hpp"

#include "models/thread_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <system_error>
#include <thread>

namespace simul {

std::string thread_per_task::run(task_source& tasks, arrivals& arrive, trace& tr) {
    const std::size_t n = tasks.size();
    // Shared with every thread, so the last one out may still touch it after
    // run() has returned.
    auto alive = std::make_shared<std::atomic<std::size_t>>(0);
    std::size_t alive_peak = 0;
    std::string limit;
    for (std::size_t i = 0; i < n; ++i) {
        if (!arrive.wait(i)) {
            limit = tr.abandon_from(i);
            break;
        }
        const std::size_t now_alive = alive->fetch_add(1) + 1;
        try {
            if (alive_cap_ != 0 && now_alive > alive_cap_)
                throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "cap");
            std::thread([&tasks, &tr, alive, i] {
                tr.run_blocking(tasks, i);
                if (alive->fetch_sub(1) == 1) alive->notify_all();
            }).detach();
            alive_peak = std::max(alive_peak, now_alive);
        } catch (const std::system_error& e) {
            alive->fetch_sub(1);
            limit = fmt::format("thread limit: {} threads alive at once; thread {} of {} refused: {}", alive_peak,
                                i + 1, n, alive_cap_ != 0 ? "the test's cap" : thread_limit_reason(e.code()));
            for (std::size_t j = i; j < n; ++j) tr.mark_not_started(j, limit);
            break;
        }
    }
    for (auto left = alive->load(); left != 0; left = alive->load()) alive->wait(left);
    return limit;
}

}  // namespace simul
