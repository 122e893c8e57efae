#include "bench/harness/sweep.hpp"

#include "bench/case/registry.hpp"
#include "bench/peer/peer_case.hpp"
#include "support/system.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace simul {

sweep select_cases(const options& opt) {
    sweep s;
    s.rule = opt.rounds;
    s.traces = opt.traces;
    s.peer_timeout_s = opt.peer_timeout();
    for (auto& c : make_cases(opt))
        if (selected(benchmark_name(c), opt.filter)) s.cases.push_back(std::move(c));
    if (s.cases.empty())
        throw usage_error(fmt::format("--benchmark_filter: '{}' matches no case (see --list for the names, or "
                                      "--benchmark_list_tests for the names the filter is matched against)",
                                      opt.filter));
    return s;
}

void sweep::prepare(double budget, std::uint64_t fd_limit) {
    for (const auto& c : cases) skips.push_back(skip_reason(c, budget, fd_limit));
    rounds.resize(cases.size());
}

std::vector<const case_spec*> sweep::runnable() const {
    std::vector<const case_spec*> out;
    for (std::size_t i = 0; i < cases.size(); ++i)
        if (skips[i].empty()) out.push_back(&cases[i]);
    return out;
}

double sweep::seconds_left() const {
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

bool over_memory(const case_spec& c) {
    const std::int64_t have = available_memory_bytes();  // -1: unknown, and then not checked
    return have > 0 && c.memory_bytes() > double(have);
}

std::string skip_reason(const case_spec& c, double budget, std::uint64_t fd_limit) {
    if (c.model.colour() == colour::stackful && !c.work->has_stackful())
        return fmt::format("skipped: no stackful colour: {} does not say it has one (workload::has_stackful)",
                           c.work->name());
    if (c.predicted_s() > budget) {
        if (c.predicted_s() > c.ideal_s())
            return fmt::format("skipped: saturated: capacity {:.0f} tasks/s is below the rate of {:g}; "
                               "working off the backlog would take {:.1f} s, over the budget of {:g} s",
                               c.capacity(), c.arrival.per_second, c.predicted_s(), budget);
        return fmt::format("skipped: predicted makespan {:.1f} s is over the budget of {:g} s (--budget)",
                           c.predicted_s(), budget);
    }
    const std::size_t fds = c.descriptors();
    if (fds > fd_limit)
        return fmt::format("skipped: needs about {} file descriptors at once; RLIMIT_NOFILE is {} (raise it: "
                           "ulimit -n)",
                           fds, fd_limit);
    if (over_memory(c))
        return fmt::format("skipped: needs at least {:.3g} MiB for {} tasks; only {:.0f} MiB of memory is "
                           "available (MemAvailable)",
                           c.memory_bytes() / 1048576, c.task_count(), double(available_memory_bytes()) / 1048576);
    return {};
}

void print_list(const std::vector<case_spec>& cases, const options& opt) {
    for (const auto& c : cases)
        if (selected(benchmark_name(c), opt.filter))
            fmt::print("{:<70} ideal {:>9.3f} s{}\n", c.name(), c.ideal_s(),
                       c.predicted_s() > opt.budget() ? "  (over budget: skipped)"
                       : over_memory(c)               ? "  (over memory: skipped)"
                                                      : "");
}

void make_trace_dir(const trace_options& traces) {
    if (traces.dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(traces.dir, ec);
    if (ec || !std::filesystem::is_directory(traces.dir))
        throw usage_error(fmt::format("--trace-dir: cannot make the folder '{}': {}", traces.dir,
                                      ec ? ec.message() : "a file is in the way"));
}

case_result run_any(const case_spec& c, double peer_timeout_s, const progress_sink& progress,
                    const trace_sink& on_trace) {
    if (c.model.peer) return run_peer_case(c, std::chrono::duration<double>(peer_timeout_s), progress, on_trace);
    return run_case(c, progress, on_trace);
}

void warm_up(const std::vector<const case_spec*>& cases) {
    // A peer's start-up is its own and is not in its figures: nothing to warm.
    std::vector<std::string> models;
    for (const case_spec* c : cases)
        if (!c->model.peer && std::find(models.begin(), models.end(), c->model.name()) == models.end())
            models.push_back(c->model.name());
    std::fprintf(stderr, "warming up: %s\n", fmt::format("{}", fmt::join(models, ", ")).c_str());
    for (const case_spec* c : cases) {
        const auto pending = std::find(models.begin(), models.end(), c->model.name());
        if (pending == models.end()) continue;
        models.erase(pending);
        try {
            // Two 1 ms waits: the least that starts every part of a model.
            run_case(case_spec{find_workload("sleep"), params({{"tasks", 2}, {"wait_ms", 1}}), c->model, {}});
        } catch (const case_error&) {
            // A model that cannot start fails its own cases, each saying so.
        }
    }
}

}  // namespace simul
