#include "bench/net/http.hpp"

#include "models/task.hpp"
#include "support/mix64.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <sstream>
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
        else if (key == "bytes")
            r.bytes = std::int64_t(std::min<std::uint64_t>(v, max_body_bytes + 1)), has_bytes = true;
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
    for (const char c : b) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
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

// The request line is all a server of /delay needs. Beast's own parser
// (basic_parser) hands it over here without building a header map, into a
// target string the connection keeps: parsing a request allocates nothing
// once the connection's first request has sized that string. basic_parser
// cannot be reset, so each request gets a new one (it lives on the stack).
class request_line final : public bhttp::basic_parser<true> {
public:
    explicit request_line(std::string& target) : target_(target) { target_.clear(); }

    bhttp::verb method = bhttp::verb::unknown;
    unsigned version = 11;
    std::string_view target() const { return target_; }

private:
    void on_request_impl(bhttp::verb m, beast::string_view, beast::string_view t, int v, beast::error_code&) override {
        method = m;
        version = unsigned(v);
        target_.assign(t.data(), t.size());
    }
    void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
    void on_field_impl(bhttp::field, beast::string_view, beast::string_view, beast::error_code&) override {}
    void on_header_impl(beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
    std::size_t on_body_impl(beast::string_view b, beast::error_code&) override { return b.size(); }  // ignored
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view b, beast::error_code&) override {
        return b.size();
    }
    void on_finish_impl(beast::error_code&) override {}

    std::string& target_;
};

// The answer to one distinct request. (bytes, seed) decide the body, and with
// the HTTP version and keep-alive every byte of the response, so a connection
// keeps the last one it made and sends it again while its client asks the
// same (wrk does; simul-load asks a new seed each time and gets a new one).
// The server's checksum vouches that each answer carried the body of its
// request's (bytes, seed): the digest is taken over the body bytes of the
// very buffer that is written, which nothing changes once it is made, so an
// answer sent again is vouched for as fully as a fresh one (and the client
// checks every body it receives on its own). The header is Beast's,
// serialized once per response rather than per write.
bhttp::response<bhttp::empty_body> reply_head(unsigned version, bool keep_alive, std::int64_t bytes) {
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
    head.set(bhttp::field::server, "simul");
    head.set(bhttp::field::content_type, "text/plain");
    head.content_length(std::uint64_t(bytes));
    head.keep_alive(keep_alive);
    return head;
}

struct prepared_response {
    delay_request key{-1, -1, 0};
    unsigned version = 0;
    bool keep_alive = false;
    std::string wire;  // status line, header and body, as sent
    std::uint64_t digest = 0;

    const prepared_response& for_request(const delay_request& d, unsigned v, bool alive) {
        if (d.bytes == key.bytes && d.seed == key.seed && v == version && alive == keep_alive) return *this;
        key = d, version = v, keep_alive = alive;
        std::ostringstream header;
        header << reply_head(v, alive, d.bytes).base();
        wire = header.str();
        const std::size_t body_at = wire.size();
        wire += body(d.bytes, d.seed);
        digest = http::digest(std::string_view(wire).substr(body_at));
        return *this;
    }
};

using response = bhttp::response<bhttp::string_body>;

// Bodies larger than this are made and sent a part at a time, so that a
// client that does not read holds the server to one part, not the body
// (up to 64 MiB) for each such request.
constexpr std::size_t part_bytes = 64 << 10;

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
std::optional<delay_request> delay_asked(const request_line& req, std::string& why) {
    if (req.method != bhttp::verb::get) {
        why = "only GET is served";
        return std::nullopt;
    }
    auto d = parse_target(req.target());
    if (!d) why = fmt::format("bad target '{}'", req.target());
    return d;
}

// After a read, in either colour: the request to answer, or none and the 400
// (into `bad`) to send before closing. A socket error is thrown.
std::optional<delay_request> request_to_answer(const beast::error_code& ec, const request_line& req, response& bad) {
    std::string why;
    auto d = ec ? std::nullopt : delay_asked(req, why);
    if (d) return d;
    if (ec && !is_parse_error(ec)) throw beast::system_error(ec);
    bad = bad_request(ec ? 11 : req.version, ec ? ec.message() : why);
    return std::nullopt;
}

// A body over part_bytes, made a part at a time while it is sent; the digest
// accumulates over the parts, so it vouches for every byte written.
class body_parts {
public:
    explicit body_parts(const delay_request& d) : seed_(d.seed), bytes_(std::size_t(d.bytes)) {}

    // Makes the next part; false when the body is all sent.
    bool next() {
        at_ += part_.size();
        if (at_ >= bytes_) return false;
        part_.resize(std::min(part_bytes, bytes_ - at_));
        fill_body(part_, seed_, at_);
        hash_ = fnv(hash_, part_);
        return true;
    }
    asio::const_buffer buffer() const { return asio::buffer(part_); }
    std::uint64_t digest() const { return hash_ & checksum_mask; }

private:
    std::uint64_t seed_;
    std::size_t bytes_, at_ = 0;
    std::string part_;
    std::uint64_t hash_ = fnv_basis;
};

// The loop's idle timeout, kept as nginx keeps its timers and as Asio's
// echo_server_with_deadline example keeps its deadline: a request moves the
// deadline (a clock read and a store), and one timer per connection wakes at
// the old deadline, looks, and sleeps until the new one, or closes the socket,
// which fails the read that waits. beast::tcp_stream instead arms a timer
// before every read and write and cancels it after: under wrk -c1000 at 10 ms
// its expires_after alone was 2.1% of the loop's CPU samples, with more in the
// timer queue and clock reads (perf). The state is shared with the timer's
// handler, which may outlive the connection by a moment.
class idle_watch {
public:
    explicit idle_watch(tcp_socket& socket) : s_(std::make_shared<state>(socket)) {
        touch();
        wait(s_);
    }
    idle_watch(const idle_watch&) = delete;
    idle_watch& operator=(const idle_watch&) = delete;
    ~idle_watch() {
        s_->socket.store(nullptr);
        s_->timer.cancel();
    }

    // The connection is busy until now + working (the backend's wait), then
    // idle: the timeout counts from then. Not counting the work was a
    // request of 30 s or more dropped with an empty reply.
    void touch(std::chrono::milliseconds working = {}) {
        s_->deadline.store((clock::now() + working + idle_timeout).time_since_epoch().count(),
                           std::memory_order_relaxed);
    }

private:
    struct state {
        explicit state(tcp_socket& s) : socket(&s), timer(s.get_executor()) {}
        std::atomic<tcp_socket*> socket;  // null once the connection has ended
        steady_timer timer;
        std::atomic<clock::rep> deadline{0};
    };

    static clock::time_point deadline(const state& s) {
        return clock::time_point(clock::duration(s.deadline.load(std::memory_order_relaxed)));
    }

    static void wait(std::shared_ptr<state> s) {
        s->timer.expires_at(deadline(*s));
        auto& timer = s->timer;
        timer.async_wait([s = std::move(s)](boost::system::error_code ec) mutable {
            tcp_socket* socket = s->socket.load();
            if (ec || socket == nullptr) return;
            if (clock::now() < deadline(*s)) return wait(std::move(s));
            boost::system::error_code ignored;
            socket->close(ignored);
        });
    }

    std::shared_ptr<state> s_;
};

// The backend's work in the loop colours: one timer per connection, made at
// its first request that waits. The connection counts as busy until the wait
// is over (idle_watch::touch).
class backend_wait {
public:
    backend_wait(tcp_socket& socket, idle_watch& idle) : ex_(socket.get_executor()), idle_(idle) {}

    // The timer, set to expire after d: the caller waits on it in its colour.
    steady_timer& after(std::chrono::milliseconds d) {
        idle_.touch(d);
        if (!timer_) timer_.emplace(ex_);
        timer_->expires_after(d);
        return *timer_;
    }

private:
    executor ex_;
    idle_watch& idle_;
    std::optional<steady_timer> timer_;
};

// Sends what the socket takes now, without a trip through the scheduler, and
// returns the rest (empty unless the socket's buffer is full) for the
// caller's async_write. Asio 1.26 posts the completion of an operation that
// finished at once (its speculative send) to the back of the loop's queue,
// so an async_write alone, awaited or yielded, would resume this connection
// only after every other ready handler: with 1,000 connections whose timers
// fire together, a pass over the queue takes milliseconds, and each request
// waited one more pass before its next read. (Asio 1.28's immediate
// completions do this themselves.) The socket must be non-blocking, so that
// write_some returns would_block rather than wait.
asio::const_buffer send_now(tcp_socket& socket, asio::const_buffer b) {
    boost::system::error_code ec;
    const std::size_t sent = socket.write_some(b, ec);
    if (ec && ec != asio::error::would_block) throw beast::system_error(ec);
    return b + sent;
}

}  // namespace

// The three colours of one server connection, side by side. Per request
// each reads with Beast's parser into the connection's own buffer and target,
// waits the backend's D ms (not at all when D is 0: sleep_for(0) makes no
// call either), and writes a prepared response in one call. TCP_NODELAY is
// set where the connection is accepted (accept.cpp).

std::uint64_t serve_blocking(deadline_socket& socket) {
    beast::flat_buffer buffer;
    std::string target;
    prepared_response prepared;
    response bad;
    std::uint64_t sum = 0;
    for (;;) {
        request_line req(target);
        beast::error_code ec;
        socket.expires_after(idle_timeout);
        bhttp::read(socket, buffer, req, ec);
        if (ec == bhttp::error::end_of_stream) break;  // the client closed
        const auto d = request_to_answer(ec, req, bad);
        if (!d) {
            bhttp::write(socket, bad);
            break;
        }
        if (d->ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d->ms));  // the backend's work
        if (std::size_t(d->bytes) > part_bytes) {
            auto head = reply_head(req.version, req.keep_alive(), d->bytes);
            bhttp::response_serializer<bhttp::empty_body> sr(head);
            socket.expires_after(idle_timeout);
            bhttp::write_header(socket, sr);
            body_parts parts(*d);
            while (parts.next()) {
                socket.expires_after(idle_timeout);
                asio::write(socket, parts.buffer());
            }
            sum = (sum + parts.digest()) & checksum_mask;
            if (!head.keep_alive()) break;
            continue;
        }
        const auto& res = prepared.for_request(*d, req.version, req.keep_alive());
        sum = (sum + res.digest) & checksum_mask;
        socket.expires_after(idle_timeout);
        asio::write(socket, asio::buffer(res.wire));
        if (!res.keep_alive) break;
    }
    beast::error_code ignored;
    socket.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return sum;
}

awaitable<std::uint64_t> serve_async(tcp_socket& socket) {
    beast::flat_buffer buffer;
    std::string target;
    prepared_response prepared;
    response bad;  // named, not a temporary in the co_await: GCC 12 destroys such temporaries twice (PR 100611)
    std::uint64_t sum = 0;
    idle_watch idle(socket);
    backend_wait backend(socket, idle);
    socket.non_blocking(true);  // for send_now
    for (;;) {
        request_line req(target);
        idle.touch();
        auto [ec, n] = co_await bhttp::async_read(socket, buffer, req, asio::as_tuple(asio::deferred));
        if (ec == bhttp::error::end_of_stream) break;  // the client closed
        const auto d = request_to_answer(ec, req, bad);
        if (!d) {
            co_await bhttp::async_write(socket, bad, asio::deferred);
            break;
        }
        if (d->ms > 0) {  // the backend's work
            co_await backend.after(std::chrono::milliseconds(d->ms)).async_wait(asio::deferred);
        }
        if (std::size_t(d->bytes) > part_bytes) {
            auto head = reply_head(req.version, req.keep_alive(), d->bytes);
            bhttp::response_serializer<bhttp::empty_body> sr(head);
            idle.touch();
            co_await bhttp::async_write_header(socket, sr, asio::deferred);
            body_parts parts(*d);
            while (parts.next()) {
                idle.touch();
                co_await asio::async_write(socket, parts.buffer(), asio::deferred);
            }
            sum = (sum + parts.digest()) & checksum_mask;
            if (!head.keep_alive()) break;
            continue;
        }
        const auto& res = prepared.for_request(*d, req.version, req.keep_alive());
        sum = (sum + res.digest) & checksum_mask;
        idle.touch();
        const auto rest = send_now(socket, asio::buffer(res.wire));
        if (rest.size() > 0) co_await asio::async_write(socket, rest, asio::deferred);
        if (!res.keep_alive) break;
    }
    beast::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_return sum;
}

// serve_async line for line, on a stack of its own: each co_await of an
// operation with asio::deferred is the same operation with yield, and
// as_tuple is yield[ec]. Change one, change the other.
std::uint64_t serve_stackful(tcp_socket& socket, yield_context yield) {
    beast::flat_buffer buffer;
    std::string target;
    prepared_response prepared;
    response bad;
    std::uint64_t sum = 0;
    idle_watch idle(socket);
    backend_wait backend(socket, idle);
    socket.non_blocking(true);  // for send_now
    for (;;) {
        request_line req(target);
        idle.touch();
        beast::error_code ec;
        bhttp::async_read(socket, buffer, req, yield[ec]);
        if (ec == bhttp::error::end_of_stream) break;  // the client closed
        const auto d = request_to_answer(ec, req, bad);
        if (!d) {
            bhttp::async_write(socket, bad, yield);
            break;
        }
        if (d->ms > 0) {  // the backend's work
            backend.after(std::chrono::milliseconds(d->ms)).async_wait(yield);
        }
        if (std::size_t(d->bytes) > part_bytes) {
            auto head = reply_head(req.version, req.keep_alive(), d->bytes);
            bhttp::response_serializer<bhttp::empty_body> sr(head);
            idle.touch();
            bhttp::async_write_header(socket, sr, yield);
            body_parts parts(*d);
            while (parts.next()) {
                idle.touch();
                asio::async_write(socket, parts.buffer(), yield);
            }
            sum = (sum + parts.digest()) & checksum_mask;
            if (!head.keep_alive()) break;
            continue;
        }
        const auto& res = prepared.for_request(*d, req.version, req.keep_alive());
        sum = (sum + res.digest) & checksum_mask;
        idle.touch();
        const auto rest = send_now(socket, asio::buffer(res.wire));
        if (rest.size() > 0) asio::async_write(socket, rest, yield);
        if (!res.keep_alive) break;
    }
    beast::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return sum;
}

}  // namespace simul::http
