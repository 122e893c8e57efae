#include "bench/harness/cli.hpp"
#include "bench/case/registry.hpp"
#include "bench/peer/peer_case.hpp"
#include "models/kinds.hpp"
#include "support/flags.hpp"
#include "support/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <regex>
#include <string_view>
#include <thread>

namespace simul {

namespace {

// simul-bench's own flags, in the order of --help. Each setter stores into
// opt; arrival_rate is whether --arrival said rate.
std::vector<flags::flag> bench_flags(options& opt, bool& arrival_rate) {
    using namespace flags;
    return {
        {"--scale",
         one_of({"quick", "full", "smoke"},
                [&](std::string_view v) {
                    opt.scale = v == "quick" ? scale::quick : v == "full" ? scale::full : scale::smoke;
                }),
         "parameter grid to sweep (default: quick); smoke: each parameter's one small value, no rate sweep"},
        {"--models", list(text("LIST", [&](std::string_view m) { opt.models.push_back(parse_model(m)); })),
         "comma-separated models (below), e.g. sequential,thread_pool:24 (default: the sweep below)"},
        {"--peer",
         text("NAME=COMMAND",
              [&](std::string_view v) {
                  model_spec m;
                  m.peer = std::make_shared<const peer_command>(parse_peer(v));
                  m.kind = m.peer->name;
                  for (const auto& other : opt.peers)
                      if (other.kind == m.kind) throw usage_error(fmt::format("--peer: '{}' is given twice", m.kind));
                  opt.peers.push_back(std::move(m));
              }),
         "run the cases under another runtime's program too (docs/PEERS.md), e.g. "
         "--peer='go=build/release/peers/go/peer'; repeatable"},
        {"--peer-timeout", number("SECONDS", 0.1, 1e6, [&](double v) { opt.peer_timeout_s = v; }),
         "stop a peer that has not finished a case after this long (default: 60 + twice the budget)"},
        {"--set",
         text("NAME:V1,V2,...",
              [&](std::string_view v) {
                  const auto colon = v.find(':');
                  if (colon == std::string_view::npos || colon == 0)
                      throw usage_error(
                          fmt::format("--set: '{}' is not NAME:V1,V2,... (e.g. --set=tasks:100,1000)", v));
                  const std::string name(v.substr(0, colon));
                  for (const auto& o : opt.overrides)
                      if (o.first == name)
                          throw usage_error(fmt::format("--set: '{}' is given twice; list its values "
                                                        "once, e.g. --set={}:1,2",
                                                        name, name));
                  std::vector<std::string> values;
                  for (auto x : split(v.substr(colon + 1))) values.emplace_back(x);
                  opt.overrides.emplace_back(name, std::move(values));
              }),
         "sweep these values of parameter NAME instead of the grid's, in every workload that has it (repeatable)"},
        {"--budget", number("SECONDS", 0.001, 1e6, [&](double v) { opt.budget_s = v; }),
         "skip a case whose ideal makespan is over this (default: 6 for quick, 120 for full); a case whose tasks "
         "would not fit in free memory is skipped too"},
        {"--data-dir",
         non_empty(text("PATH", [&](std::string_view v) { opt.data_dir = v; }),
                   "give a folder, e.g. --data-dir=/tmp/simul-data (or leave the flag out)"),
         "where workloads keep data sets (default: data/ in the build folder)"},
        {"--serve-bind",
         non_empty(text("ADDRESS", [&](std::string_view v) { opt.serve_bind = v; }),
                   "give an address of this machine, e.g. --serve-bind=10.77.0.1"),
         "serve listens on ADDRESS (IPv4 or IPv6) and its simul-load connects there (default 127.0.0.1)"},
        {"--delay-bind",
         non_empty(text("ADDRESS", [&](std::string_view v) { opt.delay_bind = v; }),
                   "give the address the delay server listens on, e.g. --delay-bind=10.77.0.2"),
         "fetch's own delay server listens on ADDRESS, where the helpers run, and fetch connects there "
         "(default 127.0.0.1)"},
        {"--delay-server",
         non_empty(text("HOST:PORT", [&](std::string_view v) { opt.delay_server = v; }),
                   "give where it listens, e.g. --delay-server=10.0.0.2:9000 or [fd00::2]:9000"),
         "fetch asks the simul-delay-server at HOST:PORT, started elsewhere by hand, instead of starting its own"},
        {"--helper-netns",
         non_empty(text("NAME", [&](std::string_view v) { opt.helper_netns = v; }),
                   "give a network namespace (ip netns list)"),
         "start the helpers (simul-load, the delay server) in network namespace NAME (needs root): the other host "
         "of scripts/bench.sh --netns"},
        {"--helper-via",
         non_empty(text("COMMAND", [&](std::string_view v) { opt.helper_via = v; }),
                   "give a command, e.g. --helper-via='ssh -o BatchMode=yes loadhost'"),
         "start each helper through COMMAND (words split at spaces), e.g. 'ssh -o BatchMode=yes loadhost': the load "
         "generator on another host (README: two machines)"},
        {"--helper-dir",
         non_empty(text("DIR", [&](std::string_view v) { opt.helper_dir = v; }),
                   "give the build folder on the other host"),
         "with --helper-via: the folder of simul-load and simul-delay-server there (default: this build's path)"},
        {"--arrival",
         one_of({"burst", "rate"},
                [&](std::string_view v) {
                    opt.arrival_given = true;
                    arrival_rate = v == "rate";
                }),
         "burst: all tasks due at once (default, plus each workload's rate sweep); rate: open loop (needs --rate)"},
        {"--rate", list(number("R1,R2,...", 1, 1e6, [&](double r) { opt.rates.push_back(r); })),
         "rate arrivals at these tasks/s (1 to 1000000)"},
        {"--duration", number("SECONDS", 0.001, 3600, [&](double v) { opt.duration_s = v; }),
         "with --rate: tasks = rate × seconds (else the grid's task count)"},
        {"--poisson", none([&] { opt.poisson = true; }), "exponential gaps (seeded) instead of constant ones"},
        {"--seed", whole("N", 1, most, [&](std::int64_t v) { opt.seed = std::uint64_t(v); }),
         "the Poisson schedule's seed (default 1)"},
        {"--trace-dir", text("DIR", [&](std::string_view v) { opt.traces.dir = v; }),
         "write each case's per-task trace (due, start, end) as DIR/<case>.csv, for timelines (bench.sh does)"},
        {"--trace-limit", whole("N", 1, most, [&](std::int64_t v) { opt.traces.limit = std::size_t(v); }),
         "trace only cases of at most N tasks (default 2000); larger ones are listed in DIR/not_traced.txt"},
        {"--rounds",
         text("auto|N",
              [&](std::string_view v) {
                  const auto n = to_whole(v);
                  if (v != "auto" && (!n || *n < 1 || *n > 1000))
                      throw usage_error(fmt::format("--rounds: '{}' is not auto or a whole number from 1 to 1000", v));
                  opt.rounds.fixed = v == "auto" ? 0 : int(*n);
              }),
         "run each case N times, in interleaved rounds (round 0 of every case, then round 1 in reverse order, ...); "
         "auto (default): at least 3 rounds, then more while the median makespan's 95% interval is wider than +-2% "
         "and the case has used less than its share, at most 12. --rounds=1: one quick look"},
        {"--round-share", number("SECONDS", 0.001, 1e6, [&](double v) { opt.rounds.share_s = v; }),
         "auto rounds: wall time a case may spend on rounds past the third (default: 120 s shared out among the "
         "cases that run, at least 1 s each)"},
        {"--list", none([&] { opt.list = true; }), "print the cases with their ideal makespans and exit"},
        {"--help", none([&] { opt.help = true; }), "print this and exit"},
        {"-h", none([&] { opt.help = true; }), ""},
        // Google Benchmark's, taken out of argv: main writes it (results_file.hpp).
        {"--benchmark_out",
         non_empty(text("FILE", [&](std::string_view v) { opt.out_path = v; }),
                   "give a file name, e.g. --benchmark_out=run.json"),
         ""},
    };
}

const char* const usage_head = R"(usage: simul-bench [options] [Google Benchmark flags]

Runs the same IO-bound workloads under different concurrency models.

options:
)";

const char* const usage_benchmark = R"(Google Benchmark flags work as usual, e.g. --benchmark_filter=chess,
--benchmark_out=run.json --benchmark_out_format=json. Google Benchmark names
each case <case>/iterations:1/manual_time, and --benchmark_filter is matched
against that name, as Google Benchmark matches it.
--benchmark_repetitions=N repeats each round N times back to back; the
interleaved repetitions are --rounds.
The --benchmark_out file is replaced only by a complete one: a failed write
(a full disk) leaves it as it was, and exits with 1.
Case names read <workload>/<model>/<param>:<value>/...
)";

// The models' part of --help, from the table (models/kinds.hpp).
std::string models_usage() {
    std::vector<std::string> quick, more;
    for (const model_kind& k : model_kinds()) {
        for (int p : k.quick) quick.push_back(sweep_form(k, p, "C"));
        for (int p : k.full)
            if (std::find(k.quick.begin(), k.quick.end(), p) == k.quick.end()) more.push_back(sweep_form(k, p, "C"));
    }
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    std::string sweep = fmt::format("The default sweep runs {} (C: the cores, here {})", prose_list(quick), cores);
    if (!more.empty()) sweep += fmt::format("; --scale=full also runs {}", prose_list(more));
    sweep += ". It leaves out a pool larger than a case's task count.";
    return fmt::format("models (P: a thread count from 1 to {}):\n{}{}", max_pool_threads, models_help(22),
                       wrap(sweep, 0));
}

bool take(std::string_view arg, std::string_view flag, std::string_view& value) {
    if (!arg.starts_with(flag) || arg.size() <= flag.size() || arg[flag.size()] != '=') return false;
    value = arg.substr(flag.size() + 1);
    return true;
}

const std::vector<std::string_view> benchmark_flags = {"--benchmark_list_tests",
                                                       "--benchmark_filter",
                                                       "--benchmark_min_time",
                                                       "--benchmark_min_warmup_time",
                                                       "--benchmark_repetitions",
                                                       "--benchmark_enable_random_interleaving",
                                                       "--benchmark_report_aggregates_only",
                                                       "--benchmark_display_aggregates_only",
                                                       "--benchmark_format",
                                                       "--benchmark_out_format",
                                                       "--benchmark_out",
                                                       "--benchmark_color",
                                                       "--benchmark_counters_tabular",
                                                       "--benchmark_perf_counters",
                                                       "--benchmark_context",
                                                       "--benchmark_time_unit",
                                                       "--v"};

void check_benchmark_flag(std::string_view arg) {
    const auto name = arg.substr(0, arg.find('='));
    bool known = false;
    for (auto f : benchmark_flags) known = known || name == f;
    if (!known) throw usage_error(fmt::format("unknown flag '{}' (see --help)", arg));
    std::string_view value;
    // Google Benchmark exits with 1 on these; a usage error is 2 here.
    if (take(arg, "--benchmark_format", value) || take(arg, "--benchmark_out_format", value))
        if (value != "console" && value != "json" && value != "csv")
            throw usage_error(fmt::format("{}: '{}' is not one of console, json, csv", name, value));
    if (take(arg, "--benchmark_repetitions", value)) flags::whole_number("--benchmark_repetitions", value);
    // Flags whose meaning simul-bench sets itself: refused rather than ignored.
    if (name == "--benchmark_min_time" || name == "--benchmark_min_warmup_time")
        throw usage_error(fmt::format("{}: simul-bench runs each case once per round and warms up each model "
                                      "itself; for more runs use --rounds=N",
                                      name));
    if (name == "--benchmark_time_unit")
        throw usage_error("--benchmark_time_unit: simul-bench reports every makespan in ms (the JSON's time_unit)");
    // Google Benchmark would print an error, then a wrong "unrecognized flag", for these.
    if (take(arg, "--v", value)) {
        const auto v = flags::to_whole(value);
        if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
            throw usage_error(fmt::format("--v: '{}' is not a whole number", value));
    }
    for (auto flag :
         {"--benchmark_list_tests", "--benchmark_enable_random_interleaving", "--benchmark_report_aggregates_only",
          "--benchmark_display_aggregates_only", "--benchmark_counters_tabular"})
        if (take(arg, flag, value) && value != "true" && value != "false" && value != "1" && value != "0")
            throw usage_error(fmt::format("{}: '{}' is not true or false", flag, value));
}

}  // namespace

std::string usage() {
    options opt;
    bool arrival_rate = false;
    return usage_head + flags::help(bench_flags(opt, arrival_rate), 25) + "\n" + models_usage() + "\n" +
           usage_benchmark;
}

options parse_args(int& argc, char** argv) {
    options opt;
    bool arrival_rate = false;
    std::vector<char*> kept = {argv[0]};  // Google Benchmark's flags, for it to parse
    flags::parse(bench_flags(opt, arrival_rate), argc, argv, [&](char* a) {
        const std::string_view arg = a;
        if (!arg.starts_with("-")) throw usage_error(fmt::format("unexpected argument '{}' (see --help)", arg));
        check_benchmark_flag(arg);
        std::string_view v;
        if (take(arg, "--benchmark_filter", v)) opt.filter = v;
        if (take(arg, "--benchmark_out_format", v)) opt.out_format = v;
        kept.push_back(a);
    });
    std::copy(kept.begin(), kept.end(), argv);
    argc = int(kept.size());
    argv[argc] = nullptr;
    if (opt.arrival_given && arrival_rate && opt.rates.empty())
        throw usage_error("--arrival=rate needs --rate=R (tasks per second)");
    if (opt.arrival_given && !arrival_rate && !opt.rates.empty())
        throw usage_error("--rate needs --arrival=rate (or no --arrival)");
    if ((opt.duration_s > 0 || opt.poisson) && opt.rates.empty())
        throw usage_error("--duration and --poisson apply to rate arrivals: give --rate=R");

    for (const auto& [name, values] : opt.overrides) {
        bool known = false;
        for (const workload* w : all_workloads())
            for (const auto& p : w->params()) known = known || p.name == name;
        if (!known) throw usage_error(fmt::format("--set: no workload has a parameter '{}' (see --list)", name));
    }
    make_cases(opt);           // checks the --set values now, before anything runs
    selected("", opt.filter);  // and the filter
    return opt;
}

bool selected(const std::string& name, const std::string& filter) {
    // As Google Benchmark 1.7 does it (benchmark.cc, re.h): std::regex, extended.
    std::string spec = filter.empty() || filter == "all" ? "." : filter;
    const bool negate = spec.front() == '-';
    if (negate) spec.erase(0, 1);
    try {
        const std::regex re(spec, std::regex::extended);
        return std::regex_search(name, re) != negate;
    } catch (const std::regex_error&) {
        throw usage_error(fmt::format("--benchmark_filter: '{}' is not a valid extended regular expression "
                                      "(e.g. --benchmark_filter='^sleep/')",
                                      filter));
    }
}

std::string benchmark_name(const case_spec& c) { return c.name() + "/iterations:1/manual_time"; }

// The values --set gives a parameter: names of its choices, or positive numbers.
static std::vector<std::int64_t> resolve(const param_spec& spec, const std::vector<std::string>& texts) {
    std::vector<std::int64_t> values;
    for (const auto& t : texts) {
        if (spec.choices.empty()) {
            values.push_back(flags::whole_number("--set " + spec.name, t));
            continue;
        }
        const auto at = std::find(spec.choices.begin(), spec.choices.end(), t);
        if (at == spec.choices.end())
            throw usage_error(
                fmt::format("--set {}: '{}' is not one of {}", spec.name, t, fmt::join(spec.choices, ", ")));
        values.push_back(at - spec.choices.begin());
    }
    return values;
}

std::vector<model_spec> default_models(simul::scale scale) {
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<model_spec> models;
    for (const model_kind& k : model_kinds()) {
        std::vector<int> sizes;
        for (int p : scale == scale::full ? k.full : k.quick) sizes.push_back(p == per_core ? cores : p);
        std::sort(sizes.begin(), sizes.end());  // no_size (0) first
        sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
        for (int p : sizes) models.push_back({std::string(k.name), p});
    }
    return models;
}

namespace {

using value_set = std::vector<std::int64_t>;

// Every combination of the given values per parameter, first parameter outermost.
std::vector<value_set> product(const std::vector<std::vector<std::int64_t>>& per_param) {
    std::vector<value_set> grid = {{}};
    for (const auto& values : per_param) {
        std::vector<value_set> next;
        for (const auto& g : grid)
            for (auto v : values) {
                next.push_back(g);
                next.back().push_back(v);
            }
        grid = std::move(next);
    }
    return grid;
}

// A parameter's values at a scale.
std::vector<std::int64_t> grid_of(const param_spec& spec, simul::scale scale) {
    if (scale == scale::smoke) return {spec.smoke_value()};
    return scale == scale::quick ? spec.quick : spec.full;
}

// The values swept for each parameter: the scale's grid, or --set's.
std::vector<std::vector<std::int64_t>> grid_values(const std::vector<param_spec>& specs, const options& opt) {
    std::vector<std::vector<std::int64_t>> out;
    for (const auto& spec : specs) {
        out.push_back(grid_of(spec, opt.scale));
        for (const auto& [name, texts] : opt.overrides)
            if (name == spec.name) out.back() = resolve(spec, texts);
    }
    return out;
}

// The cases of one value set under every model that should run it.
void emit(std::vector<case_spec>& cases, const workload* w, const std::vector<param_spec>& specs,
          const value_set& values, const arrival_pattern& a, const options& opt,
          const std::vector<model_spec>& models) {
    std::vector<std::pair<std::string, std::int64_t>> kv;
    std::vector<std::string> texts;
    bool async_variant = false;  // a value only the coroutine colour reads
    for (std::size_t i = 0; i < specs.size(); ++i) {
        kv.emplace_back(specs[i].name, values[i]);
        texts.push_back(specs[i].text(values[i]));
        async_variant = async_variant || (specs[i].async_only && values[i] != grid_of(specs[i], opt.scale).front());
    }
    const params p(std::move(kv), std::move(texts));
    for (const auto& m : models) {
        if (opt.models.empty() && m.threads > 0 && std::size_t(m.threads) > w->task_count(p)) continue;
        if (async_variant && !m.runs_async()) continue;
        cases.push_back({w, p, m, a});
    }
}

}  // namespace

std::vector<case_spec> make_cases(const options& opt) {
    auto models = opt.models.empty() ? default_models(opt.scale) : opt.models;
    models.insert(models.end(), opt.peers.begin(), opt.peers.end());
    std::vector<case_spec> cases;
    for (const workload* w : all_workloads()) {
        const auto specs = w->params();
        const auto values = grid_values(specs, opt);
        if (opt.rates.empty())
            for (const auto& v : product(values)) emit(cases, w, specs, v, arrival_pattern{}, opt, models);
        if (opt.arrival_given && opt.rates.empty()) continue;  // --arrival=burst

        // Rate cases: the --rate values over the whole grid, or by default
        // the workload's own sweep over one value set.
        const auto count = std::find_if(specs.begin(), specs.end(),
                                        [&](const param_spec& s) { return s.name == w->count_param(); });
        if (count == specs.end()) continue;
        const std::size_t counted = std::size_t(count - specs.begin());
        std::vector<double> rates = opt.rates;
        double duration = opt.duration_s;
        auto per_param = values;
        if (duration > 0) per_param[counted] = {0};  // set from each rate below
        std::vector<value_set> bases = product(per_param);
        if (rates.empty()) {
            if (opt.scale == scale::smoke) continue;  // no rate sweep: the smoke run is one small case each
            const auto sweep = w->default_rates(opt.scale == scale::quick);
            if (sweep.rates.empty()) continue;
            rates = sweep.rates;
            duration = sweep.duration_s;
            auto firsts = values;
            for (std::size_t i = 0; i < specs.size(); ++i) {
                const bool overridden = std::any_of(opt.overrides.begin(), opt.overrides.end(),
                                                    [&](const auto& o) { return o.first == specs[i].name; });
                if (!overridden) firsts[i] = {values[i].front()};
                for (const auto& [name, v] : sweep.fixed)
                    if (name == specs[i].name && !overridden) firsts[i] = {v};
            }
            bases = product(firsts);
        }
        for (const auto& base : bases)
            for (double rate : rates) {
                auto v = base;
                if (duration > 0) v[counted] = std::max<std::int64_t>(2, std::llround(rate * duration));
                emit(cases, w, specs, v, arrival_pattern{arrival_pattern::kind::rate, rate, opt.poisson, opt.seed}, opt,
                     models);
            }
    }
    return cases;
}

}  // namespace simul
