#include "bench/harness/benchmarks.hpp"

#include "support/system.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

namespace simul {
namespace {

// Every counter of bench/harness/counters.def, then the workload's own figures.
void report_counters(benchmark::State& state, const case_result& r) {
#define SIMUL_COUNTER(name, value, help) state.counters[#name] = (value);
#include "bench/harness/counters.def"
#undef SIMUL_COUNTER
    for (const auto& [name, value] : r.extra) state.counters[name] = value;
    if (!r.label.empty()) state.SetLabel(r.label);
}

// A round that auto rounds turned out not to need ends as a skip with this
// message; rounds_reporter keeps it out of the console and the JSON.
constexpr std::string_view round_not_needed = "simul: round not needed";

class rounds_reporter final : public benchmark::BenchmarkReporter {
public:
    explicit rounds_reporter(benchmark::BenchmarkReporter& inner) : inner_(inner) {}
    bool ReportContext(const Context& c) override {
        inner_.SetOutputStream(&GetOutputStream());  // Google Benchmark points ours at --benchmark_out
        inner_.SetErrorStream(&GetErrorStream());
        return inner_.ReportContext(c);
    }
    void ReportRuns(const std::vector<Run>& runs) override {
        std::vector<Run> kept;
        for (const auto& r : runs)
            if (!r.error_occurred || r.error_message != round_not_needed) kept.push_back(r);
        if (!kept.empty()) inner_.ReportRuns(kept);
    }
    void Finalize() override { inner_.Finalize(); }

private:
    benchmark::BenchmarkReporter& inner_;
};

void run_one(benchmark::State& state, sweep& s, std::size_t i, int round, std::size_t position) {
    const case_spec& c = s.cases[i];
    case_rounds& rounds = s.rounds[i];
    if (!rounds.wants(round, s.rule)) {
        state.SkipWithError(std::string(round_not_needed).c_str());
        return;
    }
    const std::string name = c.name();
    const int left = int(std::lround(s.seconds_left()));
    std::fprintf(stderr, "[round %d, %zu/%zu] %s  (about %d min %02d s left)\n", round + 1, position + 1,
                 s.cases.size(), name.c_str(), left / 60, left % 60);
    if (!s.skips[i].empty()) {
        rounds.stopped = true;
        state.SkipWithError(s.skips[i].c_str());
        return;
    }
    const trace_sink save = s.traces.dir.empty() ? trace_sink{} : trace_sink([&](const trace& tr) {
        if (round > 0) return;  // one timeline per case: the first round's
        try {                   // a trace that cannot be written costs its timeline, not the result
            save_trace(s.traces, name, tr);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "simul-bench: trace of %s: %s\n", name.c_str(), e.what());
        }
    });
    case_result result;
    for (auto _ : state) {
        const host_sample before = sample_host();
        const auto begun = std::chrono::steady_clock::now();
        try {
            result = run_any(
                c, s.peer_timeout_s, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }, save);
        } catch (const case_skipped& e) {  // a peer that cannot do the workload
            rounds.stopped = true;
            state.SkipWithError(e.what());
            break;
        } catch (const std::exception& e) {  // run_case throws case_error; anything else fails this case too
            rounds.stopped = true;           // a case that failed once is not run again
            state.SkipWithError(fmt::format("failed: {}", e.what()).c_str());
            break;
        }
        rounds.wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
        rounds.makespans_s.push_back(result.makespan_s);
        result.round = round;
        result.host = host_between(before, sample_host());
        state.SetIterationTime(result.makespan_s);
    }
    if (!state.error_occurred()) report_counters(state, result);
}

}  // namespace

void register_benchmarks(sweep& s, int rounds) {
    std::vector<bool> single;
    for (const auto& skip : s.skips) single.push_back(!skip.empty());
    for (const auto& [i, round] : round_order(s.cases.size(), rounds, single)) {
        const std::size_t position = round % 2 == 0 ? i : s.cases.size() - 1 - i;
        benchmark::RegisterBenchmark(
            s.cases[i].name().c_str(),
            [&s, i, round, position](benchmark::State& state) { run_one(state, s, i, round, position); })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
}

bool listing_only(int argc, char** argv) {
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.starts_with("--benchmark_list_tests"))
            list = a == "--benchmark_list_tests" || a == "--benchmark_list_tests=true" ||
                   a == "--benchmark_list_tests=1";
    }
    return list;
}

int run_benchmarks(int argc, char** argv, results_file* out, const std::string& out_format) {
    std::vector<std::string> out_flags;
    if (out) out_flags = {"--benchmark_out=" + out->write_path(), "--benchmark_out_format=" + out_format};
    std::vector<char*> gb_argv(argv, argv + argc);
    for (auto& f : out_flags) gb_argv.push_back(f.data());
    int gb_argc = int(gb_argv.size());
    gb_argv.push_back(nullptr);

    benchmark::Initialize(&gb_argc, gb_argv.data());
    if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data())) return 2;
    rounds_reporter display(*benchmark::CreateDefaultDisplayReporter());
    std::optional<rounds_reporter> file;
    if (out) file.emplace(out->reporter());
    benchmark::RunSpecifiedBenchmarks(&display, file ? &*file : nullptr);
    benchmark::Shutdown();
    if (out) {
        try {
            out->commit();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "simul-bench: %s\n", e.what());
            return 1;
        }
    }
    return 0;
}

}  // namespace simul
