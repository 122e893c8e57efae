// fetch: the models as clients. Each task opens a TCP connection to the delay
// server (a slow remote service, in its own process), sends one
// GET /delay?ms=D&bytes=B&seed=i, reads the whole response, checks its body
// and closes: "download a hundred pages". Sequential takes N × D; the others
// should approach one D. The delay server is one this workload starts, on
// --delay-bind (127.0.0.1 unless told; where the helpers run), or one that
// runs elsewhere (--delay-server=HOST:PORT; support/settings.hpp).

#include "bench/case/workload.hpp"
#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "bench/net/http.hpp"
#include "support/settings.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace simul {
namespace {

class fetch_tasks final : public prepared_tasks {
public:
    fetch_tasks(std::size_t n, std::int64_t delay_ms, std::int64_t bytes)
        : delay_ms_(delay_ms), bytes_(bytes), timeout_(delay_ms + 10'000) {
        const network_settings& net = network();
        if (net.delay_server.empty()) {
            server_.emplace(parse_address("--delay-bind", net.delay_bind));
            server_at_ = {reachable(server_->at.address()), server_->at.port()};
        } else {
            server_at_ = parse_endpoint("--delay-server", net.delay_server);
        }
        host_ = endpoint_text(server_at_);
        // The expected bodies' digests, worked out now so the tasks only compare.
        expected_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) expected_.push_back(http::digest(http::body(bytes, i)));
    }

    std::size_t size() const override { return expected_.size(); }

    std::uint64_t blocking(std::size_t i) override try {
        deadline_socket socket(tcp::socket{blocking_io_});
        socket.expires_after(timeout_);
        socket.connect(server_at_);
        socket.socket().set_option(tcp::no_delay(true));
        bhttp::write(socket, request(i));
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(std::uint64_t(bytes_) + 1);
        bhttp::read(socket, buffer, parser);
        return checked_digest(i, parser.get());
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error(http::short_error(e));  // the task's label, without Boost's source location
    }

    awaitable<std::uint64_t> async(std::size_t i) override {
        try {
            http::tcp_stream stream(co_await asio::this_coro::executor);
            stream.expires_after(timeout_);
            co_await stream.async_connect(server_at_, asio::deferred);
            stream.socket().set_option(tcp::no_delay(true));
            const auto req = request(i);
            co_await bhttp::async_write(stream, req, asio::deferred);
            beast::flat_buffer buffer;
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(std::uint64_t(bytes_) + 1);
            co_await bhttp::async_read(stream, buffer, parser, asio::deferred);
            co_return checked_digest(i, parser.get());
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error(http::short_error(e));  // without Boost's source location
        }
    }

    // The coroutine colour line for line, suspending through yield.
    std::uint64_t stackful(std::size_t i, yield_context yield) override try {
        http::tcp_stream stream(yield.get_executor());
        stream.expires_after(timeout_);
        stream.async_connect(server_at_, yield);
        stream.socket().set_option(tcp::no_delay(true));
        const auto req = request(i);
        bhttp::async_write(stream, req, yield);
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(std::uint64_t(bytes_) + 1);
        bhttp::async_read(stream, buffer, parser, yield);
        return checked_digest(i, parser.get());
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error(http::short_error(e));  // without Boost's source location
    }

    std::vector<std::pair<std::string, std::string>> peer_environment() const override {
        return {{"SIMUL_DELAY_HOST", server_at_.address().to_string()},
                {"SIMUL_DELAY_PORT", std::to_string(server_at_.port())}};
    }
    std::optional<std::uint64_t> expected_checksum(std::size_t i) const override { return expected_[i]; }

private:
    bhttp::request<bhttp::empty_body> request(std::size_t i) const {
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, http::target({delay_ms_, bytes_, i}), 11};
        req.set(bhttp::field::host, host_);
        req.keep_alive(false);  // one request per connection
        return req;
    }

    // The task's checksum is the digest of the body it received.
    std::uint64_t checked_digest(std::size_t i, const bhttp::response<bhttp::string_body>& res) const {
        if (res.result() != bhttp::status::ok)
            throw std::runtime_error(fmt::format("fetch: HTTP {}", res.result_int()));
        const std::uint64_t got = http::digest(res.body());
        if (res.body().size() != std::size_t(bytes_) || got != expected_[i])
            throw std::runtime_error("fetch: the body does not match the request");
        return got;
    }

    std::int64_t delay_ms_, bytes_;
    std::optional<delay_server> server_;  // its own process, unless one runs elsewhere; stopped with the tasks
    tcp::endpoint server_at_;
    std::string host_;  // the Host header
    std::chrono::milliseconds timeout_;
    asio::io_context blocking_io_;  // owns the blocking colour's sockets; never run
    std::vector<std::uint64_t> expected_;
};

class fetch_workload_t final : public workload {
public:
    std::string_view name() const override { return "fetch"; }
    std::string_view description() const override {
        return "N clients each GET one page from a slow server (connect, request, read, close)";
    }

    std::vector<param_spec> params() const override {
        return {
            {.name = "tasks",
             .help = "number of requests N, one connection each",
             .quick = {10, 100, 1000},
             .full = {10, 100, 1000, 10000},
             .smoke = 12,
             .counts_tasks = true},
            {.name = "delay_ms", .help = "the server's delay D per request", .quick = {50}, .full = {50}, .smoke = 5},
            {.name = "bytes", .help = "response body size", .quick = {1024}, .full = {1024, 65536}, .smoke = 256},
        };
    }

    double service_s(const simul::params& p) const override { return double(p["delay_ms"]) / 1e3; }
    bool has_stackful() const override { return true; }
    std::size_t descriptors_per_task() const override { return 1; }  // its socket

    // 50 ms requests from 10 to 1,000 new connections/s: past sequential's
    // capacity (20/s) and the small pool's (40/s). The quick sweep takes
    // every other rung, so that each case can run in several rounds.
    rate_sweep default_rates(bool quick) const override {
        if (quick) return {{}, {10, 100, 1000}, 1};
        return {{}, {10, 30, 100, 300, 1000, 3000}, 2};
    }

    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        return std::make_unique<fetch_tasks>(task_count(p), p["delay_ms"], p["bytes"]);
    }
};

}  // namespace

const workload& fetch_workload() { return the_workload<fetch_workload_t>(); }

}  // namespace simul
