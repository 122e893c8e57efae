#pragma once
// Small helpers shared by the tests.

#include "bench/core/case.hpp"
#include "bench/core/workload.hpp"
#include "models/model.hpp"

#include <string>
#include <utility>
#include <vector>

namespace simul::testing {

inline std::vector<model_spec> every_model() {
    return {parse_model("sequential"),     parse_model("thread_per_task"), parse_model("thread_pool:3"),
            parse_model("coroutine_loop"), parse_model("coroutine_loop:2"), parse_model("shared_loop:2")};
}

inline case_result run(const workload& w, std::vector<std::pair<std::string, std::int64_t>> p,
                       const std::string& model, arrival a = {}) {
    return run_case(case_spec{&w, params(std::move(p)), parse_model(model), a});
}

}  // namespace simul::testing
