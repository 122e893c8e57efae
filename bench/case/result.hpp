#pragma once
// What one run of a case yields: one row of figures. Workloads whose figures
// come partly from a helper (serve) add to it in their on_end hook, so it
// stands apart from the case runner.

#include "bench/case/meter.hpp"
#include "support/percentiles.hpp"
#include "support/system.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace simul {

struct case_result {
    std::size_t tasks = 0;   // completed
    std::size_t failed = 0;  // failed or never started
    double makespan_s = 0;   // from t0 until the model returned
    latency_summary latency;
    meter_reading cost;
    std::size_t in_flight_peak = 0;         // tasks started but not ended, at the most
    double mem_per_task_bytes = 0;          // mem_peak_bytes ÷ in_flight_peak
    double mem_total_per_task_bytes = 0;    // (mem_peak_bytes + mem_kernel_bytes) ÷ in_flight_peak
    double mem_virtual_per_task_bytes = 0;  // mem_virtual_bytes ÷ in_flight_peak
    double ideal_s = 0;
    double efficiency = 0;         // ideal_s ÷ makespan_s
    double arrival_rate = 0;       // tasks handed out per second (achieved)
    std::size_t backlog_peak = 0;  // tasks due but not started, at the worst
    double capacity = 0;           // predicted tasks/s the model sustains; 0: no bound predicted
    std::uint64_t checksum = 0;    // sum of task checksums, mod 2^52
    std::string label;             // the limit a model hit, or the first task error
    // Set by the harness around run_case: which round of the case this was
    // (bench/harness/rounds.hpp), and what the machine was doing meanwhile.
    int round = 0;
    host_activity host;
    // Figures only some workloads have (serve: the offered and achieved rate).
    std::vector<std::pair<std::string, double>> extra;
};

}  // namespace simul
