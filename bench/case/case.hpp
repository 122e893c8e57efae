#pragma once
// A case: one workload with one parameter set, run under one model with one
// arrival pattern. Running it yields one result row.

#include "bench/case/arrival.hpp"
#include "bench/case/result.hpp"
#include "bench/case/workload.hpp"
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
    // Checks the parameters (workload::refuse_bad_params): values no case can run with
    // are a usage error when the sweep is made, not a failure of every case.
    case_spec(const workload* w, simul::params p, model_spec m, simul::arrival_pattern a = {});

    const workload* work = nullptr;
    simul::params params;
    model_spec model;
    simul::arrival_pattern arrival;

    // "<workload>/<model>/<param>:<value>/...", e.g. sleep/thread_pool:24/tasks:1000/wait_ms:100,
    // then the arrival for rate cases: .../arrival:rate/rate:1000
    std::string name() const;
    std::size_t task_count() const { return work->task_count(params); }
    // The physical limit; for rate arrivals no earlier than the last arrival
    // plus one task's service. With the prepared tasks, from what their
    // calibrated work costs now (prepared_tasks::measured_ideal_s).
    double ideal_s(const prepared_tasks* prepared = nullptr) const;
    double capacity() const { return simul::capacity(*work, params, model.shape(task_count())); }
    // What the budget is checked against: the ideal, or, for a rate above
    // the model's capacity, the time to work off the backlog.
    double predicted_s() const;
    // Memory the case needs at the least: the harness's records of every
    // task, and each in-flight task's thread stack or coroutine frames. The
    // harness skips a case whose need is over what the machine has free, as
    // the time budget skips one that would take too long.
    double memory_bytes() const;
    // File descriptors the case holds at once: its tasks', and headroom for
    // the process's own (stdio, epoll, pipes, the meter's /proc files).
    std::size_t descriptors() const { return work->descriptors(params, model.shape(task_count())) + 64; }
};

// MemAvailable from /proc/meminfo in bytes; -1 if it cannot be read.
std::int64_t available_memory_bytes();

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

// The figures a finished trace gives (tasks, failures, checksum, latency, the
// in-flight peak, arrivals), and memory per task from the meter's reading
// already in r.cost. run_case's, and a peer's case's (bench/peer).
void summarize(const trace& tr, case_result& r);

// A case that is not run, and why: not a failure (a peer that says it cannot
// do the workload fairly). The harness reports it as skipped.
struct case_skipped : case_error {
    using case_error::case_error;
};

}  // namespace simul
