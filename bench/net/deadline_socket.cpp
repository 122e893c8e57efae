#include "bench/net/deadline_socket.hpp"

#include "support/poll_until.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace simul {

deadline_socket::deadline_socket(tcp::socket socket) : socket_(std::move(socket)) {
    if (socket_.is_open()) socket_.non_blocking(true);
}

bool deadline_socket::wait_ready(bool for_write, error_code& ec) {
    switch (poll_until(socket_.native_handle(), short(for_write ? POLLOUT : POLLIN), deadline_)) {
        case poll_result::ready:
            return true;  // ready, or an error the next call will report
        case poll_result::timed_out:
            ec = boost::asio::error::timed_out;
            return false;
        case poll_result::failed:
            ec = error_code(errno, boost::system::system_category());
            return false;
    }
    return false;
}

void deadline_socket::connect(const tcp::endpoint& to) {
    error_code ec;
    if (!socket_.is_open()) {
        socket_.open(to.protocol());
        socket_.non_blocking(true);
    }
    socket_.connect(to, ec);  // non-blocking: in progress, or done at once on loopback
    if (ec == boost::asio::error::in_progress || ec == boost::asio::error::would_block) {
        if (!wait_ready(true, ec)) throw boost::system::system_error(ec, "connect");
        int so_error = 0;  // the connect's outcome
        socklen_t len = sizeof so_error;
        ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &so_error, &len);
        ec = error_code(so_error, boost::system::system_category());
    }
    if (ec) throw boost::system::system_error(ec, "connect");
}

}  // namespace simul
