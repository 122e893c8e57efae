#pragma once
// The sweep as Google Benchmark benchmarks. Every (case, round) is one
// benchmark: one iteration, whose manual time is the makespan and whose user
// counters are the case's figures (bench/harness/counters.def), so they land
// in the console and the JSON.

#include "bench/harness/results_file.hpp"
#include "bench/harness/sweep.hpp"

#include <string>

namespace simul {

// Registers `rounds` rounds of every case of s, in the order they run
// (round_order, bench/harness/rounds.hpp); a case skipped before it runs is
// registered once. s must outlive the run.
void register_benchmarks(sweep& s, int rounds);

// --benchmark_list_tests: Google Benchmark only prints the names, so each
// case is registered once. The last one counts, as in Google Benchmark.
bool listing_only(int argc, char** argv);

// Runs the registered benchmarks with the Google Benchmark flags left in
// argv, and writes `out` (--benchmark_out) if given. Returns the exit code: 2
// for a flag Google Benchmark does not know, 1 if `out` could not be written.
int run_benchmarks(int argc, char** argv, results_file* out, const std::string& out_format);

}  // namespace simul
