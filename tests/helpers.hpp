#pragma once
// Small helpers shared by the tests.

#include "bench/case/case.hpp"
#include "bench/case/workload.hpp"
#include "bench/workloads/registry.hpp"
#include "models/model.hpp"

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

inline case_result run(const workload& w, std::vector<std::pair<std::string, std::int64_t>> p,
                       const std::string& model, arrival a = {}) {
    return run_case(case_spec{&w, params(std::move(p)), parse_model(model), a});
}

// Small sizes of each registered workload, so the sweep of all models is quick.
inline std::vector<std::pair<std::string, std::int64_t>> small_params(const workload& w) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& spec : w.params()) {
        std::int64_t v = spec.quick.front();
        if (spec.name == "tasks") v = 12;
        if (spec.name == "wait_ms") v = 5;
        if (spec.name == "boards") v = 5;
        if (spec.name == "moves") v = 3;
        if (spec.name == "think_us") v = 100;
        if (spec.name == "reply_us") v = 1000;
        if (spec.name == "delay_ms") v = 5;
        if (spec.name == "bytes") v = 256;
        // serve: one connection at 40 req/s for 1 s is within every model's
        // reach (sequential serves one keep-alive connection at a time).
        if (spec.name == "conns") v = 1;
        if (spec.name == "rate") v = 40;
        if (spec.name == "duration_s") v = 1;
        if (spec.name == "files") v = 8;
        if (spec.name == "file_kib") v = 256;
        out.emplace_back(spec.name, v);
    }
    return out;
}

}  // namespace simul::testing
