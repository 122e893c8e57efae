#pragma once
// The accept arrival, and the connections it brings: the models as servers.
//
// Task i is the i-th connection a client opens to address:port (127.0.0.1
// unless told otherwise; IPv4 or IPv6). It arrives
// when the model's dispatcher accepts it (a blocking accept with a deadline,
// or async_accept on the loop), and is then served with the /delay protocol
// (bench/net/http.hpp) in the colour the model runs, until the client closes
// it. How a model serves connections is the model: sequential one at a time,
// thread-per-task a thread each, the pool a worker each, the loops a
// coroutine each (a frame, or a stack of its own).

#include "models/arrivals.hpp"
#include "models/task.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <optional>
#include <vector>

#include <string>

namespace simul {

class connection_server final : public task_source {
public:
    // Listens on address:port (0: any free port); throws with the reason
    // (a port in use, say) if it cannot.
    connection_server(std::size_t connections, unsigned short port = 0,
                      const boost::asio::ip::address& address = boost::asio::ip::address_v4::loopback());
    ~connection_server() override;

    unsigned short port() const { return port_; }
    // Where it listens, the port chosen: 127.0.0.1:43211, [::1]:43211.
    const boost::asio::ip::tcp::endpoint& endpoint() const { return at_; }
    // The listening socket, for a server outside this process (a peer) to accept from.
    int listen_fd() const { return listen_fd_; }
    arrivals& accepted() { return arrivals_; }

    // Connections that have not arrived by then never will.
    void accept_until(clock::time_point deadline) { deadline_ns_ = deadline.time_since_epoch().count(); }

    // Why accepting stopped before every connection arrived, if accept itself
    // failed ("accept: Too many open files (EMFILE: ...)"); empty otherwise.
    // Read after the run.
    const std::string& accept_error() const { return accept_error_; }

    std::size_t size() const override { return fds_.size(); }
    std::uint64_t blocking(std::size_t i) override;
    awaitable<std::uint64_t> async(std::size_t i) override;
    std::uint64_t stackful(std::size_t i, yield_context yield) override;

private:
    class accept_arrivals final : public arrivals {
    public:
        explicit accept_arrivals(connection_server& s) : s_(s) {}
        bool wait(std::size_t i) override;
        awaitable<bool> async_wait(std::size_t i) override;

    private:
        connection_server& s_;
        // The loop's side, alive only while the loop runs (see async_wait).
        std::optional<boost::asio::ip::tcp::acceptor::rebind_executor<executor>::other> acceptor_;
        std::optional<steady_timer> deadline_;
    };

    clock::time_point deadline() const { return clock::time_point(clock::duration(deadline_ns_.load())); }
    int take(std::size_t i);  // the accepted socket of connection i, now owned by the caller
    void accept_failed(int error);

    int listen_fd_ = -1;
    unsigned short port_ = 0;
    boost::asio::ip::tcp::endpoint at_;
    std::vector<int> fds_;  // connection i's socket: -1 until accepted, and once taken
    std::atomic<clock::rep> deadline_ns_{clock::time_point::max().time_since_epoch().count()};
    boost::asio::io_context blocking_io_;  // owns the blocking colour's sockets; never run
    accept_arrivals arrivals_{*this};
    std::string accept_error_;  // written by the one dispatching thread
};

}  // namespace simul
