// simul-bench as a user meets it: bad input gets one clear line and exit code
// 2, and a run's JSON carries every counter (bench/harness/counters.def) for
// every case, with values that hold together.

#include "bench/case/workload.hpp"
#include "bench/harness/cli.hpp"
#include "bench/workloads/registry.hpp"
#include "support/flags.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct outcome {
    int code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

outcome bench(const std::string& args) {
    const fs::path dir = fs::temp_directory_path() / ("simul-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd = std::string(SIMUL_BENCH_PATH) + " --rounds=1 " + args + " >" + (dir / "out").string() +
                            " 2>" + (dir / "err").string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
    fs::remove_all(dir);
    return o;
}

class BadInput : public ::testing::TestWithParam<const char*> {};

TEST_P(BadInput, GetsOneLineAndExitCode2) {
    const auto o = bench(GetParam());
    EXPECT_EQ(o.code, 2) << o.err;
    ASSERT_FALSE(o.err.empty());
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_TRUE(o.out.empty()) << "nothing should have run: " << o.out;
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInput,
                         ::testing::Values("--frobnicate", "--scale=huge", "--set=tasks:0", "--set=tasks:-5",
                                           "--set=tasks:12abc", "--set=nosuch:3", "--set=tasks", "--models=fibers",
                                           "--models=thread_pool", "--models=thread_pool:0",
                                           "--models=thread_pool:9999999", "--models=sequential:4", "--budget=-1",
                                           "--budget=soon", "--benchmark_format=xml", "--benchmark_repetitions=many",
                                           "--benchmark_filter=[", "stray", "--rate=0", "--rate=-5", "--rate=1e12",
                                           "--rate=fast", "--rate=100 --duration=0", "--arrival=sideways",
                                           "--arrival=rate", "--arrival=burst --rate=10", "--poisson",
                                           "--rate=10 --seed=0"));

// A value flag without its value, a flag that takes none given one.
INSTANTIATE_TEST_SUITE_P(FlagShapes, BadInput,
                         ::testing::Values("--scale", "--budget", "--models", "--list=3", "--poisson=1", "--rounds",
                                           "--rounds=0", "--trace-limit=0", "--data-dir=", "--benchmark_out="));

// The network flags: an address that is not one or that this machine does
// not have (192.0.2.1 is TEST-NET-1, never assigned), an endpoint without a
// port or an IPv6 one without brackets, a namespace that does not exist,
// helpers elsewhere told to meet on loopback.
INSTANTIATE_TEST_SUITE_P(Network, BadInput,
                         ::testing::Values("--serve-bind=192.0.2.1", "--serve-bind=localhost",
                                           "--serve-bind=", "--delay-bind=10.0.0.300", "--delay-server=10.0.0.2",
                                           "--delay-server=fd77::2:9000", "--delay-server=[fd77::2]:0",
                                           "--helper-netns=simul-no-such-namespace --serve-bind=0.0.0.0 "
                                           "--delay-bind=10.77.0.2",
                                           "--helper-via=ssh", "--helper-via=ssh --serve-bind=0.0.0.0",
                                           "--helper-dir=/x", "--helper-netns=x --helper-via=ssh"));

// file_read's sizes: not whole 4 KiB pages, or out of bounds (2^54 KiB
// wrapped to a chunk of 0 bytes; 2^40 KiB was a bare std::bad_alloc). Each
// failed every case at set-up with exit code 0.
INSTANTIATE_TEST_SUITE_P(FileReadSizes, BadInput,
                         ::testing::Values("--set=file_kib:1", "--set=chunk_kib:3", "--set=file_kib:6",
                                           "--set=chunk_kib:18014398509481984", "--set=chunk_kib:1099511627776",
                                           "--set=file_kib:1099511627776", "--set=files:2000000",
                                           "--set=files:1 --set=file_kib:4,5"));

// An unusable --data-dir: a file, /dev/null, a symlink loop, a folder under
// a file. A usage error before anything runs, as an unusable --trace-dir is.
TEST(Cli, AnUnusableDataDirIsAUsageError) {
    const fs::path dir = fs::temp_directory_path() / ("simul-cli-dirs-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "a-file") << "x";
    fs::create_symlink(dir / "loop-b", dir / "loop-a");
    fs::create_symlink(dir / "loop-a", dir / "loop-b");
    for (const fs::path& bad : {dir / "a-file", fs::path("/dev/null"), dir / "loop-a", dir / "a-file" / "sub"}) {
        SCOPED_TRACE(bad.string());
        const auto o = bench("--data-dir=" + bad.string() + " --benchmark_filter=^file_read/sequential/");
        EXPECT_EQ(o.code, 2) << o.err;
        EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
        EXPECT_NE(o.err.find("--data-dir"), std::string::npos) << o.err;
        EXPECT_TRUE(o.out.empty()) << "nothing should have run: " << o.out;
    }
    fs::remove_all(dir);
}

// The default sweep's models, from the table (models/kinds.hpp), in the
// order the sweep has always had: case names and their order depend on it.
TEST(Cli, TheDefaultModelsAreTheTablesInTheirOrder) {
    const std::string c = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    const auto names = [](simul::scale s) {
        std::vector<std::string> out;
        for (const auto& m : simul::default_models(s)) out.push_back(m.name());
        return out;
    };
    const std::vector<std::string> quick = {
        "sequential",     "thread_per_task",     "thread_pool:2",    "thread_pool:24", "thread_pool:256",
        "coroutine_loop", "coroutine_loop:" + c, "shared_loop:" + c, "stackful_loop",  "stackful_loop:" + c};
    EXPECT_EQ(names(simul::scale::quick), quick);
    std::set<int> loop_sizes = {std::stoi(c), 2, 4};
    std::vector<std::string> full(quick.begin(), quick.begin() + 6);
    for (const char* kind : {"coroutine_loop", "shared_loop"})
        for (int p : loop_sizes) full.push_back(fmt::format("{}:{}", kind, p));
    full.insert(full.end(), {"stackful_loop", "stackful_loop:" + c});
    EXPECT_EQ(names(simul::scale::full), full);
}

TEST(Cli, HelpListsEveryModelOfTheTable) {
    const auto help = bench("--help");
    EXPECT_EQ(help.code, 0);
    for (const auto& k : simul::model_kinds()) {
        EXPECT_NE(help.out.find("  " + std::string(k.name)), std::string::npos) << k.name;
        EXPECT_NE(help.out.find(std::string(k.help.substr(0, 20))), std::string::npos) << k.help;
    }
}

TEST(Cli, HelpAndListSucceed) {
    const auto help = bench("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("--scale"), std::string::npos);
    const auto list = bench("--list --benchmark_filter=chess");
    EXPECT_EQ(list.code, 0);
    EXPECT_NE(list.out.find("chess/coroutine_loop/boards:24/moves:30"), std::string::npos) << list.out;
    EXPECT_EQ(list.out.find("sleep/"), std::string::npos) << "the filter was ignored";
}

TEST(Cli, ListMarksCasesOverTheBudget) {
    const auto list = bench("--list --budget=1 --benchmark_filter=chess/sequential");
    EXPECT_NE(list.out.find("over budget"), std::string::npos) << list.out;
}

// ---- The flag parser (support/flags.hpp) ------------------------------------

// Runs flags::parse on args; the usage_error's message, or "" if none.
std::string parse_error(const std::vector<simul::flags::flag>& table, std::vector<std::string> args,
                        const std::function<void(char*)>& other = {}) {
    std::vector<char*> argv = {const_cast<char*>("tool")};
    for (auto& a : args) argv.push_back(a.data());
    try {
        simul::flags::parse(table, int(argv.size()), argv.data(), other);
    } catch (const simul::usage_error& e) {
        return e.what();
    }
    return "";
}

struct flag_values {
    bool on = false;
    std::int64_t n = 0;
    double x = 0;
    std::string text, mode;
    std::vector<double> xs;
};

std::vector<simul::flags::flag> test_flags(flag_values& v) {
    using namespace simul::flags;
    return {
        {"--on", none([&] { v.on = true; }), "a switch"},
        {"--n", whole("N", 1, 10, [&](std::int64_t n) { v.n = n; }), "a whole number"},
        {"--seed", whole("N", 1, most, [&](std::int64_t n) { v.n = n; }), ""},
        {"--x", number("X", 0.5, 1e6, [&](double x) { v.x = x; }), "a number"},
        {"--text", text("T", [&](std::string_view t) { v.text = t; }),
         "some text, with help long enough to need "
         "more than one line of the help's width"},
        {"--mode", one_of({"open", "closed"}, [&](std::string_view m) { v.mode = m; }), "a choice"},
        {"--fmt", one_of({"a", "b", "c"}, [&](std::string_view m) { v.mode = m; }), "a choice of three"},
        {"--xs", list(number("X1,X2,...", 1, 100, [&](double x) { v.xs.push_back(x); })), "a list"},
        {"--dir", non_empty(text("DIR", [&](std::string_view t) { v.text = t; }), "give a folder"), "a folder"},
        {"--model", text("M", [](std::string_view) { throw std::invalid_argument("unknown model 'x'"); }), ""},
    };
}

TEST(Flags, EachKindTakesItsValues) {
    flag_values v;
    EXPECT_EQ(parse_error(test_flags(v),
                          {"--on", "--n=7", "--x=2.5", "--text=", "--mode=closed", "--xs=1,2.5,100", "--dir=d"}),
              "");
    EXPECT_TRUE(v.on);
    EXPECT_EQ(v.n, 7);
    EXPECT_EQ(v.x, 2.5);
    EXPECT_EQ(v.mode, "closed");
    EXPECT_EQ(v.xs, (std::vector<double>{1, 2.5, 100}));
    EXPECT_EQ(v.text, "d");
    EXPECT_EQ(parse_error(test_flags(v), {"--n=3", "--n=4"}), "");
    EXPECT_EQ(v.n, 4) << "the last one counts";
}

TEST(Flags, BadValuesSayWhatIsAccepted) {
    flag_values v;
    const auto t = test_flags(v);
    EXPECT_EQ(parse_error(t, {"--n=11"}), "--n: '11' is not a whole number from 1 to 10");
    EXPECT_EQ(parse_error(t, {"--n=3x"}), "--n: '3x' is not a whole number from 1 to 10");
    EXPECT_EQ(parse_error(t, {"--seed=0"}), "--seed: '0' is not a positive whole number");
    EXPECT_EQ(parse_error(t, {"--x=0.1"}), "--x: '0.1' is not a number from 0.5 to 1000000");
    EXPECT_EQ(parse_error(t, {"--x=fast"}), "--x: 'fast' is not a number from 0.5 to 1000000");
    EXPECT_EQ(parse_error(t, {"--mode=sideways"}), "--mode: 'sideways' is not open or closed");
    EXPECT_EQ(parse_error(t, {"--fmt=d"}), "--fmt: 'd' is not one of a, b, c");
    EXPECT_EQ(parse_error(t, {"--xs=1,0"}), "--xs: '0' is not a number from 1 to 100");
    EXPECT_EQ(parse_error(t, {"--xs="}), "--xs: '' is not a number from 1 to 100");
    EXPECT_EQ(parse_error(t, {"--dir="}), "--dir: give a folder");
    EXPECT_EQ(parse_error(t, {"--dir"}), "--dir: give a folder");
    EXPECT_EQ(parse_error(t, {"--n"}), "--n needs a value: --n=N (see --help)");
    EXPECT_EQ(parse_error(t, {"--on=1"}), "--on takes no value (see --help)");
    EXPECT_EQ(parse_error(t, {"--model=x"}), "--model: unknown model 'x'");
    EXPECT_EQ(parse_error(t, {"--onx"}), "unknown argument '--onx' (see --help)");
    EXPECT_EQ(parse_error(t, {"stray"}), "unknown argument 'stray' (see --help)");
}

TEST(Flags, OtherArgumentsGoToTheirHandlerInOrder) {
    flag_values v;
    std::vector<std::string> others;
    EXPECT_EQ(
        parse_error(test_flags(v), {"--benchmark_filter=x", "--on", "stray"}, [&](char* a) { others.emplace_back(a); }),
        "");
    EXPECT_EQ(others, (std::vector<std::string>{"--benchmark_filter=x", "stray"}));
    EXPECT_EQ(parse_error(test_flags(v), {"--v=2"},
                          [](char* a) { throw simul::usage_error(fmt::format("unknown flag '{}'", a)); }),
              "unknown flag '--v=2'");
}

TEST(Flags, HelpListsTheFlagsWithHelpWrappedToTheWidth) {
    flag_values v;
    const std::string help = simul::flags::help(test_flags(v), 20, 60);
    EXPECT_NE(help.find("  --on              a switch\n"), std::string::npos) << help;
    EXPECT_NE(help.find("  --n=N             a whole number\n"), std::string::npos) << help;
    EXPECT_NE(help.find("  --mode=open|closed\n                    a choice\n"), std::string::npos) << help;
    EXPECT_EQ(help.find("--seed"), std::string::npos) << "a flag without help is not listed";
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 60u) << line;
}

// The counters every case reports: the list bench/harness/main.cpp reports from.
const std::vector<std::string> counters = {
#define SIMUL_COUNTER(name, value, help) #name,
#include "bench/harness/counters.def"
#undef SIMUL_COUNTER
};

// argv as simul-bench gets it, for parse_args.
simul::options options_of(const std::vector<std::string>& args) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    static char program[] = "simul-bench";
    argv.push_back(program);
    for (auto& a : copy) argv.push_back(a.data());
    int argc = int(argv.size());
    return simul::parse_args(argc, argv.data());
}

TEST(Cli, JsonHasEveryCounterForEveryCaseAndTheContext) {
    const fs::path json = fs::temp_directory_path() / ("simul-cli-" + std::to_string(::getpid()) + ".json");
    // Every workload at its smoke values (a new one needs no line here), with
    // both values of the two file_read parameters that choose a path.
    const std::vector<std::string> sweep = {"--scale=smoke", "--arrival=burst", "--set=cache:cold,warm",
                                            "--set=io:native,offload"};
    std::string args;
    for (const auto& a : sweep) args += a + " ";
    const auto o = bench(args + "--benchmark_out_format=json --benchmark_out=" + json.string());
    ASSERT_EQ(o.code, 0) << o.err;
    const std::string text = slurp(json);
    fs::remove(json);
    const boost::json::object run = boost::json::parse(text).as_object();

    // The sweep as simul-bench made it: each case's task count.
    std::map<std::string, std::size_t> task_count;
    for (const auto& c : simul::make_cases(options_of(sweep))) task_count[c.name()] = c.task_count();

    // Every workload under every default model with no more threads than
    // its tasks, none skipped or failed.
    std::map<std::string, std::uint64_t> checksum_of;  // case name without its model → checksum
    std::map<std::string, int> models_of;              // ... → models that ran it
    std::set<std::string> workloads;
    std::size_t cases = 0;
    for (const auto& item : run.at("benchmarks").as_array()) {
        const auto& b = item.as_object();
        const std::string name(b.at("run_name").as_string());
        SCOPED_TRACE(name);
        ASSERT_FALSE(b.contains("error_occurred")) << b.at("error_message");
        ++cases;
        for (const auto& counter : counters) EXPECT_TRUE(b.contains(counter) && b.at(counter).is_number()) << counter;
        const auto num = [&](const std::string& k) { return b.contains(k) ? b.at(k).to_number<double>() : -1.0; };
        EXPECT_EQ(num("failed"), 0) << b.at("label");
        EXPECT_LE(num("lat_p50_ms"), num("lat_p90_ms"));
        EXPECT_LE(num("lat_p90_ms"), num("lat_p99_ms"));
        EXPECT_LE(num("lat_p99_ms"), num("lat_p999_ms"));
        EXPECT_LE(num("lat_p999_ms"), num("lat_max_ms"));

        // <workload>/<model>/<params>/iterations:1/manual_time
        const std::size_t model_at = name.find('/') + 1, params_at = name.find('/', model_at);
        const std::string workload = name.substr(0, model_at - 1);
        const std::string spec = name.substr(0, name.find("/iterations:"));
        workloads.insert(workload);
        ASSERT_TRUE(task_count.contains(spec)) << "a case simul-bench should not have made";
        // serve's tasks are the load generator's requests (R × T), not its connections.
        const auto param = [&](const std::string& key) {
            const std::size_t at = spec.find("/" + key + ":");
            return at == std::string::npos ? -1.0 : std::atof(spec.c_str() + at + key.size() + 2);
        };
        const double expected = workload == "serve" ? param("rate") * param("duration_s") : double(task_count[spec]);
        EXPECT_EQ(num("tasks") + num("failed"), expected);

        // A parameter only the coroutine colour reads (file_read's io) does
        // not change the work: its cases share the checksum of the others.
        std::string key = workload + spec.substr(params_at);
        for (const auto& p : simul::find_workload(workload)->params())
            if (p.async_only) {
                const std::size_t at = key.find("/" + p.name + ":");
                if (at != std::string::npos) key.erase(at, key.find('/', at + 1) - at);
            }
        const auto sum = std::uint64_t(num("checksum"));
        const auto first = checksum_of.emplace(key, sum).first;
        EXPECT_EQ(sum, first->second) << "another model of this case returned another checksum";
        ++models_of[key];
    }
    EXPECT_GE(cases, 3 * simul::all_workloads().size());
    for (const auto& [key, models] : models_of) EXPECT_GE(models, 3) << key << ": compared across too few models";
    for (const auto* w : simul::all_workloads()) EXPECT_TRUE(workloads.contains(std::string(w->name()))) << w->name();
    const auto& context = run.at("context").as_object();
    for (const char* key : {"kernel", "compiler", "build_type", "boost", "onetbb", "google_benchmark", "rlimit_nproc",
                            "rlimit_nofile", "pid_max"})
        EXPECT_TRUE(context.contains(key)) << key;
    const std::string last = fmt::format("[round 1, {0}/{0}]", cases);
    EXPECT_NE(o.err.find(last), std::string::npos) << "progress should count cases: " << o.err;
}

TEST(Cli, RateArrivalsAreNamedAndCounted) {
    const auto o = bench("--rate=200 --duration=0.1 --set=wait_ms:2 --models=sequential,coroutine_loop "
                         "--benchmark_filter=sleep --benchmark_format=json");
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("sleep/coroutine_loop/tasks:20/wait_ms:2/arrival:rate/rate:200"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("\"arrival_rate\""), std::string::npos);
    std::size_t cases = 0;
    const boost::json::value run = boost::json::parse(o.out);
    for (const auto& b : run.at("benchmarks").as_array()) {
        const std::string name(b.at("run_name").as_string());
        EXPECT_NE(name.find("/arrival:rate/"), std::string::npos) << name << ": no burst cases with --rate";
        ++cases;
    }
    EXPECT_EQ(cases, 2u);
}

TEST(Cli, ARatePastAModelsCapacityIsSkippedAsSaturated) {
    const auto o = bench("--rate=5000 --duration=1 --set=wait_ms:10 --models=sequential --benchmark_filter=sleep");
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("skipped: saturated: capacity 100 tasks/s is below the rate of 5000"), std::string::npos)
        << o.out;
}

TEST(Cli, ACaseOverTheBudgetIsSkippedWithItsPrediction) {
    const auto o = bench("--benchmark_filter=chess/sequential --budget=1");
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("skipped: predicted makespan 4.3 s"), std::string::npos) << o.out;
}

}  // namespace
