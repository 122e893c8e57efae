// simul-bench: every case of the sweep as one Google Benchmark benchmark.
// One iteration is one whole run; its manual time is the makespan, and every
// meter figure is a user counter, so it lands in the console and the JSON.

#include "bench/core/case.hpp"
#include "bench/core/cli.hpp"
#include "bench/core/context.hpp"
#include "bench/core/results_file.hpp"
#include "bench/core/settings.hpp"
#include "bench/core/system.hpp"
#include "bench/core/trace_csv.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <optional>
#include <string>

namespace {

using namespace simul;

// The value of a Google Benchmark flag left in argv, or fallback. The last
// one counts, as in Google Benchmark.
std::string flag_value(int argc, char** argv, std::string_view flag, std::string fallback) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=')
            fallback = std::string(a.substr(flag.size() + 1));
    }
    return fallback;
}

// Every counter of bench/core/counters.def, then the workload's own figures.
void report_counters(benchmark::State& state, const case_result& r) {
#define SIMUL_COUNTER(name, value, help) state.counters[#name] = (value);
#include "bench/core/counters.def"
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

// Runs each model once on a trivial case, unreported, so that one-time
// initialisation (oneTBB's scheduler, Asio's services, first-touch of the
// code) is not charged to whichever case happens to come first.
void warm_up(const std::vector<case_spec>& cases) {
    std::vector<std::string> done;
    for (const auto& c : cases) {
        if (std::find(done.begin(), done.end(), c.model.name()) != done.end()) continue;
        done.push_back(c.model.name());
        try {
            run_case(case_spec{&sleep_workload(), params({{"tasks", 2}, {"wait_ms", 1}}), c.model, {}});
        } catch (const case_error&) {
            // A model that cannot start fails its own cases, each saying so.
        }
    }
}

int run(int argc, char** argv) {
    std::string command_line;
    for (int i = 0; i < argc; ++i) {
        if (i > 0) command_line += ' ';
        command_line += argv[i];
    }

    const options opt = parse_args(argc, argv);
    if (opt.help) {
        std::fputs(usage_text, stdout);
        return 0;
    }
    if (!opt.data_dir.empty()) set_data_dir(opt.data_dir);
    const auto cases = make_cases(opt);
    const std::string& filter = opt.filter;
    std::size_t total = 0;
    for (const auto& c : cases) total += selected(c.name(), filter);
    if (total == 0)
        throw usage_error(fmt::format("--benchmark_filter: '{}' matches no case (see --list for the names)", filter));
    if (opt.list) {
        for (const auto& c : cases)
            if (selected(c.name(), filter))
                fmt::print("{:<70} ideal {:>9.3f} s{}\n", c.name(), c.ideal_s(),
                           c.predicted_s() > opt.budget()                        ? "  (over budget: skipped)"
                           : over_memory(c)                                      ? "  (over memory: skipped)"
                                                                                 : "");
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

    const int repetitions = std::max(1, std::atoi(flag_value(argc, argv, "--benchmark_repetitions", "1").c_str()));
    total *= std::size_t(repetitions);
    const double budget = opt.budget();
    auto started = std::make_shared<std::atomic<std::size_t>>(0);

    const trace_options traces = opt.traces;
    for (const auto& c : cases) {
        benchmark::RegisterBenchmark(c.name().c_str(), [c, budget, total, started, fd_limit,
                                                        traces](benchmark::State& state) {
            const std::string name = c.name();
            std::fprintf(stderr, "[%zu/%zu] %s\n", ++*started, total, name.c_str());
            if (c.predicted_s() > budget) {
                const bool saturated = c.predicted_s() > c.ideal_s();
                state.SkipWithError(
                    (saturated ? fmt::format("skipped: saturated: capacity {:.0f} tasks/s is below the rate of {:g}; "
                                             "working off the backlog would take {:.1f} s, over the budget of {:g} s",
                                             c.capacity(), c.arrival.per_second, c.predicted_s(), budget)
                               : fmt::format("skipped: predicted makespan {:.1f} s is over the budget of {:g} s "
                                             "(--budget)", c.predicted_s(), budget))
                        .c_str());
                return;
            }
            // Headroom for the process's own descriptors (stdio, epoll, pipes).
            const std::size_t fds = c.work->descriptors(c.params, c.model.shape(c.tasks())) + 64;
            if (fds > fd_limit) {
                state.SkipWithError(fmt::format("skipped: needs about {} file descriptors at once; RLIMIT_NOFILE "
                                                "is {} (raise it: ulimit -n)", fds, fd_limit)
                                        .c_str());
                return;
            }
            if (over_memory(c)) {
                const double need = c.memory_bytes(), have = double(available_memory_bytes());
                state.SkipWithError(fmt::format("skipped: needs at least {:.3g} MiB for {} tasks; only {:.0f} MiB "
                                                "of memory is available (MemAvailable)",
                                                need / 1048576, c.tasks(), have / 1048576)
                                        .c_str());
                return;
            }
            case_result result;
            for (auto _ : state) {
                try {
                    result = run_case(
                        c, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); },
                        traces.dir.empty() ? trace_sink{} : trace_sink([&](const trace& tr) {
                            // A trace that cannot be written costs its timeline, not the result.
                            try {
                                save_trace(traces, name, tr);
                            } catch (const std::exception& e) {
                                std::fprintf(stderr, "simul-bench: trace of %s: %s\n", name.c_str(), e.what());
                            }
                        }));
                } catch (const std::exception& e) {  // run_case throws case_error; anything else fails this case too
                    state.SkipWithError(fmt::format("failed: {}", e.what()).c_str());
                    break;
                }
                state.SetIterationTime(result.makespan_s);
            }
            if (!state.error_occurred()) report_counters(state, result);
        })
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

    warm_up(cases);
    add_context(command_line);
    benchmark::Initialize(&gb_argc, gb_argv.data());
    if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data())) return 2;
    benchmark::RunSpecifiedBenchmarks(nullptr, out ? &out->reporter() : nullptr);
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
