#pragma once
// The one HTTP/1.1 exchange the socket workloads use, on Boost.Beast:
//
//   GET /delay?ms=D&bytes=B&seed=S   →  after D ms, 200 with B bytes of
//                                        body that depend only on (B, S)
//
// The delay server (bench/tools) answers it as a slow remote service, the
// fetch workload asks it as a client, and in the serve workload each model
// answers it as the server under test. The three colours of a server
// connection are here side by side; anything else (a malformed request,
// another path) gets a 400 and the connection is closed.

#include "bench/net/deadline_socket.hpp"

#include "models/task.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace simul::http {

// The loop colours' socket and stream (coroutine and stackful), on the
// loop's typed executor (models/task.hpp says why).
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor>;
using tcp_stream = boost::beast::basic_stream<boost::asio::ip::tcp, executor>;

struct delay_request {
    std::int64_t ms = 0;
    std::int64_t bytes = 0;
    std::uint64_t seed = 0;
};

// Largest values the servers accept; a request beyond them gets a 400.
inline constexpr std::int64_t max_delay_ms = 600'000;
inline constexpr std::int64_t max_body_bytes = 64 << 20;

std::string target(const delay_request& r);                     // "/delay?ms=10&bytes=512&seed=7"
std::optional<delay_request> parse_target(std::string_view t);  // nullopt unless a valid /delay

// The body for (bytes, seed): printable, deterministic, cheap to make.
std::string body(std::int64_t bytes, std::uint64_t seed);
// A digest of a body (FNV-1a, 52 bits so that sums stay exact in a double).
std::uint64_t digest(std::string_view body);

// An exception's message for a label: Boost's system_error appends where in
// Boost it was thrown (" [system:111 at /usr/include/boost/...]"), which
// tells a user nothing; that part is cut.
std::string short_error(const std::exception& e);

// How long a server waits for the next request on an idle connection.
inline constexpr std::chrono::milliseconds idle_timeout{30'000};

// Serves one connection until the peer closes it, asks to close, or sends a
// malformed request (400, then close). Returns the sum of the digests of the
// bodies it sent, mod 2^52. Throws on socket errors and timeouts.
std::uint64_t serve_blocking(deadline_socket& socket);
awaitable<std::uint64_t> serve_async(tcp_socket& socket);
std::uint64_t serve_stackful(tcp_socket& socket, yield_context yield);

}  // namespace simul::http
