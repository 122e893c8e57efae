#pragma once
// A TCP socket for the blocking colour: Asio's synchronous socket API with a
// deadline on every wait. Asio's own blocking calls wait forever (after
// EAGAIN they poll with no timeout, whatever SO_RCVTIMEO says), so the socket
// is put in non-blocking mode and each call that would block polls for
// readiness until the deadline: the same recv-then-poll pair Asio's blocking
// path makes, with a finite timeout. It satisfies Beast's SyncReadStream and
// SyncWriteStream, and mirrors beast::tcp_stream's expires_after().

#include "models/task.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>

namespace simul {

class deadline_socket {
public:
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::system::error_code;

    explicit deadline_socket(tcp::socket socket);

    // The deadline for the operations that follow, like beast::tcp_stream's.
    void expires_after(std::chrono::milliseconds d) { deadline_ = clock::now() + d; }
    void expires_at(clock::time_point t) { deadline_ = t; }

    void connect(const tcp::endpoint& to);  // throws system_error (timed_out too)
    tcp::socket& socket() { return socket_; }

    // A read that filled less than its buffer drained the socket, so the next
    // one waits for data first rather than trying a recv that would fail (as
    // nginx does: a keep-alive server's next request never comes before its
    // answer went out). One call fewer per request.
    template <class Buffers>
    std::size_t read_some(const Buffers& b, error_code& ec) {
        if (drained_ && !wait_ready(false, ec)) return 0;
        for (;;) {
            const std::size_t n = socket_.read_some(b, ec);
            if (ec != boost::asio::error::would_block) {
                drained_ = !ec && n < boost::asio::buffer_size(b);
                return n;
            }
            if (!wait_ready(false, ec)) return 0;
        }
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& b, error_code& ec) {
        for (;;) {
            const std::size_t n = socket_.write_some(b, ec);
            if (ec != boost::asio::error::would_block) return n;
            if (!wait_ready(true, ec)) return 0;
        }
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& b) {
        error_code ec;
        const std::size_t n = read_some(b, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& b) {
        error_code ec;
        const std::size_t n = write_some(b, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    // Polls until the socket is readable (or writable) or the deadline passes.
    bool wait_ready(bool for_write, error_code& ec);

    tcp::socket socket_;
    clock::time_point deadline_ = clock::time_point::max();
    bool drained_ = false;
};

}  // namespace simul
