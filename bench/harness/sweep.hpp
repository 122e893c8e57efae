#pragma once
// The sweep simul-bench runs: the cases --benchmark_filter selects, why a
// case is skipped before it runs, and each case's rounds so far.

#include "bench/case/case.hpp"
#include "bench/harness/cli.hpp"
#include "bench/harness/rounds.hpp"
#include "bench/harness/trace_csv.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace simul {

// The sweep as it goes: each case's rounds so far, for auto rounds and for
// the progress line. Benchmarks run one at a time, so no lock.
struct sweep {
    std::vector<case_spec> cases;
    std::vector<std::string> skips;  // skip_reason of each case
    std::vector<case_rounds> rounds;
    round_rule rule;
    trace_options traces;
    double peer_timeout_s = 0;  // how long a peer may take over a case (options::peer_timeout)

    // Decides which cases are skipped before they run (skip_reason), and
    // makes room for every case's rounds.
    void prepare(double budget, std::uint64_t fd_limit);
    // The cases that are not skipped.
    std::vector<const case_spec*> runnable() const;
    // Seconds the sweep still needs at the most, from the rounds that ran.
    double seconds_left() const;
};

// The cases of the options that --benchmark_filter selects, with the rounds
// rule and the trace options. Throws usage_error if the filter matches none.
sweep select_cases(const options& opt);

// The budget bounds memory as well as time: a case whose least need is over
// what the machine has free would only fail (std::bad_alloc) or swap.
bool over_memory(const case_spec& c);

// Why a case is skipped before it runs (budget, descriptors, memory), or "".
std::string skip_reason(const case_spec& c, double budget, std::uint64_t fd_limit);

// --list: each case with its ideal makespan, and whether it would be skipped.
void print_list(const std::vector<case_spec>& cases, const options& opt);

// Makes --trace-dir's folder; throws usage_error if it cannot.
void make_trace_dir(const trace_options& traces);

// Runs a case under its model, or under its peer (bench/peer): throws
// case_error, or case_skipped.
case_result run_any(const case_spec& c, double peer_timeout_s, const progress_sink& progress = {},
                    const trace_sink& on_trace = {});

// Runs each model of the cases once on a trivial case, unreported, so that
// one-time initialisation (oneTBB's scheduler, Asio's services, first-touch
// of the code) is not charged to whichever case comes first. Only those
// models: one the filter left out may not even start here.
void warm_up(const std::vector<const case_spec*>& cases);

}  // namespace simul
