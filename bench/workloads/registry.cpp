#include "bench/workloads/registry.hpp"

namespace simul {

const std::vector<const workload*>& all_workloads() {
    static const std::vector<const workload*> all = {
#define SIMUL_WORKLOAD(accessor) &accessor(),
#include "bench/workloads/workloads.def"
#undef SIMUL_WORKLOAD
    };
    return all;
}

const workload* find_workload(std::string_view name) {
    for (const workload* w : all_workloads())
        if (w->name() == name) return w;
    return nullptr;
}

}  // namespace simul
