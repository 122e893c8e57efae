#pragma once
// --benchmark_out, written so that a failed write is never taken for a
// result. Google Benchmark writes into a temporary file beside the target
// through a reporter that checks every write; only a complete, synced file
// is renamed over the target, so the target is either the whole new run or
// what it was before. A target that is not a regular file (/dev/stdout, a
// pipe) is written in place, and still checked.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

namespace simul {

class results_file {
public:
    // format: json, csv or console. Throws usage_error if the target cannot
    // be written (its folder is missing or read-only, say).
    results_file(std::string target, const std::string& format);
    ~results_file();  // removes the temporary file unless committed
    results_file(const results_file&) = delete;
    results_file& operator=(const results_file&) = delete;

    // What Google Benchmark is to open (--benchmark_out=...).
    const std::string& write_path() const { return write_path_; }
    // The file reporter to pass to RunSpecifiedBenchmarks.
    benchmark::BenchmarkReporter& reporter() { return *reporter_; }

    // After the run: syncs and moves the file into place, if anything was
    // reported (--benchmark_list_tests reports nothing). Throws
    // std::runtime_error saying what failed if any write did.
    void commit();

private:
    std::string target_, write_path_;
    bool in_place_ = false, committed_ = false;
    std::unique_ptr<benchmark::BenchmarkReporter> reporter_;
};

}  // namespace simul
