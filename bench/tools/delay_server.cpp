// simul-delay-server: an HTTP/1.1 server standing in for a slow remote
// service. GET /delay?ms=D&bytes=B[&seed=S] answers after D ms with B bytes
// that depend only on (B, S). One thread, one coroutine per connection, so it
// holds tens of thousands of connections without becoming the bottleneck.

#include "bench/net/helper.hpp"
#include "bench/net/http.hpp"
#include "support/system.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/deferred.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const char* const usage = R"(usage: simul-delay-server [--port=N] [--bind=ADDRESS]

An HTTP/1.1 server that stands in for a slow remote service:
  GET /delay?ms=D&bytes=B[&seed=S]   answers after D ms with a 200 and a body of
                                     B bytes that depends only on B and S
Keep-alive and "Connection: close" both work; anything else gets a 400 and the
connection is closed.

  --port=N         port to listen on; 0 (the default) picks a free one
  --bind=ADDRESS   address to listen on (default 127.0.0.1)

Prints "listening on ADDRESS:PORT" once it accepts connections, then serves
until SIGINT or SIGTERM. One thread, one coroutine per connection.
)";

simul::awaitable<void> session(tcp::socket socket) {
    simul::http::tcp_socket typed(co_await asio::this_coro::executor, tcp::v4(), socket.release());
    try {
        co_await simul::http::serve_async(typed);
    } catch (const std::exception&) {
        // A reset or a timeout ends this connection only.
    }
}

simul::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer backoff(ex);
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
        asio::co_spawn(ex, session(std::move(socket)), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    simul::die_with_parent();  // a helper of a killed simul-bench must not linger
    unsigned port = 0;
    std::string bind = "127.0.0.1";
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            return 0;
        } else if (a.starts_with("--port=")) {
            const auto v = a.substr(7);
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
            if (ec != std::errc{} || end != v.data() + v.size() || port > 65535) {
                std::fprintf(stderr, "simul-delay-server: --port: '%.*s' is not a port (0-65535)\n", int(v.size()),
                             v.data());
                return 2;
            }
        } else if (a.starts_with("--bind=")) {
            bind = std::string(a.substr(7));
        } else {
            std::fprintf(stderr, "simul-delay-server: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    simul::raise_fd_limit();
    simul::ignore_sigpipe();

    asio::io_context io(1);
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(bind, ec);
    if (ec) {
        std::fprintf(stderr, "simul-delay-server: --bind: '%s' is not an IP address\n", bind.c_str());
        return 2;
    }
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        std::fprintf(stderr, "simul-delay-server: cannot listen on %s:%u: %s (try another --port, or 0 for any)\n",
                     bind.c_str(), port, ec.message().c_str());
        return 1;
    }
    std::printf("listening on %s:%u\n", bind.c_str(), unsigned(acceptor.local_endpoint().port()));
    std::fflush(stdout);

    asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](auto, int) { io.stop(); });
    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    io.run();
    return 0;
}
