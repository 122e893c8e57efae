#pragma once
// What the bare fetch clients share: their arguments, the request simul's
// fetch sends (Beast's GET with a Host and "Connection: close"), the check of
// a response, the blocking exchange, and the process set-up simul-bench makes
// (descriptors by the thousand, no SIGPIPE). The delay server is the one
// scripts/baselines.py starts; its port is the first argument. The expected
// digests are made before the clock, as simul's prepare makes them.

#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simul::bare {

namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using response = bhttp::response<bhttp::string_body>;

// The body the delay server sends for (bytes, seed), and its digest (FNV-1a,
// 52 bits): bench/net/http.cpp's, written again, since a bare program
// includes nothing of simul's above support/ (the test that the checksums
// agree checks that they are the same).
inline std::string body(std::uint64_t bytes, std::uint64_t seed) {
    std::string out(bytes, '\0');
    std::uint64_t word = 0;
    for (std::size_t k = 0; k < out.size(); ++k) {
        if (k % 8 == 0) word = mix64(seed * 0x100000001b3ULL + k);
        out[k] = char('a' + (word >> (8 * (k % 8))) % 26);
    }
    return out;
}

inline std::uint64_t digest(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h & ((std::uint64_t{1} << 52) - 1);
}

struct fetch_set {
    tcp::endpoint server;
    std::uint64_t tasks = 0, delay_ms = 0, bytes = 0;
    std::vector<std::uint64_t> expected;  // each request's body digest

    // PORT TASKS DELAY_MS BYTES
    static fetch_set from_args(int argc, char** argv) {
        const char* usage = "PORT TASKS DELAY_MS BYTES";
        rlimit fds{};  // the soft limit up to the hard one, as simul-bench raises it
        if (::getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
            fds.rlim_cur = fds.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &fds);
        }
        ::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error, not a signal
        // The descriptor table grown before the clock, as simul-bench grows it
        // for a case (support/system.hpp: a multi-threaded process growing it
        // mid-run waits ~9 ms for RCU each time, as thread_per_task would).
        const int any = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int last = ::fcntl(any, F_DUPFD_CLOEXEC,
                                 static_cast<int>(std::min<rlim_t>(fds.rlim_cur - 1, arg(argc, argv, 2, usage) + 63)));
        if (last >= 0) ::close(last);
        if (any >= 0) ::close(any);
        fetch_set s;
        s.server = {boost::asio::ip::make_address_v4("127.0.0.1"),
                    static_cast<unsigned short>(arg(argc, argv, 1, usage))};
        s.tasks = arg(argc, argv, 2, usage);
        s.delay_ms = arg(argc, argv, 3, usage);
        s.bytes = arg(argc, argv, 4, usage);
        for (std::uint64_t i = 0; i < s.tasks; ++i) s.expected.push_back(digest(body(s.bytes, i)));
        return s;
    }

    // The timeout simul's fetch gives a request: the delay and 10 s.
    std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(delay_ms + 10'000); }

    bhttp::request<bhttp::empty_body> request(std::uint64_t i) const {
        const std::string target = "/delay?ms=" + std::to_string(delay_ms) + "&bytes=" + std::to_string(bytes) +
                                   "&seed=" + std::to_string(i);
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.keep_alive(false);  // one request per connection
        return req;
    }

    // Request i's checksum, its body's digest, once checked as simul checks it.
    std::uint64_t checked(std::uint64_t i, const response& res) const {
        const std::uint64_t got = digest(res.body());
        if (res.result() != bhttp::status::ok || res.body().size() != bytes || got != expected[i])
            throw std::runtime_error("the response does not match the request");
        return got;
    }
};

// One request with blocking calls, as Beast's synchronous client has it; no
// timeout: a server that hangs meets the script's.
inline std::uint64_t fetch_blocking(boost::asio::io_context& io, const fetch_set& set, std::uint64_t i) {
    tcp::socket socket(io);
    socket.connect(set.server);
    socket.set_option(tcp::no_delay(true));  // as simul's fetch sets it
    bhttp::write(socket, set.request(i));
    boost::beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(set.bytes + 1);
    bhttp::read(socket, buffer, parser);
    return set.checked(i, parser.get());
}

// Counts a failed request; the first one's reason goes to stderr.
template <class Count>
void failed_request(Count& failed, std::uint64_t i, const std::exception_ptr& e) {
    if (failed++ > 0) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        const std::string_view what = x.what();  // without Boost's " [system:111 at <where in Boost>]"
        std::fprintf(stderr, "request %llu: %.*s\n", static_cast<unsigned long long>(i),
                     static_cast<int>(what.substr(0, what.find(" [")).size()), what.data());
    }
}

// The JSON line, or exit 1 if a request failed (simul's case fails then too).
inline int finish(const run& measured, const char* model, const fetch_set& set, std::uint64_t in_flight,
                  std::uint64_t sum, std::uint64_t failed) {
    if (failed > 0) {
        std::fprintf(stderr, "%llu of %llu requests failed\n", static_cast<unsigned long long>(failed),
                     static_cast<unsigned long long>(set.tasks));
        return 1;
    }
    measured.print(model, "fetch", set.tasks, in_flight, sum);
    return 0;
}

}  // namespace simul::bare
