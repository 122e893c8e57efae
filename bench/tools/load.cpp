// simul-load: an open-loop HTTP/1.1 load generator in the manner of wrk2.
//
// Request k of R×T is scheduled at t0 + k/R and goes out on connection
// k mod C (keep-alive, one request in flight per connection). Its latency is
// measured from when it was *scheduled*, not from when it was sent: a server
// that stalls shows the stall in every request that had to wait, instead of
// silently slowing the generator down (coordinated omission). A request whose
// deadline (schedule + timeout) has passed before it could be sent counts as a
// timeout. Timed-out requests enter the latency percentiles at the timeout (a
// lower bound on their real latency), so a server that drops most requests
// cannot show a good p99 from the few it answered. --mode=closed sends each request when the previous one returns and
// measures from the send: the closed-loop measurement, for comparison.
//
// Prints one JSON object on stdout.

#include "bench/net/address.hpp"
#include "bench/net/helper.hpp"
#include "bench/net/http.hpp"
#include "support/flags.hpp"
#include "support/percentiles.hpp"
#include "support/system.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using steady = simul::clock;
using simul::usage_error;

namespace {

struct options {
    std::string host = "127.0.0.1";
    unsigned port = 0;
    std::int64_t conns = 10;
    double rate = 100;
    double duration = 2;
    std::int64_t delay_ms = 0;
    std::int64_t bytes = 64;
    std::string path;  // empty: the /delay protocol with checked bodies
    std::int64_t timeout_ms = 2000;
    bool closed = false;
    bool help = false;
};

std::vector<simul::flags::flag> load_flags(options& o) {
    using namespace simul::flags;
    return {
        {"--port", whole("N", 1, 65535, [&](std::int64_t v) { o.port = unsigned(v); }), "server port (required)"},
        {"--host", text("ADDRESS", [&](std::string_view v) { o.host = v; }),
         "server address, IPv4 or IPv6, e.g. 10.77.0.1 or ::1 (default 127.0.0.1)"},
        {"--conns", whole("C", 1, 1'000'000, [&](std::int64_t v) { o.conns = v; }),
         "keep-alive connections (default 10)"},
        {"--rate", number("R", 0.001, 10'000'000, [&](double v) { o.rate = v; }),
         "requests per second over all the connections (default 100)"},
        {"--duration", number("S", 0.001, 86'400, [&](double v) { o.duration = v; }),
         "seconds of schedule (default 2)"},
        {"--delay-ms", whole("D", 0, simul::http::max_delay_ms, [&](std::int64_t v) { o.delay_ms = v; }),
         "ask /delay?ms=D&bytes=B&seed=k; check each body (default 0)"},
        {"--bytes", whole("B", 0, simul::http::max_body_bytes, [&](std::int64_t v) { o.bytes = v; }), "(default 64)"},
        {"--path", text("P", [&](std::string_view v) { o.path = v; }), "ask P instead and only check for a 2xx status"},
        {"--timeout-ms", whole("T", 1, 3'600'000, [&](std::int64_t v) { o.timeout_ms = v; }),
         "a request not answered T ms after it was scheduled is a timeout (default 2000); timeouts count in the "
         "latency percentiles as T, errors (refused, reset) do not"},
        {"--mode", one_of({"open", "closed"}, [&](std::string_view v) { o.closed = v == "closed"; }),
         "closed: send when the previous answer arrives and measure from the send (for comparison; default open)"},
        {"--help", none([&] { o.help = true; }), "print this and exit"},
        {"-h", none([&] { o.help = true; }), ""},
    };
}

std::string usage() {
    options o;
    return R"(usage: simul-load --port=N [options]

Open-loop HTTP/1.1 load in the manner of wrk2: request k is scheduled at
t0 + k/RATE on connection k mod CONNS, and its latency counts from then.

)" + simul::flags::help(load_flags(o), 19) +
           R"(
Prints JSON: scheduled, completed, errors, timeouts, achieved_rate,
latency_ms {p50, p90, p99, p999, max}, first_error, connects (attempts), and
its own CPU time: cpu_user_s, cpu_sys_s, cpu_s (their sum), wall_s and
cpu_share (cpu_s / wall_s: the share of its one core it used; near 1, the
generator, not the server, set the pace).
A refused connection is retried after 1 ms, doubling to 1 s. Exits with 1
if no request was answered at all.
)";
}

options parse(int argc, char** argv) {
    options o;
    simul::flags::parse(load_flags(o), argc, argv);
    if (o.help) return o;
    if (o.port == 0) throw usage_error("--port is required (see --help)");
    if (o.rate * o.duration > 100'000'000) throw usage_error("--rate × --duration is over 100 million requests");
    return o;
}

class generator {
public:
    generator(asio::io_context& io, const options& o, tcp::endpoint server)
        : io_(io),
          o_(o),
          server_(server),
          host_(server.address().is_v6() ? "[" + server.address().to_string() + "]" : server.address().to_string()),
          total_(o.closed ? 0 : std::size_t(std::llround(o.rate * o.duration))),
          latency_ns_(total_, -1) {}

    void start() {
        t0_ = steady::now() + std::chrono::milliseconds(20);  // every connection coroutine is up by then
        for (std::int64_t c = 0; c < o_.conns; ++c)
            asio::co_spawn(io_, o_.closed ? closed_loop(c) : open_loop(c), asio::detached);
    }

    // Requests answered; none at all is a failure of the run, not a result.
    std::size_t answered() const {
        std::size_t measured = 0;  // answered, and timed out (at the timeout)
        for (auto ns : latency_ns_) measured += ns >= 0;
        return measured - timeouts_;
    }
    std::uint64_t requests() const { return answered() + errors_ + timeouts_; }
    const std::string& first_error() const { return first_error_; }
    std::uint64_t errors() const { return errors_; }
    std::uint64_t timeouts() const { return timeouts_; }

    boost::json::object report() const {
        std::vector<std::int64_t> measured;  // answered, and timed out (at the timeout)
        for (auto ns : latency_ns_)
            if (ns >= 0) measured.push_back(ns);
        const std::size_t answered = this->answered();
        const auto s = simul::summarize_ns(std::move(measured));
        const double elapsed = std::chrono::duration<double>(last_end_ - t0_).count();
        boost::json::object out;
        out["mode"] = o_.closed ? "closed" : "open";
        out["conns"] = o_.conns;
        out["rate"] = o_.rate;
        out["duration_s"] = o_.duration;
        out["scheduled"] = o_.closed ? answered + errors_ + timeouts_ : total_;
        out["completed"] = answered;
        out["errors"] = errors_;
        out["timeouts"] = timeouts_;
        out["achieved_rate"] = double(answered) / o_.duration;
        out["elapsed_s"] = elapsed > 0 ? elapsed : 0.0;
        out["checksum"] = checksum_;
        out["latency_ms"] = {
            {"p50", s.p50_ms}, {"p90", s.p90_ms}, {"p99", s.p99_ms}, {"p999", s.p999_ms}, {"max", s.max_ms}};
        out["first_error"] = first_error_;
        out["connects"] = connects_;
        return out;
    }

private:
    enum class outcome { ok, timeout, error };

    // A connection's reconnects back off, 1 ms doubling to 1 s, so that a
    // server that refuses is not asked again tens of thousands of times a second.
    struct link {
        bool connected = false;
        steady::time_point retry_at{};
        steady::duration backoff{};
        std::string refused;  // why the last connect failed
    };

    // One request on a (re)connected stream.
    asio::awaitable<outcome> exchange(beast::tcp_stream& stream, link& l, beast::flat_buffer& buffer, std::size_t k,
                                      steady::time_point deadline) {
        bool& connected = l.connected;
        if (!connected && steady::now() < l.retry_at) {
            // Open loop: the request is due now, and fails as the last
            // connect did. Closed loop: the next request waits.
            if (!o_.closed) co_return error(l.refused);
            asio::steady_timer wait(io_, l.retry_at);
            co_await wait.async_wait(asio::use_awaitable);
            deadline = steady::now() + std::chrono::milliseconds(o_.timeout_ms);
        }
        stream.expires_at(deadline);
        if (!connected) {
            ++connects_;
            auto [ec] = co_await stream.async_connect(server_, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                l.backoff = std::clamp<steady::duration>(2 * l.backoff, std::chrono::milliseconds(1),
                                                         std::chrono::seconds(1));
                l.retry_at = steady::now() + l.backoff;
                l.refused = ec.message();
                co_return failure(ec);
            }
            l.backoff = {};
            stream.socket().set_option(tcp::no_delay(true));
            connected = true;
            buffer.clear();
        }
        const simul::http::delay_request d{o_.delay_ms, o_.bytes, k};
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, o_.path.empty() ? simul::http::target(d) : o_.path, 11};
        req.set(bhttp::field::host, host_);
        auto [wec, wn] = co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(std::uint64_t(simul::http::max_body_bytes));
        beast::error_code rec = wec;
        if (!rec)
            std::tie(rec, std::ignore) = co_await bhttp::async_read(stream, buffer, parser,
                                                                    asio::as_tuple(asio::use_awaitable));
        if (rec) {
            connected = false;
            stream.close();
            co_return failure(rec);
        }
        const auto& res = parser.get();
        if (!res.keep_alive()) {
            connected = false;
            stream.close();
        }
        if (res.result_int() / 100 != 2) co_return error(fmt::format("HTTP {}", res.result_int()));
        if (o_.path.empty()) {
            const auto sum = simul::http::digest(res.body());
            if (sum != simul::http::digest(simul::http::body(d.bytes, d.seed)))
                co_return error("a response body did not match its request");
            checksum_ = (checksum_ + sum) & simul::checksum_mask;
        }
        co_return outcome::ok;
    }

    asio::awaitable<void> open_loop(std::int64_t c) {
        beast::tcp_stream stream(io_);
        beast::flat_buffer buffer;
        asio::steady_timer timer(io_);
        link conn;
        for (std::size_t k = std::size_t(c); k < total_; k += std::size_t(o_.conns)) {
            const auto due = t0_ + std::chrono::nanoseconds(std::llround(double(k) / o_.rate * 1e9));
            if (steady::now() < due) {
                timer.expires_at(due);
                co_await timer.async_wait(asio::use_awaitable);
            }
            const auto timeout = std::chrono::milliseconds(o_.timeout_ms);
            outcome result = outcome::timeout;
            if (steady::now() < due + timeout)  // else its client would have given up already: not sent
                result = co_await exchange(stream, conn, buffer, k, due + timeout);
            else timed_out();
            if (result == outcome::ok) record(k, steady::now() - due);
            if (result == outcome::timeout) record(k, timeout);
        }
    }

    asio::awaitable<void> closed_loop(std::int64_t c) {
        beast::tcp_stream stream(io_);
        beast::flat_buffer buffer;
        link conn;
        const auto end = t0_ + std::chrono::nanoseconds(std::llround(o_.duration * 1e9));
        asio::steady_timer timer(io_, t0_);
        co_await timer.async_wait(asio::use_awaitable);
        for (std::size_t k = std::size_t(c); steady::now() < end; k += std::size_t(o_.conns)) {
            const auto timeout = std::chrono::milliseconds(o_.timeout_ms);
            const auto sent = steady::now();
            const auto result = co_await exchange(stream, conn, buffer, k, sent + timeout);
            // A timeout enters the percentiles at the timeout, as in the open loop.
            if (result == outcome::ok)
                latency_ns_.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - sent).count());
            if (result == outcome::timeout) latency_ns_.push_back(std::chrono::nanoseconds(timeout).count());
            if (result != outcome::error) last_end_ = steady::now();
        }
    }

    void record(std::size_t k, steady::duration latency) {
        latency_ns_[k] = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
        last_end_ = steady::now();
    }

    outcome failure(const beast::error_code& ec) {
        return ec == beast::error::timeout ? timed_out() : error(ec.message());
    }

    outcome timed_out() {
        ++timeouts_;
        return outcome::timeout;
    }

    outcome error(const std::string& what) {
        ++errors_;
        if (first_error_.empty()) first_error_ = what;
        return outcome::error;
    }

    asio::io_context& io_;
    const options& o_;
    tcp::endpoint server_;
    std::string host_;  // the Host header: the address, IPv6 in brackets
    std::size_t total_;
    std::vector<std::int64_t> latency_ns_;  // one slot per scheduled request; −1 until answered
    steady::time_point t0_{}, last_end_{};
    std::uint64_t errors_ = 0, timeouts_ = 0, checksum_ = 0, connects_ = 0;
    std::string first_error_;
};

// This process's CPU time (user, system) and the time, at one moment.
struct cpu_mark {
    double user_s = 0, sys_s = 0;
    steady::time_point wall;
    static cpu_mark now() {
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        const auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
        return {s(ru.ru_utime), s(ru.ru_stime), steady::now()};
    }
};

}  // namespace

int main(int argc, char** argv) {
    simul::die_with_parent();  // a helper of a killed simul-bench must not linger
    options o;
    try {
        o = parse(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "simul-load: %s\n", e.what());
        return 2;
    }
    if (o.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    simul::raise_fd_limit();
    simul::ignore_sigpipe();
    boost::asio::ip::address address;
    try {
        address = simul::parse_address("--host", o.host);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "simul-load: %s\n", e.what());
        return 2;
    }
    asio::io_context io(1);
    generator g(io, o, tcp::endpoint(address, static_cast<unsigned short>(o.port)));
    // Its own CPU beside its figures: a generator that used its whole core
    // measured itself, not the server.
    const cpu_mark before = cpu_mark::now();
    g.start();
    io.run();
    const cpu_mark after = cpu_mark::now();
    auto report = g.report();
    const double user = after.user_s - before.user_s, sys = after.sys_s - before.sys_s;
    const double wall = std::chrono::duration<double>(after.wall - before.wall).count();
    report["cpu_user_s"] = user;
    report["cpu_sys_s"] = sys;
    report["cpu_s"] = user + sys;
    report["wall_s"] = wall;
    report["cpu_share"] = wall > 0 ? (user + sys) / wall : 0.0;
    std::printf("%s\n", boost::json::serialize(report).c_str());
    if (g.answered() == 0 && g.requests() > 0) {  // the report above says what happened; this says it failed
        std::fprintf(stderr, "simul-load: none of %llu requests was answered (%llu errors, %llu timeouts%s%s)\n",
                     static_cast<unsigned long long>(g.requests()), static_cast<unsigned long long>(g.errors()),
                     static_cast<unsigned long long>(g.timeouts()),
                     g.first_error().empty() ? "" : "; the first error: ", g.first_error().c_str());
        return 1;
    }
    return 0;
}
