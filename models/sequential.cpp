#include "models/sequential.hpp"

#include <thread>

namespace simul {

std::string sequential::run(task_source& tasks, trace& tr) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        std::this_thread::sleep_until(tr.due(i));
        tr.run_blocking(tasks, i);
    }
    return {};
}

}  // namespace simul
