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
// A ring per thread that reads on the io_context, made at the thread's first
// read (the first with the service, so that a kernel that refuses io_uring
// says so at `of`). Several threads may run one io_context (shared_loop).
// With one ring for all of them, they met on its mutex at every read, and
// the thread that ran a turn did every copy of its batch inside
// io_uring_enter (a warm read completes there) and resumed every task of it,
// while the other waited on the mutex: shared_loop:2 read warm files at
// 0.55 to 0.7 of one loop's speed (docs/MEASUREMENTS.md, "A ring per loop
// thread"). So each thread submits its own reads, to a ring it finds
// through a thread-local pointer: no lock, no search, the only cost a
// one-thread loop pays for it. A ring's turn is posted to the io_context,
// and Asio cannot aim a handler at one thread, so any of its threads may run
// it: each ring keeps a mutex, which two threads meet only when one runs the
// other's turn. A read completes on whichever thread reaps it, as a
// shared_loop task may move between threads at any co_await anyway. A thread
// that cannot get a ring of its own (the kernel refusing one more) shares
// the first.
//
// Each ring batches, reaps, waits on its eventfd and retries on its own. No
// more of its reads are in the kernel at once than it has entries, so its
// completion queue cannot overflow (an overflowed completion signals no
// eventfd, and the loop would wait for it forever); more wait in its
// backlog. Handlers run outside its mutex.
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
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace simul {

class uring_reads final : public boost::asio::execution_context::service {
public:
    using key_type = uring_reads;
    static inline boost::asio::execution_context::id id;
    using handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

    // Makes the calling thread's ring. Throws boost::system::system_error
    // where the kernel refuses io_uring.
    explicit uring_reads(boost::asio::io_context& ctx);
    ~uring_reads() override;

    // The reads of `ctx`'s loop: made at the first call.
    static uring_reads& of(boost::asio::io_context& ctx) { return boost::asio::use_service<uring_reads>(ctx); }

    // How long the kernel may refuse submits before the queued reads fail.
    static constexpr std::chrono::milliseconds give_up_after{2000};

    // For tests: the next this-many submits are refused with EAGAIN, as the
    // kernel refuses them under memory pressure.
    static inline std::atomic<int> refuse_submits_for_tests{0};

    // For tests: how many rings the threads that read have made.
    std::size_t rings() const;

    // Reads up to n bytes at offset into buf; completes with the bytes read
    // (0 at the end of the file) or the error.
    template <typename Token>
    auto async_read(int fd, void* buf, std::size_t n, std::uint64_t offset, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this, fd, buf, n, offset](auto h) { start(fd, buf, n, offset, handler(std::move(h))); }, token);
    }

private:
    class ring;                    // one io_uring and what goes with it (uring_reads.cpp)
    struct thread_ring {           // a thread's ring, cached: the last it read on
        std::uint64_t serial = 0;  // its service's; 0: none
        ring* r = nullptr;
    };

    void shutdown() override;
    void start(int fd, void* buf, std::size_t n, std::uint64_t offset, handler h);
    ring& ring_here();
    ring& make_ring_here();
    static thread_ring& here();

    boost::asio::io_context& ctx_;
    // Unique per service, unlike its address: a thread's cached ring is never
    // taken for one of a later service at the same address.
    const std::uint64_t serial_;
    mutable std::mutex rings_mutex_;
    std::vector<std::pair<std::thread::id, std::unique_ptr<ring>>> rings_;  // never empty
};

}  // namespace simul
