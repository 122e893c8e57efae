// The loop's own io_uring reads (bench/io/uring_reads.hpp): the bytes a
// pread returns, errors as error codes, reads the kernel cannot finish at
// submit (O_DIRECT) woken through the eventfd, more reads at once than the
// ring has entries, and one io_context run by several threads, each reading
// on a ring of its own; each both from coroutines and from stackful
// coroutines (asio::spawn), the two loop colours. And the read slots' gate
// (bench/io/read_slots.hpp) in both colours. No oneTBB, so the tsan preset
// runs these too.

#include "bench/io/read_slots.hpp"
#include "bench/io/uring_reads.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using simul::uring_reads;

namespace {

constexpr std::size_t page = 4096;

// A file of `pages` pages whose byte k is k * 7 mod 251.
std::filesystem::path make_file(const char* name, std::size_t pages) {
    const auto path = std::filesystem::path(SIMUL_BENCH_PATH).parent_path() / "test-data" / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (std::size_t k = 0; k < pages * page; ++k) out.put(char(k * 7 % 251));
    return path;
}

struct freeing {
    void operator()(char* p) const { std::free(p); }
};

std::unique_ptr<char, freeing> aligned(std::size_t n) {
    void* p = nullptr;
    if (::posix_memalign(&p, page, n) != 0) throw std::bad_alloc();
    return std::unique_ptr<char, freeing>(static_cast<char*>(p));
}

// The loop colours a read is made from: a C++20 coroutine awaits it with
// as_tuple(deferred), a stackful one (asio::spawn) passes yield[ec].
enum class colour { coroutine, stackful };
constexpr colour both_colours[] = {colour::coroutine, colour::stackful};
const char* name_of(colour c) { return c == colour::coroutine ? "coroutine" : "stackful"; }

// Whether buf holds page i of a file from make_file.
bool holds_page(const char* buf, std::size_t i) {
    for (std::size_t k = 0; k < page; ++k)
        if (buf[k] != char((i * page + k) * 7 % 251)) return false;
    return true;
}

// 1 if the read of page i into buf ended as it should, 0 if not.
int page_held(std::size_t i, const char* buf, boost::system::error_code ec, std::size_t n) {
    return !ec && n == page && holds_page(buf, i) ? 1 : 0;
}

// Starts a read of every page of fd on `ctx`, one page per read, all at
// once, from tasks of colour c; ok[i] becomes 1 if page i held what it
// should, 0 if not.
void read_pages(asio::io_context& ctx, int fd, std::vector<int>& ok, colour c = colour::coroutine) {
    for (std::size_t i = 0; i < ok.size(); ++i) {
        if (c == colour::stackful) {
            asio::spawn(
                ctx.get_executor(),
                [&ctx, fd, i, &ok](simul::yield_context yield) {
                    auto buf = aligned(page);
                    boost::system::error_code ec;
                    const std::size_t n = uring_reads::of(ctx).async_read(fd, buf.get(), page, i * page, yield[ec]);
                    ok[i] = page_held(i, buf.get(), ec, n);
                },
                asio::detached);
            continue;
        }
        asio::co_spawn(
            ctx,
            [&ctx, fd, i, &ok]() -> asio::awaitable<void> {
                auto buf = aligned(page);
                auto [ec, n] = co_await uring_reads::of(ctx).async_read(fd, buf.get(), page, i * page,
                                                                        asio::as_tuple(asio::deferred));
                ok[i] = page_held(i, buf.get(), ec, n);
            },
            asio::detached);
    }
}

// Reads a fresh file of `pages` pages, opened with `flags`, on one
// io_context run by `threads` threads, from tasks of colour c: per page, 1
// if it held what it should. Nothing if the file cannot be opened so
// (O_DIRECT on tmpfs).
std::optional<std::vector<int>> read_whole(const char* name, std::size_t pages, int flags, int threads,
                                           colour c = colour::coroutine) {
    const auto path = make_file(name, pages);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0) return std::nullopt;
    asio::io_context ctx(threads);
    std::vector<int> ok(pages, -1);
    read_pages(ctx, fd, ok, c);
    {
        std::vector<std::jthread> running;
        for (int t = 0; t < threads; ++t) running.emplace_back([&] { ctx.run(); });
    }  // joined
    ::close(fd);
    return ok;
}

void expect_all_read(const std::vector<int>& ok) {
    for (std::size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(ok[i], 1) << "page " << i;
}

TEST(UringReads, ReadsWhatPreadReadsManyMoreAtOnceThanTheRingHas) {
    for (colour c : both_colours) {
        SCOPED_TRACE(name_of(c));
        // 300 reads queued at once; the ring has 64 entries
        const auto ok = read_whole("uring-many.dat", 300, 0, 1, c);
        ASSERT_TRUE(ok);
        expect_all_read(*ok);
    }
}

// O_DIRECT reads go to the device, so they are still out after the submit:
// the loop must hear of them through the eventfd.
TEST(UringReads, ReadsThatEndAfterTheSubmitWakeTheLoop) {
    for (colour c : both_colours) {
        SCOPED_TRACE(name_of(c));
        const auto ok = read_whole("uring-direct.dat", 64, O_DIRECT, 1, c);
        if (!ok) GTEST_SKIP() << "O_DIRECT is not supported here";
        expect_all_read(*ok);
    }
}

// shared_loop: one io_context run by several threads.
TEST(UringReads, ThreadsOfOneLoopReadWhatPreadReads) {
    for (colour c : both_colours)
        for (int threads : {2, 3}) {
            SCOPED_TRACE(fmt::format("{}, {} threads", name_of(c), threads));
            const auto ok = read_whole("uring-shared.dat", 512, 0, threads, c);
            ASSERT_TRUE(ok);
            expect_all_read(*ok);
        }
}

// `threads` threads run one io_context, whose first ring this thread made,
// and each starts reads: a task per thread, held at a barrier until every
// thread holds one, reads every threads-th page of a fresh file, a page at a
// time. `first` runs on each loop thread before it runs the loop. Per page,
// 1 if it held what it should; and how many rings the reads made.
std::pair<std::vector<int>, std::size_t> read_from_every_thread(const char* name, std::size_t pages, int threads,
                                                                const std::function<void()>& first) {
    const auto path = make_file(name, pages);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    asio::io_context ctx(threads);
    uring_reads& reads = uring_reads::of(ctx);
    std::vector<int> ok(pages, -1);
    std::barrier all_started(threads);
    for (int t = 0; t < threads; ++t)
        asio::co_spawn(
            ctx,
            [&, t]() -> asio::awaitable<void> {
                all_started.arrive_and_wait();  // blocks this thread, so the others take the other tasks
                auto buf = aligned(page);
                for (std::size_t i = std::size_t(t); i < pages; i += std::size_t(threads)) {
                    auto [ec, n] = co_await reads.async_read(fd, buf.get(), page, i * page,
                                                             asio::as_tuple(asio::deferred));
                    ok[i] = !ec && n == page && holds_page(buf.get(), i) ? 1 : 0;
                }
            },
            asio::detached);
    {
        std::vector<std::jthread> running;
        for (int t = 0; t < threads; ++t)
            running.emplace_back([&] {
                first();
                ctx.run();
            });
    }  // joined
    ::close(fd);
    return {ok, reads.rings()};
}

TEST(UringReads, EachThreadOfALoopReadsOnARingOfItsOwn) {
    for (int threads : {2, 3}) {
        SCOPED_TRACE(threads);
        const auto [ok, rings] = read_from_every_thread("uring-own-rings.dat", 300, threads, [] {});
        expect_all_read(ok);
        EXPECT_EQ(rings, std::size_t(threads) + 1);  // this thread's, and one per loop thread
    }
}

TEST(UringReads, AOneThreadLoopHasOneRing) {
    const auto path = make_file("uring-one-ring.dat", 300);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    asio::io_context ctx(1);
    std::vector<int> ok(300, -1);
    read_pages(ctx, fd, ok);
    ctx.run();
    ::close(fd);
    expect_all_read(ok);
    EXPECT_EQ(uring_reads::of(ctx).rings(), 1u);
}

// Refuses io_uring_setup to the calling thread only (a seccomp filter set
// without TSYNC), as a limit on rings would refuse one more.
void refuse_io_uring_here() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOMEM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    ASSERT_EQ(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ASSERT_EQ(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), 0);
}

// A loop thread the kernel refuses a ring reads on the first one.
TEST(UringReads, AThreadRefusedARingSharesTheFirst) {
    std::atomic<int> started{0};
    const auto [ok, rings] = read_from_every_thread("uring-refused-ring.dat", 300, 2, [&] {
        if (started++ == 0) refuse_io_uring_here();
    });
    expect_all_read(ok);
    EXPECT_EQ(rings, 2u);  // this thread's, shared, and the other loop thread's
}

TEST(UringReads, AFailedReadIsAnErrorCode) {
    const auto dir = std::filesystem::path(SIMUL_BENCH_PATH).parent_path();
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    asio::io_context ctx(1);
    boost::system::error_code got, got_stackful;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            char buf[64];
            auto [ec, n] = co_await uring_reads::of(ctx).async_read(fd, buf, sizeof buf, 0,
                                                                    asio::as_tuple(asio::deferred));
            got = ec;
        },
        asio::detached);
    asio::spawn(
        ctx.get_executor(),
        [&](simul::yield_context yield) {
            char buf[64];
            uring_reads::of(ctx).async_read(fd, buf, sizeof buf, 0, yield[got_stackful]);
        },
        asio::detached);
    ctx.run();
    ::close(fd);
    EXPECT_EQ(got, boost::system::error_code(EISDIR, boost::system::system_category()));
    EXPECT_EQ(got_stackful, got);
}

// An io_context destroyed with reads in flight waits for them and destroys
// their handlers (for a stackful task, its suspended stack, unwound): no
// crash, no read into freed memory (the sanitizers check).
TEST(UringReads, ALoopDestroyedMidReadLeavesCleanly) {
    const auto path = make_file("uring-abandoned.dat", 64);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
    if (fd < 0) GTEST_SKIP() << "O_DIRECT is not supported here";
    for (colour c : both_colours) {
        SCOPED_TRACE(name_of(c));
        std::vector<int> ok(64, -1);
        {
            asio::io_context ctx(1);
            read_pages(ctx, fd, ok, c);
            ctx.run_one();  // starts the tasks; reads are queued or in the kernel
            ctx.run_one();
        }
    }
    ::close(fd);
    SUCCEED();
}

// io_uring_enter may refuse a submit with EAGAIN under memory pressure. That
// used to throw out of the loop's thread (std::terminate); the reads are
// retried instead, on one loop thread and on several.
TEST(UringReads, ARefusedSubmitIsRetried) {
    for (colour c : both_colours)
        for (int threads : {1, 3}) {
            SCOPED_TRACE(fmt::format("{}, {} threads", name_of(c), threads));
            uring_reads::refuse_submits_for_tests = 3;
            const auto ok = read_whole("uring-refused.dat", 300, 0, threads, c);
            uring_reads::refuse_submits_for_tests = 0;
            ASSERT_TRUE(ok);
            expect_all_read(*ok);
        }
}

// Refused for longer than the pause: every read ends with the error, and the
// loop ends (no retry timer keeps it alive).
TEST(UringReads, SubmitsRefusedForLongFailTheirReads) {
    for (colour c : both_colours) {
        SCOPED_TRACE(name_of(c));
        uring_reads::refuse_submits_for_tests = 1 << 30;
        const auto ok = read_whole("uring-refused-long.dat", 100, 0, 2, c);
        uring_reads::refuse_submits_for_tests = 0;
        ASSERT_TRUE(ok);
        for (std::size_t i = 0; i < ok->size(); ++i) EXPECT_EQ((*ok)[i], 0) << "page " << i;
    }
}

// The gate on tasks reading (read_slots): a task that finds it full waits,
// on its stack for a stackful task, and is let in as a slot opens. Tasks of
// both colours share one gate of 2 slots, on one loop thread and on
// several: never more than 2 inside at once, every task let in in the end,
// and no more than 2 buffers made.
TEST(ReadSlots, AFullGateKeepsStackfulTasksAndCoroutinesWaitingInOneQueue) {
    using namespace std::chrono_literals;
    for (int threads : {1, 3}) {
        SCOPED_TRACE(threads);
        simul::read_slots slots(page, 2 * page, 2, 2);
        asio::io_context ctx(threads);
        std::atomic<int> inside{0}, most{0}, finished{0};
        std::mutex m;
        std::set<const char*> buffers;
        const auto came_in = [&](const char* buf) {
            const int now = ++inside;
            for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
            }
            const std::lock_guard lock(m);
            buffers.insert(buf);
        };
        for (int t = 0; t < 12; ++t) {
            if (t % 2 == 0) {
                asio::spawn(
                    ctx.get_executor(),
                    [&](simul::yield_context yield) {
                        const simul::read_slot slot(slots, slots.enter(yield));
                        came_in(slot.get());
                        simul::steady_timer hold(yield.get_executor(), 2ms);  // the others find the gate full
                        hold.async_wait(yield);
                        --inside;
                        ++finished;
                    },
                    asio::detached);
                continue;
            }
            asio::co_spawn(
                ctx,
                [&]() -> simul::awaitable<void> {
                    const simul::read_slot slot(slots, co_await slots.enter());
                    came_in(slot.get());
                    simul::steady_timer hold(co_await asio::this_coro::executor, 2ms);
                    co_await hold.async_wait(asio::deferred);
                    --inside;
                    ++finished;
                },
                asio::detached);
        }
        {
            std::vector<std::jthread> running;
            for (int k = 0; k < threads; ++k) running.emplace_back([&] { ctx.run(); });
        }  // joined
        EXPECT_EQ(finished.load(), 12);
        EXPECT_EQ(most.load(), 2);
        EXPECT_LE(buffers.size(), 2u);
    }
}

}  // namespace
