#include "bench/io/uring_reads.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>

namespace simul {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Room for the reads a loop keeps in flight (file_read's slots hold at most
// 16); more wait in the backlog.
constexpr unsigned ring_entries = 64;

std::atomic<std::uint64_t> services_made{0};

[[noreturn]] void fail(int negative_errno, const char* what) {
    throw boost::system::system_error(error_code(-negative_errno, boost::system::system_category()), what);
}

}  // namespace

// One io_uring with its eventfd, backlog and retries. A ring's turn is
// posted to the io_context, so any thread of it may run the turn while the
// thread the ring belongs to starts reads on it: the ring is under its own
// mutex, and handlers run outside it.
class uring_reads::ring {
public:
    explicit ring(asio::io_context& ctx);
    ~ring();
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;

    void start(int fd, void* buf, std::size_t n, std::uint64_t offset, handler h);
    void shutdown();

private:
    struct read_op {
        handler done;
        int fd = -1;
        void* buf = nullptr;
        unsigned n = 0;
        std::uint64_t offset = 0;
    };
    using finished = std::vector<std::pair<handler, int>>;  // a handler and its read's result

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
    void run(finished& done);

    asio::io_context& ctx_;
    io_uring ring_{};
    asio::posix::stream_descriptor wake_;
    std::mutex mutex_;
    std::size_t queued_ = 0;     // prepared, not yet submitted
    std::size_t in_kernel_ = 0;  // submitted, not yet reaped
    bool turn_posted_ = false, waiting_ = false, retry_armed_ = false;
    int refusals_ = 0;                                  // submits refused in a row
    std::chrono::steady_clock::time_point refused_at_;  // the first of them
    asio::steady_timer retry_;
    std::deque<read_op*> backlog_;  // reads past the ring's room, in order
    std::vector<read_op*> spare_;   // ops not in use, reused
};

uring_reads::uring_reads(asio::io_context& ctx)
    : asio::execution_context::service(ctx), ctx_(ctx), serial_(++services_made) {
    rings_.emplace_back(std::this_thread::get_id(), std::make_unique<ring>(ctx));
    here() = {serial_, rings_.back().second.get()};
}

uring_reads::~uring_reads() = default;

std::size_t uring_reads::rings() const {
    std::lock_guard lock(rings_mutex_);
    return rings_.size();
}

uring_reads::thread_ring& uring_reads::here() {
    static thread_local thread_ring cached;
    return cached;
}

// The calling thread's ring: one thread-local load and compare, except at a
// thread's first read on this io_context.
uring_reads::ring& uring_reads::ring_here() {
    const thread_ring& h = here();
    return h.serial == serial_ ? *h.r : make_ring_here();
}

uring_reads::ring& uring_reads::make_ring_here() {
    std::lock_guard lock(rings_mutex_);
    const auto me = std::this_thread::get_id();
    ring* mine = nullptr;
    for (auto& [thread, r] : rings_)
        if (thread == me) mine = r.get();
    if (mine == nullptr) {
        try {
            auto made = std::make_unique<ring>(ctx_);
            mine = made.get();
            rings_.emplace_back(me, std::move(made));
        } catch (const boost::system::system_error&) {
            // The kernel refuses one more ring (a limit on locked memory or
            // on rings): this thread shares the first.
            mine = rings_.front().second.get();
        }
    }
    here() = {serial_, mine};
    return *mine;
}

void uring_reads::start(int fd, void* buf, std::size_t n, std::uint64_t offset, handler h) {
    ring_here().start(fd, buf, n, offset, std::move(h));
}

// The io_context is going away, and no thread runs it any more.
void uring_reads::shutdown() {
    std::vector<ring*> all;
    {
        std::lock_guard lock(rings_mutex_);
        for (auto& entry : rings_) all.push_back(entry.second.get());
    }
    for (ring* r : all) r->shutdown();
}

uring_reads::ring::ring(asio::io_context& ctx) : ctx_(ctx), wake_(ctx), retry_(ctx) {
    if (const int r = ::io_uring_queue_init(ring_entries, &ring_, 0); r < 0) fail(r, "io_uring_queue_init");
    const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const int r = efd < 0 ? -errno : ::io_uring_register_eventfd(&ring_, efd);
    if (r < 0) {
        if (efd >= 0) ::close(efd);
        ::io_uring_queue_exit(&ring_);
        fail(r, "io_uring_register_eventfd");
    }
    wake_.assign(efd);
    // Quiet until a read is left waiting: the loop reaps on its own after
    // each submit. (Kernels before 5.8 cannot switch it off: then the loop is
    // only woken more often than it needs.)
    ::io_uring_cq_eventfd_toggle(&ring_, false);
}

uring_reads::ring::~ring() {
    ::io_uring_queue_exit(&ring_);
    for (read_op* op : spare_) delete op;
}

// The io_context is going away: reads still in the kernel would write into
// buffers their tasks are about to free, so wait for them; then their
// handlers are destroyed, not run, as Asio's own services do.
void uring_reads::ring::shutdown() {
    finished done;
    {
        std::lock_guard lock(mutex_);
        if (queued_ > 0) {
            // Only what the kernel took is in it; the rest is never read.
            if (const int r = ::io_uring_submit(&ring_); r > 0) {
                queued_ -= std::size_t(r);
                in_kernel_ += std::size_t(r);
            }
            take_queued(done, ECANCELED);
        }
        while (in_kernel_ > 0) {
            io_uring_cqe* cqe = nullptr;
            if (::io_uring_wait_cqe(&ring_, &cqe) < 0) break;
            reap(done);
        }
        for (read_op* op : backlog_) {
            done.emplace_back(std::move(op->done), 0);
            spare_.push_back(op);
        }
        backlog_.clear();
    }
    done.clear();
}

void uring_reads::ring::start(int fd, void* buf, std::size_t n, std::uint64_t offset, handler h) {
    std::lock_guard lock(mutex_);
    read_op* op = spare_.empty() ? new read_op : spare_.back();
    if (!spare_.empty()) spare_.pop_back();
    // Swapped in, not assigned: Asio 1.81's move assignment of an
    // any_completion_handler copies `other` as an lvalue, which picks the
    // converting constructor and wraps the handler in itself, forever
    // (boost/asio/any_completion_handler.hpp, operator=).
    op->done.swap(h);
    op->fd = fd;
    op->buf = buf;
    op->n = unsigned(std::min<std::size_t>(n, 1u << 30));
    op->offset = offset;
    if (queued_ + in_kernel_ < ring_entries) prepare(op);
    else backlog_.push_back(op);
    // The reads a loop turn starts go to the kernel together, in one
    // io_uring_enter, at the next turn.
    if (!turn_posted_) {
        turn_posted_ = true;
        asio::post(ctx_, [this] { turn(); });
    }
}

void uring_reads::ring::prepare(read_op* op) {
    io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);  // never null: fewer than ring_entries are queued
    ::io_uring_prep_read(sqe, op->fd, op->buf, op->n, op->offset);
    ::io_uring_sqe_set_data(sqe, op);
    ++queued_;
}

void uring_reads::ring::refill() {
    while (!backlog_.empty() && queued_ + in_kernel_ < ring_entries) {
        prepare(backlog_.front());
        backlog_.pop_front();
    }
}

// Submits what is queued and runs the handlers of what is finished, outside
// the lock (they resume tasks, which start their next reads). The reads those
// handlers start go in at once, in the same turn, for a few rounds: through
// the scheduler each batch cost two epoll_wait(0) more (Asio runs its reactor
// once per pass over its queue; strace of 1,024 warm reads: 257 epoll_wait
// for 128 submits), while a few rounds still let other handlers in between.
// Reads still in the kernel at the end wait on the eventfd.
void uring_reads::ring::turn() {
    constexpr int rounds = 8;
    finished done;
    for (int round = 0; round < rounds; ++round) {
        {
            std::lock_guard lock(mutex_);
            const int error = submit();
            reap(done);
            if (error != 0) refused(error, done);
            refill();
            if (done.empty()) break;
        }
        run(done);
        done.clear();
    }
    std::lock_guard lock(mutex_);
    turn_posted_ = false;
    if (refusals_ > 0 && queued_ > 0) {
        // Refused: reads that end free what the kernel lacked, so retry when
        // one does; with none out, after a pause.
        if (in_kernel_ > 0) wait_for_kernel();
        else retry_later();
    } else if (queued_ > 0) {
        turn_posted_ = true;
        asio::post(ctx_, [this] { turn(); });
    } else if (in_kernel_ > 0) {
        wait_for_kernel();
    }
}

// Submits what is queued: 0, or the error of a submit the kernel refused
// (the refused reads stay queued in the ring).
int uring_reads::ring::submit() {
    while (queued_ > 0) {
        int r = 0;
        if (refuse_submits_for_tests.load(std::memory_order_relaxed) > 0 &&
            refuse_submits_for_tests.fetch_sub(1, std::memory_order_relaxed) > 0)
            r = -EAGAIN;
        else r = ::io_uring_submit(&ring_);
        if (r == -EINTR) continue;
        if (r == 0) r = -EAGAIN;  // took none: as good as refused, and no endless loop
        if (r < 0) return -r;
        queued_ -= std::size_t(r);
        in_kernel_ += std::size_t(r);
    }
    refusals_ = 0;
    return 0;
}

// The kernel refused the queued reads: keep them for a retry while the error
// is one that passes, else end them with it.
void uring_reads::ring::refused(int error, finished& done) {
    const auto now = std::chrono::steady_clock::now();
    if (refusals_++ == 0) refused_at_ = now;
    const bool passes = error == EAGAIN || error == ENOMEM || error == EBUSY;
    if (passes && now - refused_at_ < give_up_after) return;
    // Past the pause, or an error that does not pass: the reads end with it.
    // refusals_ stays, so reads queued later fail at once until a submit
    // goes in.
    take_queued(done, error);
}

// Ends every queued read with `error` and takes its entry back out of the
// submission ring: without SQPOLL the kernel reads the ring's tail only inside
// io_uring_enter, so under the lock the tail may be rewound to the kernel's
// head.
void uring_reads::ring::take_queued(finished& done, int error) {
    const unsigned tail = ring_.sq.sqe_tail, from = tail - unsigned(queued_);
    for (unsigned k = from; k != tail; ++k) {
        io_uring_sqe* sqe = &ring_.sq.sqes[ring_.sq.array[k & ring_.sq.ring_mask]];
        auto* op = reinterpret_cast<read_op*>(sqe->user_data);
        done.emplace_back(std::move(op->done), -error);
        spare_.push_back(op);
    }
    ring_.sq.sqe_tail = ring_.sq.sqe_head = from;
    io_uring_smp_store_release(ring_.sq.ktail, from);
    queued_ = 0;
}

// Nothing is in the kernel to wake the loop: try again after a pause that
// doubles with each refusal (1 ms to 64 ms).
void uring_reads::ring::retry_later() {
    if (retry_armed_) return;
    retry_armed_ = true;
    retry_.expires_after(std::chrono::milliseconds(1 << std::min(refusals_ - 1, 6)));
    retry_.async_wait([this](error_code ec) {
        if (ec) return;  // shut down
        {
            std::lock_guard lock(mutex_);
            retry_armed_ = false;
            if (turn_posted_) return;
            turn_posted_ = true;
        }
        turn();
    });
}

void uring_reads::ring::reap(finished& done) {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0, count = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        auto* op = static_cast<read_op*>(::io_uring_cqe_get_data(cqe));
        done.emplace_back(std::move(op->done), cqe->res);
        spare_.push_back(op);
        ++count;
    }
    ::io_uring_cq_advance(&ring_, count);
    in_kernel_ -= count;
}

// Reads are still in the kernel: let the eventfd wake the loop when one
// ends. A read that ended after the reap but before the eventfd was on did
// not signal it, so look once more (the fence orders the flag's store before
// that load).
void uring_reads::ring::wait_for_kernel() {
    if (waiting_) return;
    ::io_uring_cq_eventfd_toggle(&ring_, true);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    waiting_ = true;
    if (::io_uring_cq_ready(&ring_) > 0) {
        asio::post(ctx_, [this] { woken(); });
        return;
    }
    wake_.async_wait(asio::posix::descriptor_base::wait_read, [this](error_code ec) {
        if (ec) return;  // shut down
        std::uint64_t count = 0;
        [[maybe_unused]] const auto n = ::read(wake_.native_handle(), &count, sizeof count);
        woken();
    });
}

// A read in the kernel has ended: reap in a turn, unless one is on its way.
void uring_reads::ring::woken() {
    {
        std::lock_guard lock(mutex_);
        waiting_ = false;
        ::io_uring_cq_eventfd_toggle(&ring_, false);
        if (turn_posted_) return;
        turn_posted_ = true;
    }
    turn();
}

void uring_reads::ring::run(finished& done) {
    for (auto& [h, res] : done) {
        if (res < 0) std::move(h)(error_code(-res, boost::system::system_category()), 0);
        else std::move(h)(error_code{}, std::size_t(res));
    }
}

}  // namespace simul
