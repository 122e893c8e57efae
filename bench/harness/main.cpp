// simul-bench: every case of the sweep as one Google Benchmark benchmark.
// One iteration is one whole run; its manual time is the makespan, and every
// meter figure is a user counter, so it lands in the console and the JSON.

#include "bench/case/case.hpp"
#include "bench/harness/cli.hpp"
#include "bench/harness/context.hpp"
#include "bench/harness/results_file.hpp"
#include "bench/harness/rounds.hpp"
#include "support/settings.hpp"
#include "support/system.hpp"
#include "bench/harness/trace_csv.hpp"
#include "bench/workloads/registry.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace {

using namespace simul;

// Every counter of bench/harness/counters.def, then the workload's own figures.
void report_counters(benchmark::State& state, const case_result& r) {
#define SIMUL_COUNTER(name, value, help) state.counters[#name] = (value);
#include "bench/harness/counters.def"
#undef SIMUL_COUNTER
    for (const auto& [name, value] : r.extra) state.counters[name] = value;
    if (!r.label.empty()) state.SetLabel(r.label);
}

// The budget bounds memory as well as time: a case whose least need is over
// what the machine has free would only fail (std::bad_alloc) or swap.
bool over_memory(const case_spec& c) {
    const std::int64_t have = available_memory_bytes();  // -1: unknown, and then not checked
    return have > 0 && c.memory_bytes() > double(have);
}

// Why a case is skipped before it runs (budget, descriptors, memory), or "".
std::string skip_reason(const case_spec& c, double budget, std::uint64_t fd_limit) {
    if (c.predicted_s() > budget) {
        if (c.predicted_s() > c.ideal_s())
            return fmt::format("skipped: saturated: capacity {:.0f} tasks/s is below the rate of {:g}; "
                               "working off the backlog would take {:.1f} s, over the budget of {:g} s",
                               c.capacity(), c.arrival.per_second, c.predicted_s(), budget);
        return fmt::format("skipped: predicted makespan {:.1f} s is over the budget of {:g} s (--budget)",
                           c.predicted_s(), budget);
    }
    // Headroom for the process's own descriptors (stdio, epoll, pipes).
    const std::size_t fds = c.work->descriptors(c.params, c.model.shape(c.tasks())) + 64;
    if (fds > fd_limit)
        return fmt::format("skipped: needs about {} file descriptors at once; RLIMIT_NOFILE is {} (raise it: "
                           "ulimit -n)", fds, fd_limit);
    if (over_memory(c))
        return fmt::format("skipped: needs at least {:.3g} MiB for {} tasks; only {:.0f} MiB of memory is "
                           "available (MemAvailable)", c.memory_bytes() / 1048576, c.tasks(),
                           double(available_memory_bytes()) / 1048576);
    return {};
}

// Runs each model of the selected cases once on a trivial case, unreported,
// so that one-time initialisation (oneTBB's scheduler, Asio's services,
// first-touch of the code) is not charged to whichever case comes first.
// Only those models: one the filter left out may not even start here.
void warm_up(const std::vector<const case_spec*>& cases) {
    std::vector<std::string> models;
    for (const case_spec* c : cases)
        if (std::find(models.begin(), models.end(), c->model.name()) == models.end()) models.push_back(c->model.name());
    std::fprintf(stderr, "warming up: %s\n", fmt::format("{}", fmt::join(models, ", ")).c_str());
    for (const case_spec* c : cases) {
        const auto pending = std::find(models.begin(), models.end(), c->model.name());
        if (pending == models.end()) continue;
        models.erase(pending);
        try {
            run_case(case_spec{&sleep_workload(), params({{"tasks", 2}, {"wait_ms", 1}}), c->model, {}});
        } catch (const case_error&) {
            // A model that cannot start fails its own cases, each saying so.
        }
    }
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

// The sweep as it goes: each case's rounds so far, for auto rounds and for
// the progress line. Benchmarks run one at a time, so no lock.
struct sweep {
    std::vector<case_spec> cases;
    std::vector<std::string> skips;  // skip_reason of each case
    std::vector<case_rounds> rounds;
    round_rule rule;
    trace_options traces;

    // Seconds the sweep still needs at the most, from the rounds that ran.
    double seconds_left() const {
        double left = 0;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const auto& r = rounds[i];
            if (r.stopped || !skips[i].empty()) continue;
            const double each = r.expected_s() > 0 ? r.expected_s() : cases[i].predicted_s() + 0.05;
            const int ran = int(r.makespans_s.size());
            int more = rule.fixed > 0 ? rule.fixed - ran : std::max(0, rule.least - ran);
            if (rule.fixed == 0 && each > 0)
                more += std::min(rule.most - std::max(ran, rule.least), int(rule.share_s / each));
            left += std::max(0, more) * each;
        }
        return left;
    }
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
        try {  // a trace that cannot be written costs its timeline, not the result
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
            result = run_case(c, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }, save);
        } catch (const std::exception& e) {  // run_case throws case_error; anything else fails this case too
            rounds.stopped = true;  // a case that failed once is not run again
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

// --benchmark_list_tests: Google Benchmark only prints the names, so each
// case is registered once. The last one counts, as in Google Benchmark.
bool listing_only(int argc, char** argv) {
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.starts_with("--benchmark_list_tests"))
            list = a == "--benchmark_list_tests" || a == "--benchmark_list_tests=true" || a == "--benchmark_list_tests=1";
    }
    return list;
}

void print_list(const std::vector<case_spec>& cases, const options& opt) {
    for (const auto& c : cases)
        if (selected(benchmark_name(c), opt.filter))
            fmt::print("{:<70} ideal {:>9.3f} s{}\n", c.name(), c.ideal_s(),
                       c.predicted_s() > opt.budget() ? "  (over budget: skipped)"
                       : over_memory(c)               ? "  (over memory: skipped)"
                                                      : "");
}

int run(int argc, char** argv) {
    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i > 0 ? " " : "") + std::string(argv[i]);

    const options opt = parse_args(argc, argv);
    if (opt.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (!opt.data_dir.empty()) set_data_dir(opt.data_dir);
    static sweep s;  // outlives the benchmarks that refer to it
    s.rule = opt.rounds;
    s.traces = opt.traces;
    for (auto& c : make_cases(opt))
        if (selected(benchmark_name(c), opt.filter)) s.cases.push_back(std::move(c));
    if (s.cases.empty())
        throw usage_error(fmt::format("--benchmark_filter: '{}' matches no case (see --list for the names, or "
                                      "--benchmark_list_tests for the names the filter is matched against)",
                                      opt.filter));
    if (opt.list) {
        print_list(s.cases, opt);
        return 0;
    }
    if (!opt.traces.dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(opt.traces.dir, ec);
        if (ec || !std::filesystem::is_directory(opt.traces.dir))
            throw usage_error(fmt::format("--trace-dir: cannot make the folder '{}': {}", opt.traces.dir,
                                          ec ? ec.message() : "a file is in the way"));
    }

    // Descriptors are a resource the socket models need by the thousand.
    const std::uint64_t fd_limit = raise_fd_limit();
    ignore_sigpipe();

    // Every (case, round) is one benchmark, registered in the order they run.
    std::vector<bool> single;
    for (const auto& c : s.cases) {
        s.skips.push_back(skip_reason(c, opt.budget(), fd_limit));
        single.push_back(!s.skips.back().empty());
    }
    s.rounds.resize(s.cases.size());
    const int rounds = listing_only(argc, argv) ? 1 : s.rule.rounds_registered();
    for (const auto& [i, round] : round_order(s.cases.size(), rounds, single)) {
        const std::size_t position = round % 2 == 0 ? i : s.cases.size() - 1 - i;
        benchmark::RegisterBenchmark(s.cases[i].name().c_str(),
                                     [i, round, position](benchmark::State& state) { run_one(state, s, i, round, position); })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }

    // Checked before anything runs: an unwritable target is a usage error.
    std::optional<results_file> out;
    std::vector<std::string> out_flags;
    if (!opt.out_path.empty()) {
        out.emplace(opt.out_path, opt.out_format);
        out_flags = {"--benchmark_out=" + out->write_path(), "--benchmark_out_format=" + opt.out_format};
    }
    std::vector<char*> gb_argv(argv, argv + argc);
    for (auto& f : out_flags) gb_argv.push_back(f.data());
    int gb_argc = int(gb_argv.size());
    gb_argv.push_back(nullptr);

    std::vector<const case_spec*> runnable;
    for (std::size_t i = 0; i < s.cases.size(); ++i)
        if (s.skips[i].empty()) runnable.push_back(&s.cases[i]);
    s.rule.share_s = s.rule.share_for(runnable.size());
    warm_up(runnable);
    add_context(command_line, s.rule);
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

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "simul-bench: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {  // outside any case: the run cannot go on
        std::fprintf(stderr, "simul-bench: %s\n", e.what());
        return 1;
    }
}
