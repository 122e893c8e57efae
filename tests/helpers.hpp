#pragma once
// Small helpers shared by the tests.

#include "bench/case/case.hpp"
#include "bench/case/meter.hpp"
#include "bench/case/workload.hpp"
#include "bench/workloads/registry.hpp"
#include "models/model.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>
#include <utility>
#include <vector>

namespace simul::testing {

// Every form of every row of the table of models (models/kinds.hpp); the
// sized ones with 3 threads, more than a 2-core machine has, so that a
// model's own concurrency is not the cores'.
inline std::vector<model_spec> every_model() {
    std::vector<model_spec> models;
    for (const model_kind& k : model_kinds()) {
        if (k.size != sizing::required) models.push_back(parse_model(k.name));
        if (k.size != sizing::none) models.push_back(parse_model(std::string(k.name) + ":3"));
    }
    return models;
}

inline case_result run(const workload& w, std::vector<std::pair<std::string, std::int64_t>> p, const std::string& model,
                       arrival_pattern a = {}) {
    return run_case(case_spec{&w, params(std::move(p)), parse_model(model), a});
}

// Each parameter's smoke value (param_spec::smoke): small sizes, so that a
// sweep of every model is quick. A new workload's own values serve.
inline std::vector<std::pair<std::string, std::int64_t>> smoke_params(const workload& w) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& spec : w.params()) out.emplace_back(spec.name, spec.smoke_value());
    return out;
}

// The cross-model check every workload must pass, at its smoke values: every
// model completes every task, with the sequential run's checksum, and no
// faster than the nominal ideal (chess's reported one uses the thinking's
// typical cost, which a lucky run may beat). In a burst and, for a workload
// with rate cases, at a rate. The stackful models only for a workload that
// has that colour (the sweep skips them otherwise: test_harness checks it).
inline void expect_one_checksum_under_every_model(const workload& w) {
    const auto p = smoke_params(w);
    const auto reference = run(w, p, "sequential");
    ASSERT_EQ(reference.failed, 0u) << reference.label;
    ASSERT_GE(reference.tasks, w.task_count(params(p)));  // serve counts requests, not connections
    ASSERT_NE(reference.checksum, 0u);
    std::vector<arrival_pattern> arrivals = {arrival_pattern{}};
    if (!w.count_param().empty() && w.service_s(params(p)) > 0)
        arrivals.push_back(
            arrival_pattern{arrival_pattern::kind::rate, 2 * double(w.task_count(params(p))) / w.service_s(params(p))});
    for (const auto& m : every_model()) {
        if (m.colour() == colour::stackful && !w.has_stackful()) continue;
        for (const arrival_pattern& a : arrivals) {
            SCOPED_TRACE(m.name() + a.name());
            const case_spec c{&w, params(p), m, a};
            const auto r = run_case(c);
            EXPECT_EQ(r.failed, 0u) << r.label;
            EXPECT_EQ(r.tasks, reference.tasks);
            EXPECT_EQ(r.checksum, reference.checksum);
            EXPECT_GE(r.makespan_s, c.ideal_s() * 0.999) << "faster than the physical limit";
        }
    }
}

// In a forked child: caps the address space (RLIMIT_AS) at what the process
// uses now plus `room` bytes. False if it could not.
inline bool limit_address_space_to_now_plus(std::int64_t room) {
    const std::int64_t used = proc_status_field("VmSize");
    const rlimit as{rlim_t(used + room), rlim_t(used + room)};
    return used >= 0 && ::setrlimit(RLIMIT_AS, &as) == 0;
}

}  // namespace simul::testing
