#pragma once
// simul-bench's own flags and the sweep they select. Google Benchmark's flags
// (--benchmark_filter, --benchmark_out, ...) are left for it to parse.

#include "bench/case/case.hpp"
#include "bench/harness/rounds.hpp"
#include "bench/harness/trace_csv.hpp"
#include "support/usage_error.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace simul {

enum class scale { quick, full, smoke };

struct options {
    simul::scale scale = scale::quick;
    bool list = false;
    bool help = false;
    double budget_s = 0;             // 0: the scale's default
    std::vector<model_spec> models;  // empty: the default set
    std::vector<model_spec> peers;   // --peer: other runtimes' programs, run beside the models
    double peer_timeout_s = 0;       // --peer-timeout; 0: 60 s + twice the budget
    std::vector<std::pair<std::string, std::vector<std::string>>> overrides;  // --set, resolved by make_cases
    std::string data_dir;  // --data-dir; empty: the default (support/settings.hpp)
    // Where the socket workloads meet their helpers (bench/harness/network.hpp).
    std::string serve_bind, delay_bind;  // --serve-bind, --delay-bind; empty: 127.0.0.1
    std::string delay_server;            // --delay-server=HOST:PORT
    std::string helper_netns;            // --helper-netns=NAME
    std::string helper_via, helper_dir;  // --helper-via=COMMAND, --helper-dir=DIR
    // Arrivals. No --rate: burst cases, plus each workload's default rate
    // sweep unless --arrival=burst. --rate: rate cases only, at those rates.
    bool arrival_given = false;  // --arrival=...
    std::vector<double> rates;   // --rate, tasks/s
    double duration_s = 0;       // --duration: tasks = rate × duration; 0: the grid's count
    bool poisson = false;        // --poisson
    std::uint64_t seed = 1;      // --seed
    trace_options traces;        // --trace-dir, --trace-limit
    round_rule rounds;           // --rounds, --round-share
    // Google Benchmark flags simul-bench acts on too; the last one counts, as
    // in Google Benchmark. --benchmark_out is taken out of argv: main writes
    // it (bench/harness/results_file.hpp).
    std::string filter;               // --benchmark_filter, passed on as well
    std::string out_path;             // --benchmark_out; empty: none
    std::string out_format = "json";  // --benchmark_out_format

    double budget() const { return budget_s > 0 ? budget_s : scale == scale::full ? 120.0 : 6.0; }
    double peer_timeout() const { return peer_timeout_s > 0 ? peer_timeout_s : 60 + 2 * budget(); }
};

// Takes simul's flags out of argv (so Google Benchmark sees only its own) and
// checks the rest look like Google Benchmark flags and values. Throws
// usage_error.
options parse_args(int& argc, char** argv);

// Every case of the sweep, in order: workloads as registered, then each
// workload's parameter grid, then the models. Throws usage_error for --set
// values that a parameter does not take.
std::vector<case_spec> make_cases(const options& opt);

// The default models for a scale. Pools larger than a case's task count are
// left out of the default sweep: they would run exactly like a pool of that count.
std::vector<model_spec> default_models(simul::scale scale);

// Google Benchmark's filter: an extended regular expression searched for in
// the name, "" or "all" for every case, a leading '-' negates it. Throws
// usage_error if Google Benchmark would refuse the expression.
bool selected(const std::string& name, const std::string& filter);

// The name Google Benchmark gives a case, which --benchmark_filter is
// matched against: "<case>/iterations:1/manual_time".
std::string benchmark_name(const case_spec& c);

// --help.
std::string usage();

}  // namespace simul
