#include "bench/net/accept.hpp"

#include "support/poll_until.hpp"

#include "bench/net/address.hpp"
#include "bench/net/deadline_socket.hpp"
#include "bench/net/http.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace simul {

connection_server::connection_server(std::size_t connections, unsigned short port, const asio::ip::address& address)
    : at_(address, port), fds_(connections, -1) {
    listen_fd_ = ::socket(at_.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
        throw std::runtime_error(fmt::format("cannot listen on {}: {}", endpoint_text(at_), std::strerror(errno)));
    const int on = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(listen_fd_, at_.data(), socklen_t(at_.size())) != 0 || ::listen(listen_fd_, SOMAXCONN) != 0) {
        const int err = errno;
        ::close(listen_fd_);
        throw std::runtime_error(fmt::format(
            "cannot listen on {}: {} ({})", endpoint_text(at_), std::strerror(err),
            err == EADDRNOTAVAIL ? "this machine has no such address" : "choose another port, or 0 for any"));
    }
    socklen_t len = socklen_t(at_.capacity());
    ::getsockname(listen_fd_, at_.data(), &len);
    at_.resize(len);
    port_ = at_.port();
}

connection_server::~connection_server() {
    for (int fd : fds_)
        if (fd >= 0) ::close(fd);  // accepted, never served
    ::close(listen_fd_);
}

int connection_server::take(std::size_t i) {
    const int fd = fds_[i];
    fds_[i] = -1;
    return fd;
}

// The three colours of one server task: serve the connection that arrived.

std::uint64_t connection_server::blocking(std::size_t i) {
    deadline_socket socket(tcp::socket(blocking_io_, at_.protocol(), take(i)));
    return http::serve_blocking(socket);
}

awaitable<std::uint64_t> connection_server::async(std::size_t i) {
    http::tcp_socket socket(co_await asio::this_coro::executor, at_.protocol(), take(i));
    co_return co_await http::serve_async(socket);
}

std::uint64_t connection_server::stackful(std::size_t i, yield_context yield) {
    http::tcp_socket socket(yield.get_executor(), at_.protocol(), take(i));
    return http::serve_stackful(socket, yield);
}

// Named, as the delay server names it: out of descriptors the server said
// only how many connections it had served.
void connection_server::accept_failed(int error) {
    if (!accept_error_.empty()) return;
    accept_error_ = fmt::format("accept: {}", std::strerror(error));
    if (error == EMFILE) {
        rlimit nofile{};
        ::getrlimit(RLIMIT_NOFILE, &nofile);
        accept_error_ += fmt::format(" (EMFILE: this process is out of descriptors, RLIMIT_NOFILE {}; raise it: "
                                     "ulimit -n)",
                                     std::uint64_t(nofile.rlim_cur));
    } else if (error == ENFILE) {
        accept_error_ += " (ENFILE: the system is out of descriptors, fs.file-max)";
    }
}

// The two colours of the accept arrival.

bool connection_server::accept_arrivals::wait(std::size_t i) {
    for (;;) {
        const int fd = ::accept4(s_.listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            const int on = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            s_.fds_[i] = fd;
            return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
            s_.accept_failed(errno);
            return false;
        }
        // A second at a time: the deadline is set by accept_until(), which
        // may come while this waits.
        const auto deadline = s_.deadline();
        if (deadline <= clock::now()) return false;
        poll_until(s_.listen_fd_, POLLIN, std::min(deadline, clock::now() + std::chrono::seconds(1)));
    }
}

// One acceptor for the whole run, on the dispatcher's executor (one per
// accept would cost every connection a dup and an epoll registration). It is
// made at the first accept and closed after the last, so it never outlives
// the loop's io_context. Each accept races the deadline in a parallel group,
// which cancels the loser: safe when several threads run the loop.
awaitable<bool> connection_server::accept_arrivals::async_wait(std::size_t i) {
    if (!acceptor_) {
        const auto ex = co_await asio::this_coro::executor;
        acceptor_.emplace(ex, s_.at_.protocol(), ::dup(s_.listen_fd_));
        deadline_.emplace(ex);
    }
    deadline_->expires_at(s_.deadline());
    auto [order, ec, socket, timer_ec] = co_await asio::experimental::make_parallel_group(
                                             acceptor_->async_accept(asio::deferred),
                                             deadline_->async_wait(asio::deferred))
                                             .async_wait(asio::experimental::wait_for_one(), asio::deferred);
    const bool accepted = order[0] == 0 && !ec;
    if (order[0] == 0 && ec) s_.accept_failed(ec.value());
    if (!accepted || i + 1 == s_.size()) {
        deadline_.reset();
        acceptor_.reset();
    }
    if (!accepted) co_return false;
    socket.set_option(tcp::no_delay(true));
    s_.fds_[i] = socket.release();
    co_return true;
}

}  // namespace simul
