#pragma once
// A case: one workload with one parameter set, run under one model with one
// arrival pattern. Running it yields one result row.

#include "bench/core/arrival.hpp"
#include "bench/core/meter.hpp"
#include "bench/core/percentiles.hpp"
#include "bench/core/system.hpp"
#include "bench/core/workload.hpp"
#include "models/model.hpp"
#include "models/trace.hpp"

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace simul {

struct case_spec {
    case_spec() = default;
    // Checks the parameters (workload::check): values no case can run with
    // are a usage error when the sweep is made, not a failure of every case.
    case_spec(const workload* w, simul::params p, model_spec m, simul::arrival a = {});

    const workload* work = nullptr;
    simul::params params;
    model_spec model;
    simul::arrival arrival;

    // "<workload>/<model>/<param>:<value>/...", e.g. sleep/thread_pool:24/tasks:1000/wait_ms:100,
    // then the arrival for rate cases: .../arrival:rate/rate:1000
    std::string name() const;
    std::size_t tasks() const { return work->tasks(params); }
    // The physical limit; for rate arrivals no earlier than the last arrival
    // plus one task's service. With the prepared tasks, from what their
    // calibrated work costs now (workload::ideal_s_measured).
    double ideal_s(const task_source* prepared = nullptr) const;
    double capacity() const { return simul::capacity(*work, params, model.shape(tasks())); }
    // What the budget is checked against: the ideal, or, for a rate above
    // the model's capacity, the time to work off the backlog.
    double predicted_s() const;
    // Memory the case needs at the least: the harness's records of every
    // task, and each in-flight task's thread stack or coroutine frames. The
    // harness skips a case whose need is over what the machine has free, as
    // the time budget skips one that would take too long.
    double memory_bytes() const;
};

// MemAvailable from /proc/meminfo in bytes; -1 if it cannot be read.
std::int64_t available_memory_bytes();

struct case_result {
    std::size_t tasks = 0;   // completed
    std::size_t failed = 0;  // failed or never started
    double makespan_s = 0;   // from t0 until the model returned
    latency_summary latency;
    meter_reading cost;
    std::size_t in_flight_peak = 0;  // tasks started but not ended, at the most
    double mem_per_task_bytes = 0;   // mem_peak_bytes ÷ in_flight_peak
    double mem_total_per_task_bytes = 0;  // (mem_peak_bytes + mem_kernel_bytes) ÷ in_flight_peak
    double ideal_s = 0;
    double efficiency = 0;        // ideal_s ÷ makespan_s
    double arrival_rate = 0;      // tasks handed out per second (achieved)
    std::size_t backlog_peak = 0; // tasks due but not started, at the worst
    double capacity = 0;          // predicted tasks/s the model sustains; 0: no bound predicted
    std::uint64_t checksum = 0;   // sum of task checksums, mod 2^52
    std::string label;            // the limit a model hit, or the first task error
    // Set by the harness around run_case: which round of the case this was
    // (bench/core/rounds.hpp), and what the machine was doing meanwhile.
    int round = 0;
    host_activity host;
    // Figures only some workloads have (serve: the offered and achieved rate).
    std::vector<std::pair<std::string, double>> extra;
};

// The case could not run (set-up failed, the pool could not start, a helper
// failed, memory ran out). run_case turns every exception into one of these.
struct case_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Prints a progress line about once a second for long runs: ended tasks of all.
using progress_sink = std::function<void(const std::string& line)>;

// Called with the finished trace, e.g. to save it (--trace-dir).
using trace_sink = std::function<void(const trace& tr)>;

case_result run_case(const case_spec& c, const progress_sink& progress = {}, const trace_sink& on_trace = {});

// Tasks in flight at the most, from the start/end slots of a finished trace.
std::size_t in_flight_peak(const trace& tr);

}  // namespace simul
