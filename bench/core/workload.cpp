#include "bench/core/workload.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace simul {

std::int64_t params::operator[](std::string_view name) const {
    for (const auto& [n, v] : values_)
        if (n == name) return v;
    throw std::out_of_range(fmt::format("no parameter '{}'", name));
}

std::string params::name() const {
    std::string out;
    for (const auto& [n, v] : values_) out += fmt::format("{}{}:{}", out.empty() ? "" : "/", n, v);
    return out;
}

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
