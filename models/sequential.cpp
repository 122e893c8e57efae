#include "models/sequential.hpp"

namespace simul {

std::string sequential::run(task_source& tasks, arrivals& arrive, trace& tr) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!arrive.wait(i)) return tr.abandon_from(i);
        tr.run_blocking(tasks, i);
    }
    return {};
}

}  // namespace simul
