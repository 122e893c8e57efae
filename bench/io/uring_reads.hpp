#pragma once
// File reads on a loop's own io_uring, past Asio's wrapper but behind Asio's
// completion tokens, so a task still reads
//     auto [ec, n] = co_await reads.async_read(fd, buf, n, offset, asio::as_tuple(asio::deferred));
//
// Why not Asio's random_access_file: Asio 1.81 (1.26) runs io_uring beside
// its epoll reactor and hears of every completion through an eventfd that
// epoll watches (detail/impl/io_uring_service.ipp: io_uring_register_eventfd,
// then register_internal_descriptor and event_fd_read_op, one read of the
// eventfd per wake). A read from the page cache completes inside the
// io_uring_enter that submits it, yet the loop still pays an epoll_wait and
// an eventfd read to hear of it: strace of 1,024 warm 64 KiB reads showed
// 129 io_uring_enter, 513 epoll_wait and 495 reads of the eventfd, about one
// syscall per read on top of the submits, which left the loop at 0.7× a
// pread loop here. Here a loop turn's reads go in with one io_uring_enter,
// and what the kernel finished inside it is reaped from the completion ring
// at once, with no syscall. The eventfd wakes the loop only for reads still
// out after a reap (cold pages, O_DIRECT), and is switched off while the
// loop reaps on its own (IORING_CQ_EVENTFD_DISABLED).
//
// One ring per io_context, made at its first read. No more reads are in the
// kernel at once than the ring has entries, so its completion queue cannot
// overflow (an overflowed completion signals no eventfd, and the loop would
// wait for it forever); more wait in a backlog here. Several threads may run
// one io_context (shared_loop): the ring is under a mutex, and handlers run
// outside it.
//
// A submit the kernel refuses (io_uring_enter: EAGAIN or ENOMEM under memory
// pressure, EBUSY) never leaves the loop as an exception: that killed the
// loop's thread. The reads stay queued and go in again once reads in the
// kernel end, or after a short pause if none are out; refused for longer
// than `give_up_after`, or with any other error, the queued reads end with
// the error, so their tasks fail and the case goes on.

// Asio's io_context differs in layout with and without io_uring: a unit
// built without the flag that simul_tasks sets would break the One Definition
// Rule silently (it did once, as a crash at exit), so it is refused here.
#ifndef BOOST_ASIO_HAS_IO_URING
#error "link the CMake target simul_tasks: Asio must be built with BOOST_ASIO_HAS_IO_URING everywhere"
#endif

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <liburing.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace simul {

class uring_reads final : public boost::asio::execution_context::service {
public:
    using key_type = uring_reads;
    static inline boost::asio::execution_context::id id;
    using handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

    // Throws boost::system::system_error where the kernel refuses io_uring.
    explicit uring_reads(boost::asio::io_context& ctx);
    ~uring_reads() override;

    // The reads of `ctx`'s loop: made at the first call.
    static uring_reads& of(boost::asio::io_context& ctx) { return boost::asio::use_service<uring_reads>(ctx); }

    // How long the kernel may refuse submits before the queued reads fail.
    static constexpr std::chrono::milliseconds give_up_after{2000};

    // For tests: the next this-many submits are refused with EAGAIN, as the
    // kernel refuses them under memory pressure.
    static inline std::atomic<int> refuse_submits_for_tests{0};

    // Reads up to n bytes at offset into buf; completes with the bytes read
    // (0 at the end of the file) or the error.
    template <typename Token>
    auto async_read(int fd, void* buf, std::size_t n, std::uint64_t offset, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this, fd, buf, n, offset](auto h) { start(fd, buf, n, offset, handler(std::move(h))); }, token);
    }

private:
    struct read_op {
        handler done;
        int fd = -1;
        void* buf = nullptr;
        unsigned n = 0;
        std::uint64_t offset = 0;
    };
    using finished = std::vector<std::pair<handler, int>>;  // a handler and its read's result

    void shutdown() override;
    void start(int fd, void* buf, std::size_t n, std::uint64_t offset, handler h);
    void turn();
    void prepare(read_op* op);
    void refill();
    int submit();
    void refused(int error, finished& done);
    void take_queued(finished& done, int error);
    void retry_later();
    void reap(finished& done);
    void wait_for_kernel();
    void woken();
    static void run(finished& done);

    boost::asio::io_context& ctx_;
    io_uring ring_{};
    boost::asio::posix::stream_descriptor wake_;
    std::mutex mutex_;
    std::size_t queued_ = 0;     // prepared, not yet submitted
    std::size_t in_kernel_ = 0;  // submitted, not yet reaped
    bool turn_posted_ = false, waiting_ = false, retry_armed_ = false;
    int refusals_ = 0;                                  // submits refused in a row
    std::chrono::steady_clock::time_point refused_at_;  // the first of them
    boost::asio::steady_timer retry_;
    std::deque<read_op*> backlog_;  // reads past the ring's room, in order
    std::vector<read_op*> spare_;   // ops not in use, reused
};

}  // namespace simul
