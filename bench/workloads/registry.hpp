#pragma once
// The registered workloads, in the order of workloads.def. Only the harness
// and the tests look workloads up; a workload never knows the others.

#include "bench/case/workload.hpp"

#include <string_view>
#include <vector>

namespace simul {

// Every registered workload, in the order of bench/workloads/workloads.def.
const std::vector<const workload*>& all_workloads();
const workload* find_workload(std::string_view name);

// Declarations of the registered workloads' accessors.
#define SIMUL_WORKLOAD(accessor) const workload& accessor();
#include "bench/workloads/workloads.def"
#undef SIMUL_WORKLOAD

}  // namespace simul
