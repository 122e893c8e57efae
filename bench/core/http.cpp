#include "bench/core/http.hpp"

#include "bench/workloads/util.hpp"
#include "models/task.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace simul::http {

std::string target(const delay_request& r) {
    return fmt::format("/delay?ms={}&bytes={}&seed={}", r.ms, r.bytes, r.seed);
}

std::optional<delay_request> parse_target(std::string_view t) {
    constexpr std::string_view path = "/delay?";
    if (!t.starts_with(path)) return std::nullopt;
    t.remove_prefix(path.size());
    delay_request r;
    bool has_ms = false, has_bytes = false;
    while (!t.empty()) {
        const auto amp = t.find('&');
        const auto pair = t.substr(0, amp);
        t = amp == std::string_view::npos ? std::string_view{} : t.substr(amp + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const auto key = pair.substr(0, eq), text = pair.substr(eq + 1);
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
        if (key == "ms") r.ms = std::int64_t(std::min<std::uint64_t>(v, max_delay_ms + 1)), has_ms = true;
        else if (key == "bytes") r.bytes = std::int64_t(std::min<std::uint64_t>(v, max_body_bytes + 1)), has_bytes = true;
        else if (key == "seed") r.seed = v;
        else return std::nullopt;
    }
    if (!has_ms || !has_bytes || r.ms > max_delay_ms || r.bytes > max_body_bytes) return std::nullopt;
    return r;
}

namespace {

// Bytes [offset, offset + out.size()) of the body for seed: each 8-byte
// word of the body is one mix of (seed, its position), so any part can be
// made on its own.
void fill_body(std::string& out, std::uint64_t seed, std::size_t offset) {
    std::uint64_t word = 0;
    for (std::size_t j = 0; j < out.size(); ++j) {
        const std::size_t k = offset + j;
        if (j == 0 || k % 8 == 0) word = mix64(seed * 0x100000001b3ULL + (k - k % 8));
        out[j] = char('a' + (word >> (8 * (k % 8))) % 26);
    }
}

constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ULL;

std::uint64_t fnv(std::uint64_t h, std::string_view b) {
    for (unsigned char c : b) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

}  // namespace

std::string body(std::int64_t bytes, std::uint64_t seed) {
    std::string out(std::size_t(bytes), '\0');
    fill_body(out, seed, 0);
    return out;
}

std::uint64_t digest(std::string_view b) { return fnv(fnv_basis, b) & checksum_mask; }

std::string short_error(const std::exception& e) {
    std::string what = e.what();
    const auto at = what.find(" [");
    if (at != std::string::npos && what.back() == ']') what.erase(at);
    return what;
}

namespace {

using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

response reply(const request& req, const delay_request& d) {
    response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "simul");
    res.set(bhttp::field::content_type, "text/plain");
    res.keep_alive(req.keep_alive());
    res.body() = body(d.bytes, d.seed);
    res.prepare_payload();
    return res;
}

// Bodies larger than this are made and sent a part at a time, so that a
// client that does not read holds the server to one part, not the body
// (up to 64 MiB) for each such request.
constexpr std::size_t part_bytes = 64 << 10;

bhttp::response<bhttp::empty_body> large_reply_head(const request& req, const delay_request& d) {
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, req.version()};
    head.set(bhttp::field::server, "simul");
    head.set(bhttp::field::content_type, "text/plain");
    head.keep_alive(req.keep_alive());
    head.content_length(std::uint64_t(d.bytes));
    return head;
}

response bad_request(unsigned version, std::string_view why) {
    response res{bhttp::status::bad_request, version};
    res.set(bhttp::field::server, "simul");
    res.set(bhttp::field::content_type, "text/plain");
    res.keep_alive(false);
    res.body() = fmt::format("{}\nexpected: GET /delay?ms=D&bytes=B[&seed=S]\n", why);
    res.prepare_payload();
    return res;
}

// A request Beast could not parse (as opposed to a socket error): a 400.
bool is_parse_error(const beast::error_code& ec) {
    return ec && ec.category() == beast::error_code(bhttp::error::bad_target).category();
}

// What to do with a request that parsed: the delay to wait, or why it is bad.
std::optional<delay_request> check(const request& req, std::string& why) {
    if (req.method() != bhttp::verb::get) {
        why = "only GET is served";
        return std::nullopt;
    }
    auto d = parse_target(req.target());
    if (!d) why = fmt::format("bad target '{}'", std::string_view(req.target()));
    return d;
}

}  // namespace

// The two colours of one server connection, side by side.

std::uint64_t serve_blocking(deadline_socket& socket) {
    beast::flat_buffer buffer;
    std::uint64_t sum = 0;
    for (;;) {
        request req;
        beast::error_code ec;
        socket.expires_after(idle_timeout);
        bhttp::read(socket, buffer, req, ec);
        if (ec == bhttp::error::end_of_stream) break;  // the client closed
        std::string why;
        const auto d = ec ? std::nullopt : check(req, why);
        if (!d) {
            if (ec && !is_parse_error(ec)) throw beast::system_error(ec);
            bhttp::write(socket, bad_request(ec ? 11 : req.version(), ec ? ec.message() : why));
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(d->ms));  // the backend's work
        if (std::size_t(d->bytes) > part_bytes) {
            auto head = large_reply_head(req, *d);
            bhttp::response_serializer<bhttp::empty_body> sr(head);
            socket.expires_after(idle_timeout);
            bhttp::write_header(socket, sr);
            std::string part;
            std::uint64_t h = fnv_basis;
            for (std::size_t at = 0; at < std::size_t(d->bytes); at += part.size()) {
                part.resize(std::min(part_bytes, std::size_t(d->bytes) - at));
                fill_body(part, d->seed, at);
                h = fnv(h, part);
                socket.expires_after(idle_timeout);
                asio::write(socket, asio::buffer(part));
            }
            sum = (sum + (h & checksum_mask)) & checksum_mask;
            if (!head.keep_alive()) break;
            continue;
        }
        auto res = reply(req, *d);
        sum = (sum + digest(res.body())) & checksum_mask;
        socket.expires_after(idle_timeout);
        bhttp::write(socket, res);
        if (!res.keep_alive()) break;
    }
    beast::error_code ignored;
    socket.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return sum;
}

awaitable<std::uint64_t> serve_async(tcp_stream& stream) {
    beast::flat_buffer buffer;
    std::uint64_t sum = 0;
    steady_timer backend(stream.get_executor());
    for (;;) {
        request req;
        stream.expires_after(idle_timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, asio::as_tuple(asio::deferred));
        if (ec == bhttp::error::end_of_stream) break;  // the client closed
        std::string why;
        const auto d = ec ? std::nullopt : check(req, why);
        if (!d) {
            if (ec && !is_parse_error(ec)) throw beast::system_error(ec);
            // Named, not a temporary in the co_await: GCC 12 destroys such
            // temporaries twice (GCC PR 100611).
            const auto bad = bad_request(ec ? 11 : req.version(), ec ? ec.message() : why);
            co_await bhttp::async_write(stream, bad, asio::deferred);
            break;
        }
        backend.expires_after(std::chrono::milliseconds(d->ms));  // the backend's work
        co_await backend.async_wait(asio::deferred);
        if (std::size_t(d->bytes) > part_bytes) {
            auto head = large_reply_head(req, *d);
            bhttp::response_serializer<bhttp::empty_body> sr(head);
            stream.expires_after(idle_timeout);
            co_await bhttp::async_write_header(stream, sr, asio::deferred);
            std::string part;
            std::uint64_t h = fnv_basis;
            for (std::size_t at = 0; at < std::size_t(d->bytes); at += part.size()) {
                part.resize(std::min(part_bytes, std::size_t(d->bytes) - at));
                fill_body(part, d->seed, at);
                h = fnv(h, part);
                stream.expires_after(idle_timeout);
                co_await asio::async_write(stream, asio::buffer(part), asio::deferred);
            }
            sum = (sum + (h & checksum_mask)) & checksum_mask;
            if (!head.keep_alive()) break;
            continue;
        }
        auto res = reply(req, *d);
        sum = (sum + digest(res.body())) & checksum_mask;
        stream.expires_after(idle_timeout);
        co_await bhttp::async_write(stream, res, asio::deferred);
        if (!res.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_return sum;
}

}  // namespace simul::http
