#pragma once
// A workload says what one task does. It is a stateless definition: its
// parameters with their quick and full grids, how many tasks a parameter set
// makes, the ideal makespan for a model's shape, and prepare(), which does the
// set-up (data files, helper servers) and returns the tasks in both colours.
// Destroying what prepare() returned is the teardown.

#include "models/arrivals.hpp"
#include "models/model.hpp"
#include "models/task.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simul {

struct case_result;

struct param_spec {
    std::string name;  // appears in case names as name:value
    std::string help;
    std::vector<std::int64_t> quick;  // values swept by --scale=quick
    std::vector<std::int64_t> full;   // values swept by --scale=full
    // Named values: value v is choices[v] in case names and on the command
    // line (cache:cold, cache:warm). Empty for plain numbers.
    std::vector<std::string> choices = {};
    // Read by the coroutine colour only: values after the first are swept
    // for coroutine models only (other models would run the same case twice).
    bool async_only = false;

    std::string text(std::int64_t v) const;  // "cold", or "1000"
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

class workload {
public:
    virtual ~workload() = default;

    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    virtual std::vector<param_spec> params() const = 0;

    virtual std::size_t tasks(const simul::params& p) const = 0;

    // The physical limit: the shortest makespan any model of this shape can
    // reach. The meter reports measured ÷ ideal as efficiency, and the
    // harness skips a case whose ideal is over its time budget.
    virtual double ideal_s(const simul::params& p, const model_shape& shape) const = 0;

    // The ideal once prepare() has run, which the case reports. A workload
    // whose tasks do calibrated CPU work (chess's thinking) times that work in
    // this process just before the case and computes the ideal from it, so
    // that the ideal stays a true lower bound. The default is ideal_s.
    virtual double ideal_s_measured(const simul::params& p, const model_shape& shape,
                                    const task_source& /*prepared*/) const {
        return ideal_s(p, shape);
    }

    // For open-loop (rate) cases. count_param names the parameter that
    // counts tasks (a rate case sets it to λ × duration); empty: no rate
    // cases. service_s is how long one task takes on its own, cpu_s the CPU
    // time within it; they give each model's capacity (see capacity()).
    virtual std::string_view count_param() const { return {}; }
    virtual double service_s(const simul::params& /*p*/) const { return 0; }
    virtual double cpu_s(const simul::params& /*p*/) const { return 0; }

    // The rate sweep of the default run: values for some parameters (the
    // others take their first grid value), the offered rates, and seconds of
    // arrivals. No rates: none in the default run.
    struct rate_sweep {
        std::vector<std::pair<std::string, std::int64_t>> fixed;
        std::vector<double> rates;
        double duration_s = 1;
    };
    virtual rate_sweep default_rates(bool /*quick*/) const { return {}; }

    // File descriptors a case needs at once (sockets, files); the harness
    // skips a case that needs more than RLIMIT_NOFILE allows.
    virtual std::size_t descriptors(const simul::params& /*p*/, const model_shape& /*shape*/) const { return 0; }

    // Refuses parameter values no case can run with (sizes out of bounds,
    // products that overflow, an unusable folder): throws usage_error
    // (support/usage_error.hpp), so the run ends with one line and exit code 2
    // before anything runs. Called when a case_spec is made.
    virtual void check(const simul::params& /*p*/) const {}

    // Set-up: returns the tasks, ready to run. Not timed and not metered.
    virtual std::unique_ptr<task_source> prepare(const simul::params& p) const = 0;

    // Optional, for workloads whose tasks arrive from outside (a server's
    // connections) and whose figures come partly from a helper (a load
    // generator). `tasks` is what prepare() returned.
    //   own_arrivals  the arrivals to use instead of the case's schedule
    //   on_start      at t0, just before the model runs
    //   on_end        after the run and the meter: add or replace figures
    virtual arrivals* own_arrivals(task_source& /*tasks*/) const { return nullptr; }
    virtual void on_start(task_source& /*tasks*/) const {}
    virtual void on_end(task_source& /*tasks*/, case_result& /*result*/) const {}
};

// Tasks per second a model of this shape can sustain: concurrency ÷ service
// time, and no more than its CPUs can think (cpu_parallelism ÷ CPU time per
// task). 0 when the workload alone predicts no bound: thread-per-task and the
// loop on pure waits are bounded by thread creation, memory or the loop's own
// per-task cost, which the suite measures rather than predicts.
double capacity(const workload& w, const params& p, const model_shape& shape);

}  // namespace simul
