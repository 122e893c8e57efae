#include "bench/case/registry.hpp"

// The list to build: workloads.def, or another with the same form (the
// guide's example is tested with the guide's own list; tests/CMakeLists.txt).
#ifndef SIMUL_WORKLOADS_DEF
#define SIMUL_WORKLOADS_DEF "bench/workloads/workloads.def"
#endif

namespace simul {

#define SIMUL_WORKLOAD(accessor) const workload& accessor();
#include SIMUL_WORKLOADS_DEF
#undef SIMUL_WORKLOAD

const std::vector<const workload*>& all_workloads() {
    static const std::vector<const workload*> all = {
#define SIMUL_WORKLOAD(accessor) &accessor(),
#include SIMUL_WORKLOADS_DEF
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
