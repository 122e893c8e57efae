// simul-serve: one model's HTTP server on its own, for wrk or any client.
// The same server the serve workload measures: connections arrive by accept
// and are served with the /delay protocol by the chosen model.

#include "bench/net/accept.hpp"
#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "models/kinds.hpp"
#include "models/model.hpp"
#include "models/trace.hpp"
#include "support/flags.hpp"
#include "support/system.hpp"

#include <fmt/format.h>

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct options {
    std::optional<simul::model_spec> model;
    unsigned port = 0;
    std::string bind = "127.0.0.1";
    std::size_t conns = 100000;
    bool help = false;
};

std::vector<simul::flags::flag> serve_flags(options& o) {
    using namespace simul::flags;
    return {
        {"--model", text("MODEL", [&](std::string_view v) { o.model = simul::parse_model(v); }),
         "one of the models below"},
        {"--port", whole("N", 0, 65535, [&](std::int64_t v) { o.port = unsigned(v); }),
         "port (default 0: any free port)"},
        {"--bind", text("ADDRESS", [&](std::string_view v) { o.bind = v; }),
         "address to listen on, IPv4 or IPv6, e.g. 10.77.0.1 or ::1 (default 127.0.0.1; 0.0.0.0 or :: for every "
         "address)"},
        {"--conns", whole("N", 1, 100'000'000, [&](std::int64_t v) { o.conns = std::size_t(v); }),
         "stop after serving N connections (default 100000)"},
        {"--help", none([&] { o.help = true; }), "print this and exit"},
        {"-h", none([&] { o.help = true; }), ""},
    };
}

// The flags and the models, from their tables (models/kinds.hpp).
std::string usage() {
    options o;
    return R"(usage: simul-serve --model=MODEL [--port=N] [--bind=ADDRESS] [--conns=N]

Serves GET /delay?ms=D&bytes=B[&seed=S] on 127.0.0.1 (or --bind) with one
concurrency model, as the serve workload measures it, until SIGINT, SIGTERM or
the --conns-th connection has ended. Says on stderr why it stopped; exits with 1 if the server
could go on no longer (a thread limit, say).

)" + simul::flags::help(serve_flags(o), 18) +
           fmt::format(R"(
Prints "listening on ADDRESS:PORT" when ready (an IPv6 address in brackets:
[::1]:PORT). For example, with wrk:
  simul-serve --model=coroutine_loop --port=8080 &
  wrk -t1 -c100 -d10s 'http://127.0.0.1:8080/delay?ms=10&bytes=1024'

models (P: a thread count from 1 to {}):
{})",
                       simul::max_pool_threads, simul::models_help(22));
}

}  // namespace

int main(int argc, char** argv) {
    simul::die_with_parent();  // a helper of a killed simul-bench must not linger
    options o;
    boost::asio::ip::address address;
    try {
        simul::flags::parse(serve_flags(o), argc, argv);
        if (!o.help && !o.model) throw simul::usage_error("--model is required (see --help)");
        if (!o.help) {
            address = simul::parse_address("--bind", o.bind);
            simul::check_local_address("--bind", address);
        }
    } catch (const simul::usage_error& e) {
        std::fprintf(stderr, "simul-serve: %s\n", e.what());
        return 2;
    }
    if (o.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    const simul::model_spec& spec = *o.model;
    const unsigned port = o.port;
    const std::size_t conns = o.conns;
    simul::raise_fd_limit();
    simul::ignore_sigpipe();
    // SIGINT and SIGTERM go to one thread that says so before exiting: every
    // way this server stops is told on stderr. Blocked before any thread starts,
    // so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    try {
        simul::connection_server server(conns, static_cast<unsigned short>(port), address);
        auto runner = spec.make();
        simul::trace tr(conns);
        tr.start(simul::clock::now());
        std::thread([&tr, stop_signals] {
            int sig = 0;
            sigwait(&stop_signals, &sig);
            // Connections begun, not ended: a served keep-alive connection
            // ends only when the server sees its close, which may come after
            // the signal (a test caught the count one short under load).
            std::size_t begun = 0;
            for (std::size_t i = 0; i < tr.size(); ++i) begun += tr.start_ns(i) != simul::trace::not_done;
            std::fprintf(stderr, "simul-serve: stopped by %s after %zu connections\n",
                         sig == SIGINT ? "SIGINT" : "SIGTERM", begun);
            std::_Exit(0);  // the asked-for way to stop: not an error
        }).detach();
        std::printf("listening on %s\n", simul::endpoint_text(server.endpoint()).c_str());
        std::fflush(stdout);
        const std::string limit = runner->run(server, server.accepted(), tr);
        std::size_t failed = 0, started = 0;
        for (std::size_t i = 0; i < tr.size(); ++i) {
            failed += tr.failed(i);
            started += tr.start_ns(i) != simul::trace::not_done;
        }
        if (!limit.empty()) {  // a thread limit, or accept failing: the server cannot go on
            fmt::print(stderr, "simul-serve: stopped after serving {} of --conns={} connections: {}{}\n", started,
                       conns, limit, server.accept_error().empty() ? "" : "; " + server.accept_error());
            return 1;
        }
        const std::string errors =
            failed > 0 ? fmt::format(" ({} ended with an error, the first: {})", failed, tr.first_error()) : "";
        fmt::print(stderr, "simul-serve: served --conns={} connections{}; stopping\n", conns, errors);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "simul-serve: stopped: %s\n", e.what());
        return 1;
    }
    return 0;
}
