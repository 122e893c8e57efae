// simul-delay-server: an HTTP/1.1 server standing in for a slow remote
// service. GET /delay?ms=D&bytes=B[&seed=S] answers after D ms with B bytes
// that depend only on (B, S). One thread, one coroutine per connection, so it
// holds tens of thousands of connections without becoming the bottleneck.

#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "bench/net/http.hpp"
#include "support/flags.hpp"
#include "support/system.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct options {
    unsigned port = 0;
    std::string bind = "127.0.0.1";
    bool help = false;
};

std::vector<simul::flags::flag> server_flags(options& o) {
    using namespace simul::flags;
    return {
        {"--port", whole("N", 0, 65535, [&](std::int64_t v) { o.port = unsigned(v); }),
         "port to listen on; 0 (the default) picks a free one"},
        {"--bind", text("ADDRESS", [&](std::string_view v) { o.bind = v; }),
         "address to listen on, IPv4 or IPv6, e.g. 10.77.0.2 or ::1 (default 127.0.0.1; 0.0.0.0 or :: for every "
         "address)"},
        {"--help", none([&] { o.help = true; }), "print this and exit"},
        {"-h", none([&] { o.help = true; }), ""},
    };
}

std::string usage() {
    options o;
    return R"(usage: simul-delay-server [--port=N] [--bind=ADDRESS]

An HTTP/1.1 server that stands in for a slow remote service:
  GET /delay?ms=D&bytes=B[&seed=S]   answers after D ms with a 200 and a body of
                                     B bytes that depends only on B and S
Keep-alive and "Connection: close" both work; anything else gets a 400 and the
connection is closed.

)" + simul::flags::help(server_flags(o), 19) +
           R"(
Prints "listening on ADDRESS:PORT" once it accepts connections (an IPv6
address in brackets: [::1]:PORT), then serves
until SIGINT or SIGTERM. One thread, one coroutine per connection.
)";
}

simul::awaitable<void> session(tcp::socket socket, tcp protocol) {
    simul::http::tcp_socket typed(co_await asio::this_coro::executor, protocol, socket.release());
    try {
        co_await simul::http::serve_async(typed);
    } catch (const std::exception&) {
        // A reset or a timeout ends this connection only.
    }
}

simul::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer backoff(ex);
    const tcp protocol = acceptor.local_endpoint().protocol();
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::deferred));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {  // out of descriptors, say: wait a little rather than spin
            std::fprintf(stderr, "simul-delay-server: accept: %s\n", ec.message().c_str());
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::deferred);
            continue;
        }
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(ex, session(std::move(socket), protocol), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    simul::die_with_parent();  // a helper of a killed simul-bench must not linger
    options o;
    boost::asio::ip::address address;
    try {
        simul::flags::parse(server_flags(o), argc, argv);
        if (!o.help) {
            address = simul::parse_address("--bind", o.bind);
            simul::check_local_address("--bind", address);
        }
    } catch (const simul::usage_error& e) {
        std::fprintf(stderr, "simul-delay-server: %s\n", e.what());
        return 2;
    }
    if (o.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    const unsigned port = o.port;
    simul::raise_fd_limit();
    simul::ignore_sigpipe();

    asio::io_context io(1);
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        std::fprintf(stderr, "simul-delay-server: cannot listen on %s: %s (try another --port, or 0 for any)\n",
                     simul::endpoint_text(endpoint).c_str(), ec.message().c_str());
        return 1;
    }
    std::printf("listening on %s\n", simul::endpoint_text(acceptor.local_endpoint()).c_str());
    std::fflush(stdout);

    asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](auto, int) { io.stop(); });
    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    io.run();
    return 0;
}
