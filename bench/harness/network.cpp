#include "bench/harness/network.hpp"

#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "support/flags.hpp"
#include "support/settings.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <stdexcept>
#include <vector>

namespace simul {

namespace {

std::string or_loopback(const std::string& address) { return address.empty() ? "127.0.0.1" : address; }

}  // namespace

void apply_network(const options& opt) {
    network_settings n;
    n.serve_bind = or_loopback(opt.serve_bind);
    n.delay_bind = or_loopback(opt.delay_bind);
    const auto serve_at = parse_address("--serve-bind", n.serve_bind);
    check_local_address("--serve-bind", serve_at);
    const auto delay_at = parse_address("--delay-bind", n.delay_bind);
    if (!opt.delay_server.empty()) {
        parse_endpoint("--delay-server", opt.delay_server);
        n.delay_server = opt.delay_server;
    }
    if (!opt.helper_dir.empty() && opt.helper_via.empty())
        throw usage_error("--helper-dir: it names the helpers' folder on the host of --helper-via; give both");
    if (!opt.helper_netns.empty() && !opt.helper_via.empty())
        throw usage_error("--helper-netns and --helper-via: the helpers run in one place; give one of them");
    const bool elsewhere = !opt.helper_netns.empty() || !opt.helper_via.empty();
    const char* const which = opt.helper_netns.empty() ? "--helper-via" : "--helper-netns";
    // The helpers' loopback is not this process's: they would meet no one.
    if (elsewhere && reachable(serve_at).is_loopback())
        throw usage_error(fmt::format("{}: the load generator runs elsewhere and cannot reach {}: give --serve-bind "
                                      "an address it reaches (bench.sh --netns gives 10.77.0.1)",
                                      which, n.serve_bind));
    if (elsewhere && opt.delay_server.empty() && reachable(delay_at).is_loopback())
        throw usage_error(fmt::format("{}: the delay server runs elsewhere and this process cannot reach it on {}: "
                                      "give --delay-bind its address there (bench.sh --netns gives 10.77.0.2)",
                                      which, n.delay_bind));
    if (!opt.helper_netns.empty()) {
        try {
            set_helper_netns(opt.helper_netns);
        } catch (const std::runtime_error& e) {
            throw usage_error(fmt::format("--helper-netns: {}", e.what()));
        }
    }
    if (!opt.helper_via.empty()) {
        std::vector<std::string> words;
        for (auto w : flags::split(opt.helper_via, ' '))
            if (!w.empty()) words.emplace_back(w);
        set_helper_via(std::move(words), opt.helper_dir);
    }
    set_network(std::move(n));
}

std::string network_mode(const options& opt) {
    if (!opt.helper_via.empty() || !opt.delay_server.empty()) return "remote";
    if (!opt.helper_netns.empty()) return "netns";
    return "loopback";
}

void add_network_context(const options& opt) {
    const network_settings& n = network();
    std::string where;
    if (!opt.helper_netns.empty())
        where = fmt::format("the helpers (simul-load, simul-delay-server) in network namespace {}, simul-bench in "
                            "its own",
                            opt.helper_netns);
    else if (!opt.helper_via.empty())
        where = fmt::format("the helpers started through '{}'{}", opt.helper_via,
                            opt.helper_dir.empty() ? "" : fmt::format(" from {}", opt.helper_dir));
    else where = "the helpers (simul-load, simul-delay-server) on this machine, in simul-bench's network namespace";
    const std::string fetch = n.delay_server.empty() ? fmt::format("fetch's delay server on {}", n.delay_bind)
                                                     : fmt::format("fetch asks the delay server at {}", n.delay_server);
    benchmark::AddCustomContext("simul_network", network_mode(opt));
    benchmark::AddCustomContext("simul_network_detail",
                                fmt::format("{}; serve listens on {}; {}", where, n.serve_bind, fetch));
}

}  // namespace simul
