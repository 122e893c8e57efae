#pragma once
// The registered workloads' accessors, for code that names one (the tests).
// The harness finds workloads by name instead (bench/case/registry.hpp).

#include "bench/case/registry.hpp"

namespace simul {

#define SIMUL_WORKLOAD(accessor) const workload& accessor();
#include "bench/workloads/workloads.def"
#undef SIMUL_WORKLOAD

}  // namespace simul
