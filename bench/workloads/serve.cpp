// serve: the models as servers. The model under test serves HTTP/1.1 inside
// simul-bench (so the meter sees its memory, CPU and threads) while
// simul-load, in its own process, offers R requests/s over C keep-alive
// connections for T seconds. Each request does the same backend work: wait
// D ms, reply with B bytes. A task is one connection (it arrives when
// accepted; see bench/net/accept.hpp for its colours).
//
// Latency, completed requests, errors and the achieved rate come from the
// load generator, measured from each request's scheduled time; memory, CPU
// and threads from the meter. A model that cannot keep up shows it as
// latency, timeouts and a lower achieved rate: a result, not a failure.
//
// Where there are two CPUs or more, the load generator runs on one and this
// process (the server under test) on the others, from the case's set-up to
// its teardown; the label says where each ran, or that nothing was pinned.
// The server listens on --serve-bind (127.0.0.1 unless told; IPv6 too), and
// simul-load connects there from wherever the helpers run (bench/net/helper.hpp:
// this machine, another network namespace, another host). simul-load reports
// its own CPU time, which goes beside the figures: a generator that used its
// whole core measured its own limit, not the server's.

#include "bench/case/workload.hpp"
#include "bench/net/accept.hpp"
#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "bench/net/pinning.hpp"
#include "support/settings.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <optional>

namespace simul {
namespace {

// How long after its scheduled time a request counts as timed out.
constexpr std::int64_t request_timeout_ms = 2000;
// A generator that used this share of its core or more set the pace itself
// (scripts/report.py says so with the same bound).
constexpr double load_saturated = 0.9;

class serve_case final : public prepared_tasks {
public:
    explicit serve_case(const simul::params& p)
        : server_(std::size_t(p["conns"]), 0, parse_address("--serve-bind", network().serve_bind)),
          p_(p),
          split_(cpu_split::choose()) {
        // Before the model is made, so that its threads inherit the mask.
        if (split_.pinned()) pinned_.emplace(split_.server_cpus());
    }

    std::size_t size() const override { return server_.size(); }
    std::uint64_t blocking(std::size_t i) override { return server_.blocking(i); }
    awaitable<std::uint64_t> async(std::size_t i) override { return server_.async(i); }
    std::uint64_t stackful(std::size_t i, yield_context yield) override { return server_.stackful(i, yield); }

    arrivals* own_arrivals() override { return &server_.accepted(); }
    int peer_listen_fd() const override { return server_.listen_fd(); }

    void on_start() override {
        // Connections that have not come once the load is over never will.
        server_.accept_until(clock::now() + std::chrono::seconds(p_["duration_s"]) +
                             std::chrono::milliseconds(request_timeout_ms) + std::chrono::seconds(5));
        const std::vector<std::string> args{
            fmt::format("--host={}", reachable(server_.endpoint().address()).to_string()),
            fmt::format("--port={}", server_.port()),
            fmt::format("--conns={}", p_["conns"]),
            fmt::format("--rate={}", p_["rate"]),
            fmt::format("--duration={}", p_["duration_s"]),
            fmt::format("--delay-ms={}", p_["delay_ms"]),
            fmt::format("--bytes={}", p_["bytes"]),
            fmt::format("--timeout-ms={}", request_timeout_ms)};
        load_.emplace(tool_path("simul-load"), args, helper_options{.cpus = split_.load_cpus()});  // on the load's CPU, if pinned
    }

    // The load generator's side of the case replaces the per-task figures.
    void on_end(case_result& r) override {
        const auto report = boost::json::parse(
            load_->wait_output(std::chrono::seconds(p_["duration_s"]) + std::chrono::seconds(30)));
        const auto& o = report.as_object();
        const auto num = [&](const char* k) { return boost::json::value_to<double>(o.at(k)); };
        const auto& lat = o.at("latency_ms").as_object();
        const auto ms = [&](const char* k) { return boost::json::value_to<double>(lat.at(k)); };
        r.tasks = std::size_t(num("completed"));
        r.failed = std::size_t(num("errors") + num("timeouts"));
        r.latency = {ms("p50"), ms("p90"), ms("p99"), ms("p999"), ms("max")};
        r.checksum = std::uint64_t(num("checksum"));  // of the bodies the client received and checked
        // The load lasts T whatever the model does, and a model that drops
        // connections even ends early: how close it came to the ideal is the
        // share of the offered load it carried.
        r.efficiency = num("achieved_rate") / num("rate");
        r.extra = {{"rate_offered", num("rate")},
                   {"rate_achieved", num("achieved_rate")},
                   {"timeouts", num("timeouts")},
                   {"conns", double(server_.size())},
                   {"pinned", split_.pinned() ? 1.0 : 0.0}};
        // The generator's own CPU (user + sys) and the share of its one core
        // it used; absent from a simul-load too old to report them.
        if (o.contains("cpu_s")) {
            r.extra.emplace_back("load_cpu_s", num("cpu_s"));
            r.extra.emplace_back("load_cpu_share", num("cpu_share"));
        }
        const std::string first_error(o.at("first_error").as_string());
        r.label = split_.describe();
        if (o.contains("cpu_share") && num("cpu_share") >= load_saturated)
            r.label += fmt::format("; the load generator was saturated ({:.0f}% of its core): the figure is its "
                                   "limit, not the server's",
                                   num("cpu_share") * 100);
        if (r.failed > 0)
            r.label += fmt::format("; {:.0f} of {:.0f} req/s answered; {} failed ({:.0f} timeouts{}{})",
                                   num("achieved_rate"), num("rate"), r.failed, num("timeouts"),
                                   first_error.empty() ? "" : "; ", first_error);
    }

private:
    connection_server server_;
    simul::params p_;
    cpu_split split_;
    std::optional<process_pinning> pinned_;  // restores every thread's mask at teardown
    std::optional<helper_process> load_;     // stopped before the mask is restored
};

class serve_workload_t final : public workload {
public:
    std::string_view name() const override { return "serve"; }
    std::string_view description() const override {
        return "the model serves HTTP; simul-load offers R req/s over C keep-alive connections";
    }

    std::vector<param_spec> params() const override {
        // smoke: one connection at 40 req/s for 1 s is within every model's
        // reach (sequential serves one keep-alive connection at a time).
        return {
            {.name = "conns",
             .help = "keep-alive connections C (one task each)",
             .quick = {50},
             .full = {50, 1000},
             .smoke = 1,
             .counts_tasks = true},
            {.name = "rate",
             .help = "offered requests per second R",
             .quick = {200, 2000},
             .full = {200, 1000, 2000, 4000},
             .smoke = 40},
            {.name = "delay_ms", .help = "backend work per request D, a wait", .quick = {10}, .full = {10}, .smoke = 5},
            {.name = "bytes", .help = "response body size", .quick = {1024}, .full = {1024}, .smoke = 256},
            {.name = "duration_s",
             .help = "seconds of load T (quick: 2, so that each case runs in several rounds)",
             .quick = {2},
             .full = {5},
             .smoke = 1},
        };
    }

    // Connections arrive when simul-load opens them, not on a schedule.
    bool own_arrivals() const override { return true; }
    bool has_stackful() const override { return true; }

    // The load lasts T whatever the model does (efficiency, though, is the
    // achieved ÷ offered rate; see serve_case::on_end).
    double ideal_s(const simul::params& p, const model_shape&) const override { return double(p["duration_s"]); }

    std::size_t descriptors(const simul::params& p, const model_shape&) const override {
        return std::size_t(p["conns"]) * 2;  // the connections, and room for reconnects
    }

    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        return std::make_unique<serve_case>(p);
    }
};

}  // namespace

const workload& serve_workload() { return the_workload<serve_workload_t>(); }

}  // namespace simul
