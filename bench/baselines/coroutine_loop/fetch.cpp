// The bare coroutine client: one io_context on one thread; a coroutine spawns
// N coroutines, each, as Beast's coroutine client has it, connects a
// tcp_stream (with simul's timeout), sets TCP_NODELAY as simul's fetch does,
// writes one GET, reads the whole response, checks its body and closes.
// Usage: bare-coroutine_loop-fetch PORT TASKS DELAY_MS BYTES
#include "bench/baselines/fetch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using executor = asio::io_context::executor_type;
using stream = beast::basic_stream<asio::ip::tcp, executor>;

asio::awaitable<std::uint64_t, executor> fetch(const simul::bare::fetch_set& set, std::uint64_t i) {
    stream s(co_await asio::this_coro::executor);
    s.expires_after(set.timeout());
    co_await s.async_connect(set.server, asio::deferred);
    s.socket().set_option(asio::ip::tcp::no_delay(true));
    const auto req = set.request(i);
    co_await bhttp::async_write(s, req, asio::deferred);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(set.bytes + 1);
    co_await bhttp::async_read(s, buffer, parser, asio::deferred);
    co_return set.checked(i, parser.get());
}

asio::awaitable<void, executor> spawn_all(const simul::bare::fetch_set& set, std::uint64_t& sum,
                                          std::uint64_t& failed) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::uint64_t i = 0; i < set.tasks; ++i)
        asio::co_spawn(ex, fetch(set, i), [&sum, &failed, i](std::exception_ptr e, std::uint64_t v) {
            sum += v;
            if (e) simul::bare::failed_request(failed, i, e);
        });
}

int main(int argc, char** argv) {
    const auto set = simul::bare::fetch_set::from_args(argc, argv);
    asio::io_context io(1);
    std::uint64_t sum = 0, failed = 0;
    simul::bare::run run;
    asio::co_spawn(io, spawn_all(set, sum, failed), asio::detached);
    io.run();
    return simul::bare::finish(run, "coroutine_loop", set, set.tasks, sum, failed);
}
