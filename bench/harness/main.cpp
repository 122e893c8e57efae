// simul-bench: every case of the sweep as one Google Benchmark benchmark.
// One iteration is one whole run; its manual time is the makespan, and every
// meter figure is a user counter, so it lands in the console and the JSON.
// The pieces: cli.* (flags, the cases), sweep.* (the selected cases, skips,
// the warm-up), benchmarks.* (registration, the run, the reporters).

#include "bench/harness/benchmarks.hpp"
#include "bench/harness/cli.hpp"
#include "bench/harness/context.hpp"
#include "bench/harness/network.hpp"
#include "bench/harness/results_file.hpp"
#include "bench/harness/sweep.hpp"
#include "support/settings.hpp"
#include "support/system.hpp"

#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace simul;

int run(int argc, char** argv) {
    std::string command_line;  // as given, before parse_args takes simul's flags out of argv
    for (int i = 0; i < argc; ++i) {
        if (i > 0) command_line += ' ';
        command_line += argv[i];  // appended, not "literal" + std::string: GCC 12's false -Wrestrict (bug 105329)
    }

    const options opt = parse_args(argc, argv);
    if (opt.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (!opt.data_dir.empty()) set_data_dir(opt.data_dir);
    apply_network(opt);                  // before any case is made: a bad address is a usage error
    static sweep s = select_cases(opt);  // outlives the benchmarks that refer to it
    if (opt.list) {
        print_list(s.cases, opt);
        return 0;
    }
    make_trace_dir(opt.traces);
    const std::uint64_t fd_limit = raise_fd_limit();  // the socket models need descriptors by the thousand
    ignore_sigpipe();
    s.prepare(opt.budget(), fd_limit);
    register_benchmarks(s, listing_only(argc, argv) ? 1 : s.rule.rounds_registered());
    std::optional<results_file> out;  // made before anything runs: an unwritable target is a usage error
    if (!opt.out_path.empty()) out.emplace(opt.out_path, opt.out_format);

    s.rule.share_s = s.rule.share_for(s.runnable().size());
    warm_up(s.runnable());
    add_context(command_line, s.rule);
    add_network_context(opt);
    return run_benchmarks(argc, argv, out ? &*out : nullptr, opt.out_format);
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
