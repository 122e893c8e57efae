#pragma once
// A workload says what one task does. It is mostly data: its parameters with
// their grids, one of which counts the tasks, and how long a task takes on
// its own. From these the defaults derive the task count, the ideal makespan
// for a model's shape, the capacity and the file descriptors a case needs.
// prepare() does the set-up (data files, helper servers) and returns the
// tasks in both colours, with the hooks a case may need; destroying what it
// returned is the teardown. docs/ADDING_A_WORKLOAD.md walks through one.

#include "bench/case/result.hpp"
#include "models/arrivals.hpp"
#include "models/model.hpp"
#include "models/task.hpp"
#include "support/usage_error.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simul {

struct param_spec {
    std::string name;  // appears in case names as name:value
    std::string help;
    std::vector<std::int64_t> quick;  // values swept by --scale=quick
    std::vector<std::int64_t> full;   // values swept by --scale=full
    // The one value --scale=smoke runs, and the cross-model tests with it:
    // small enough that every model runs the case in a fraction of a second.
    // Unset: the first quick value.
    std::optional<std::int64_t> smoke = {};
    // This parameter counts the tasks, one task per unit. At most one per
    // workload; rate cases set it to rate × duration.
    bool counts_tasks = false;
    // Named values: value v is choices[v] in case names and on the command
    // line (cache:cold, cache:warm). Empty for plain numbers.
    std::vector<std::string> choices = {};
    // Read by the coroutine colour only: values after the first are swept
    // for coroutine models only (other models would run the same case twice).
    bool async_only = false;

    std::string text(std::int64_t v) const;  // "cold", or "1000"
    std::int64_t smoke_value() const { return smoke ? *smoke : quick.front(); }
};

// One value per parameter, in the order the workload declares them.
class params {
public:
    params() = default;
    // texts: how each value reads in the case name; defaults to the number.
    explicit params(std::vector<std::pair<std::string, std::int64_t>> values, std::vector<std::string> texts = {});

    // The value of a declared parameter; throws std::out_of_range otherwise.
    std::int64_t operator[](std::string_view name) const;

    const std::vector<std::pair<std::string, std::int64_t>>& values() const { return values_; }
    std::string name() const;  // "tasks:1000/wait_ms:100", "files:64/cache:cold"

private:
    std::vector<std::pair<std::string, std::int64_t>> values_;
    std::vector<std::string> texts_;
};

// What prepare() returns: the tasks in both colours, which the models see,
// and the hooks the case runner calls around them. The defaults do nothing;
// a workload overrides the ones it needs on its own tasks' class.
class prepared_tasks : public task_source {
public:
    // Tasks that arrive from outside (a server's connections): the arrivals
    // to use instead of the case's schedule. Null: the schedule. A workload
    // that returns one also says so in workload::own_arrivals().
    virtual arrivals* own_arrivals() { return nullptr; }
    // At t0, just before the model runs (start a load generator).
    virtual void on_start() {}
    // After the run and the meter: add or replace figures (a helper's).
    virtual void on_end(case_result& /*result*/) {}
    // The ideal from what the tasks' calibrated work costs now, for a
    // workload whose tasks do CPU work (chess times its thinking in this
    // process just before the case), so that it stays a true lower bound.
    // Unset: workload::ideal_s.
    virtual std::optional<double> measured_ideal_s(const model_shape& /*shape*/) const { return std::nullopt; }

    // For peers (docs/PEERS.md), which run the tasks in a program of their
    // own: what the program needs beyond the parameters, as environment
    // variables (fetch: where its delay server listens), and the checksum
    // task i must return, which the peer's every record is checked against.
    // No expected checksum: the peer's is taken as it comes.
    virtual std::vector<std::pair<std::string, std::string>> peer_environment() const { return {}; }
    // A listening socket the peer accepts the tasks' connections from (serve),
    // which it gets as its fd 3; -1: none.
    virtual int peer_listen_fd() const { return -1; }
    virtual std::optional<std::uint64_t> expected_checksum(std::size_t /*i*/) const { return std::nullopt; }
};

class workload {
public:
    virtual ~workload() = default;

    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    virtual std::vector<param_spec> params() const = 0;

    // Set-up: returns the tasks, ready to run. Not timed and not metered.
    virtual std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const = 0;

    // Whether the tasks have the optional stackful colour (models/task.hpp):
    // a workload whose tasks override stackful() says true. Without it, the
    // stackful models' cases are skipped ("no stackful colour") before they
    // run, and the sweep goes on.
    virtual bool has_stackful() const { return false; }

    // How long one task takes on its own (service_s), and the CPU time
    // within it (cpu_s). They give the default ideal and each model's
    // capacity; a workload that states neither gets no rate predictions.
    virtual double service_s(const simul::params& /*p*/) const { return 0; }
    virtual double cpu_s(const simul::params& /*p*/) const { return 0; }
    // Tasks that can be in flight at once whatever the model: a workload
    // whose tasks share K permits (a connection pool) says K. The default
    // ideal, the capacity and the memory estimate use the smaller of this
    // and the model's concurrency.
    virtual double max_in_flight(const simul::params& /*p*/) const { return std::numeric_limits<double>::infinity(); }

    // Derived from the parameter marked counts_tasks, which every workload
    // has: the task count (its value), and the parameter a rate case sets
    // (its name; empty when the tasks arrive by themselves).
    std::size_t task_count(const simul::params& p) const;
    std::string count_param() const;

    // The physical limit: the shortest makespan any model of this shape can
    // reach. The meter reports measured ÷ ideal as efficiency, and the
    // harness skips a case whose ideal is over its time budget. The default:
    // waves of in-flight tasks, each one service_s long, and no sooner than
    // the model's CPUs can do every task's cpu_s.
    virtual double ideal_s(const simul::params& p, const model_shape& shape) const;

    // File descriptors a case needs at once (sockets, files); the harness
    // skips a case that needs more than RLIMIT_NOFILE allows. The default:
    // descriptors_per_task for each task in flight.
    virtual std::size_t descriptors_per_task() const { return 0; }
    virtual std::size_t descriptors(const simul::params& p, const model_shape& shape) const;

    // The rate sweep of the default run: values for some parameters (the
    // others take their first grid value), the offered rates, and seconds of
    // arrivals. No rates: none in the default run.
    struct rate_sweep {
        std::vector<std::pair<std::string, std::int64_t>> fixed;
        std::vector<double> rates;
        double duration_s = 1;
    };
    virtual rate_sweep default_rates(bool /*quick*/) const { return {}; }

    // True when the tasks arrive from outside, through the prepared tasks'
    // own_arrivals() (serve's connections): such a workload has no rate cases.
    virtual bool own_arrivals() const { return false; }

    // Refuses parameter values no case can run with (sizes out of bounds,
    // products that overflow, an unusable folder): throws usage_error
    // (support/usage_error.hpp), so the run ends with one line and exit code
    // 2 before anything runs. Called when a case_spec is made.
    virtual void refuse_bad_params(const simul::params& /*p*/) const {}

    // In flight at once: the model's concurrency, this workload's bound and
    // the task count, whichever is least.
    double in_flight(const simul::params& p, const model_shape& shape) const;
};

// The one instance of a workload class, for the accessor workloads.def names:
//   const workload& sleep_workload() { return the_workload<sleep_workload_t>(); }
template <class W>
const workload& the_workload() {
    static const W w;
    return w;
}

// Tasks per second a model of this shape can sustain: tasks in flight ÷
// service time, and no more than its CPUs can think (cpu_parallelism ÷ CPU
// time per task). 0 when the workload alone predicts no bound: thread-per-task
// and the loop on pure waits are bounded by thread creation, memory or the
// loop's own per-task cost, which the suite measures rather than predicts.
double capacity(const workload& w, const params& p, const model_shape& shape);

}  // namespace simul
