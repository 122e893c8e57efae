#include "models/thread_per_task.hpp"

#include <fmt/format.h>

#include <system_error>
#include <thread>
#include <vector>

namespace simul {

std::string thread_per_task::run(task_source& tasks, arrivals& arrive, trace& tr) {
    const std::size_t n = tasks.size();
    std::string limit;
    std::vector<std::jthread> threads;  // joined when this scope ends
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!arrive.wait(i)) {
            limit = tr.abandon_from(i);
            break;
        }
        try {
            if (thread_cap_ != 0 && threads.size() == thread_cap_)
                throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                                        "thread cap");
            threads.emplace_back([&tasks, &tr, i] { tr.run_blocking(tasks, i); });
        } catch (const std::system_error& e) {
            limit = fmt::format("thread limit: {} of {} threads created ({})", threads.size(), n,
                                e.code().message());
            for (std::size_t j = i; j < n; ++j) tr.mark_not_started(j, limit);
            break;
        }
    }
    return limit;
}

}  // namespace simul
