#pragma once
// The registered workloads, as the harness sees them: a list and a lookup by
// name. The list itself is bench/workloads/workloads.def, defined in
// bench/workloads/registry.cpp, so that nothing above that folder names a
// workload.

#include "bench/case/workload.hpp"

#include <string_view>
#include <vector>

namespace simul {

// Every registered workload, in the order of bench/workloads/workloads.def.
const std::vector<const workload*>& all_workloads();
const workload* find_workload(std::string_view name);

}  // namespace simul
