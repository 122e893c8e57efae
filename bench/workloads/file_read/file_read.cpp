// file_read: each task reads one file completely, in chunks, and checksums
// every byte. File reads are where "IO-bound" is easiest to fake (a file in
// the page cache is a memcpy), so the cache state is a parameter and the
// preparation makes it true: cold evicts every file of the set from the page
// cache (fdatasync, then posix_fadvise DONTNEED), warm reads them all once.
// direct:1 bypasses the cache with O_DIRECT.
//
// Blocking colour: a pread loop. Coroutine colour: reads on the loop's own
// io_uring (bench/io/uring_reads.hpp says why not Asio's random_access_file);
// where io_uring is not available (a kernel setting, a seccomp filter), or
// with io:offload, each pread is handed to a small offload pool and awaited,
// as asyncio's to_thread does. Stackful colour: the coroutine colour's reads,
// paths and gates, each awaited through `yield` on the task's own stack. The
// case's JSON says which path ran (counters io_uring, offloaded).

#include "bench/case/workload.hpp"
#include "bench/io/buffers.hpp"
#include "bench/io/read_slots.hpp"
#include "bench/io/uring_reads.hpp"
#include "bench/workloads/file_read/data_set.hpp"
#include "support/file_hash.hpp"
#include "support/settings.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace simul {
namespace {

struct closing_fd {
    int fd;
    ~closing_fd() { ::close(fd); }
};

// f() on the offload pool, awaited through `token`, the loop colour's: the
// pool completes with (exception_ptr, what f returns).
template <typename F, typename Token>
auto run_on(asio::thread_pool& pool, F f, Token&& token) {
    return asio::co_spawn(
        pool, [f]() -> asio::awaitable<decltype(f())> { co_return f(); }, std::forward<Token>(token));
}

class file_tasks final : public prepared_tasks {
public:
    enum path_used { used_pread = 1, used_uring = 2, used_offload = 4 };

    file_tasks(data_set d, std::vector<std::uint64_t> sums, std::size_t chunk, bool direct, bool offload)
        : set_(std::move(d)), sums_(std::move(sums)), chunk_(chunk), direct_(direct), offload_(offload) {}

    std::size_t size() const override { return set_.files; }

    std::uint64_t blocking(std::size_t i) override {
        paths_ |= used_pread;
        const int fd = open_file(i);
        pooled_buffer buf(buffers_);
        std::uint64_t sum = 0;
        std::size_t done = 0;
        while (done < set_.bytes) hash_read(i, fd, buf.get(), read_at(fd, buf.get(), done), done, sum);
        ::close(fd);
        return checked_sum(i, sum);
    }

    awaitable<std::uint64_t> async(std::size_t i) override {
        auto& loop = (co_await asio::this_coro::executor).context();
        const bool uring = choose_path(loop);
        const int fd = open_file(i);
        std::uint64_t sum = 0;
        std::size_t done = 0;
        if (uring) {
            const closing_fd closing{fd};
            auto& reads = uring_reads::of(loop);
            const read_slot buf(uring_slots_, co_await uring_slots_.enter());
            while (done < set_.bytes) {
                auto [ec, n] = co_await reads.async_read(fd, buf.get(), want(done), done,
                                                         asio::as_tuple(asio::deferred));
                if (ec) throw boost::system::system_error(ec, set_.file(i).string());
                hash_read(i, -1, buf.get(), ssize_t(n), done, sum);
            }
            co_return checked_sum(i, sum);
        }
        auto& pool = offload_pool();
        const read_slot buf(offload_slots_, co_await offload_slots_.enter());
        char* data = buf.get();
        while (done < set_.bytes) {
            const ssize_t n = co_await run_on(
                pool, [&] { return read_at(fd, data, done); },
                asio::use_awaitable_t<executor>{});  // Asio 1.81 cannot co_await deferred on (exception_ptr, T)
            hash_read(i, fd, buf.get(), n, done, sum);
        }
        ::close(fd);
        co_return checked_sum(i, sum);
    }

    // The coroutine colour above, as straight-line code on the task's stack.
    std::uint64_t stackful(std::size_t i, yield_context yield) override {
        auto& loop = yield.get_executor().context();
        const bool uring = choose_path(loop);
        const int fd = open_file(i);
        std::uint64_t sum = 0;
        std::size_t done = 0;
        if (uring) {
            const closing_fd closing{fd};
            auto& reads = uring_reads::of(loop);
            const read_slot buf(uring_slots_, uring_slots_.enter(yield));
            while (done < set_.bytes) {
                boost::system::error_code ec;
                const std::size_t n = reads.async_read(fd, buf.get(), want(done), done, yield[ec]);
                if (ec) throw boost::system::system_error(ec, set_.file(i).string());
                hash_read(i, -1, buf.get(), ssize_t(n), done, sum);
            }
            return checked_sum(i, sum);
        }
        auto& pool = offload_pool();
        const read_slot buf(offload_slots_, offload_slots_.enter(yield));
        char* data = buf.get();
        while (done < set_.bytes) {
            // As a tuple: Asio 1.81's yield cannot take (exception_ptr, T)
            // (chriskohlhoff/asio#1336: its handler stores a pointer into an
            // exception_ptr, and does not compile).
            const auto [error, n] = run_on(
                pool, [&] { return read_at(fd, data, done); }, asio::as_tuple(yield));
            if (error) std::rethrow_exception(error);
            hash_read(i, fd, buf.get(), n, done, sum);
        }
        ::close(fd);
        return checked_sum(i, sum);
    }

    // A peer (docs/PEERS.md) reads the same files in its own process: it
    // needs their folder (absolute: the peer's working folder is not ours to
    // rely on), and task i must return file i's sum, known since the set was
    // made.
    std::vector<std::pair<std::string, std::string>> peer_environment() const override {
        return {{"SIMUL_FILE_DIR", fs::absolute(set_.dir).string()}};
    }
    std::optional<std::uint64_t> expected_checksum(std::size_t i) const override { return sums_[i]; }

    void on_end(case_result& r) override {
        const int used = paths_.load();
        // Only the files read whole count: a failed task's bytes were not
        // all read, and a case whose tasks all failed read nothing (it
        // reported the whole set's size as if read).
        r.extra = {
            {"mib_per_s", r.makespan_s > 0 ? double(r.tasks) * double(set_.bytes) / r.makespan_s / (1 << 20) : 0.0}};
        // No path of ours ran: a peer read the files in its own process,
        // and "io: pread" would name one it did not take.
        if (used == 0) return;
        r.extra.insert(r.extra.begin(), {{"io_uring", (used & used_uring) ? 1.0 : 0.0},
                                         {"offloaded", (used & used_offload) ? 1.0 : 0.0}});
        std::string io = (used & used_uring)     ? "io: io_uring"
                         : (used & used_offload) ? "io: offload pool"
                                                 : "io: pread";
        if ((used & used_offload) && !uring_error_.empty())
            io += fmt::format(" (io_uring unavailable: {})", uring_error_);
        r.label = r.label.empty() ? io : fmt::format("{}; {}", io, r.label);
    }

private:
    int open_file(std::size_t i) const {
        return open_regular(set_.file(i), O_RDONLY | O_CLOEXEC | (direct_ ? O_DIRECT : 0));
    }

    // Bytes to ask for at `done`: a chunk, or what is left of the file.
    std::size_t want(std::size_t done) const { return std::min(chunk_, set_.bytes - done); }

    // One read at `done`: the bytes read, or -errno. The error goes back as a
    // value because errno is the calling thread's: an offloaded read's is
    // the pool thread's, and the loop thread that reports it has its own.
    ssize_t read_at(int fd, char* buf, std::size_t done) const {
        const ssize_t n = ::pread(fd, buf, want(done), off_t(done));
        return n < 0 ? -ssize_t(errno) : n;
    }

    // Hashes what a read at `done` returned (n: bytes, or -errno) and moves
    // `done` past it; a failed or short read closes fd (-1: the caller
    // closes it) and throws.
    void hash_read(std::size_t i, int fd, const char* buf, ssize_t n, std::size_t& done, std::uint64_t& sum) const {
        const std::size_t used = n > 0 ? hash_blocks(buf, std::size_t(n), done, sum) : 0;
        if (used == 0) close_and_fail(fd, i, n);
        done += used;
    }

    // n < 0: the read failed, with error -n. Otherwise it ended early, or
    // returned less than a block: the file is shorter than the set says.
    [[noreturn]] void close_and_fail(int fd, std::size_t i, ssize_t n) const {
        if (fd >= 0) ::close(fd);
        if (n >= 0) damaged(i, fmt::format("is shorter than {} bytes", set_.bytes));
        errno = int(-n);
        fail_on_file(set_.file(i), "cannot read");
    }

    std::uint64_t checked_sum(std::size_t i, std::uint64_t sum) const {
        sum &= checksum_mask;
        if (sum != sums_[i]) damaged(i, "does not hold what it should");
        return sum;
    }

    // The set is not what its manifest says: dropping the manifest makes the
    // next prepare() rebuild it rather than trust it again.
    [[noreturn]] void damaged(std::size_t i, std::string_view what) const {
        std::error_code ec;
        fs::remove(set_.manifest(), ec);
        throw std::runtime_error(
            fmt::format("{} {}; the data set will be rebuilt on the next run", set_.file(i).string(), what));
    }

    // The loop colours' path: io_uring, or the offload pool (io:offload, or
    // where io_uring is refused). Recorded before the open, so a label says
    // which path ran even when every open fails.
    bool choose_path(asio::io_context& loop) {
        const bool uring = !offload_ && uring_works(loop);
        paths_ |= uring ? used_uring : used_offload;
        return uring;
    }

    // Whether the loops can use io_uring: the first loop to read sets up its
    // ring; where the kernel refuses, that throws. Asked once: where the
    // kernel refuses io_uring, it refuses it to every loop.
    bool uring_works(asio::io_context& loop) {
        std::call_once(uring_checked_, [&] {
            try {
                uring_reads::of(loop);
                uring_ok_ = true;
            } catch (const std::exception& e) {
                uring_error_ = e.what();
            }
        });
        return uring_ok_;
    }

    // As asyncio's default executor for to_thread: min(32, cores + 4) threads,
    // made at first use.
    asio::thread_pool& offload_pool() {
        std::call_once(pool_made_,
                       [&] { pool_.emplace(std::min(32u, std::max(1u, std::thread::hardware_concurrency()) + 4)); });
        return *pool_;
    }

    data_set set_;
    std::vector<std::uint64_t> sums_;
    std::size_t chunk_;
    bool direct_, offload_;
    std::atomic<int> paths_{0};
    std::once_flag uring_checked_;
    bool uring_ok_ = false;  // written once, under uring_checked_
    std::string uring_error_;
    buffer_pool buffers_{chunk_};  // the blocking colour's
    // About half the L2 in flight for the ring, 4 MiB for the offload pool
    // (docs/MEASUREMENTS.md, "Read slots").
    read_slots uring_slots_{chunk_, 512 << 10, 2, 16};
    read_slots offload_slots_{chunk_, 4 << 20, 4, 64};
    std::once_flag pool_made_;
    std::optional<asio::thread_pool> pool_;
};

// Checksum speed on this machine (bytes/s), for the ideal: every byte must at
// least be hashed once it is in memory. Measured on one 64 KiB buffer hashed
// over and over, in the cache as a chunk just read is: the fastest the hash
// runs, so the ideal stays a lower bound.
double sum_bytes_per_s() {
    static const double rate = [] {
        std::vector<char> buf(64 << 10, 1);
        double best = 0;
        std::uint64_t sink = 0;
        for (int attempt = 0; attempt < 5; ++attempt) {
            const auto begun = clock::now();
            for (int pass = 0; pass < 128; ++pass) hash_blocks(buf.data(), buf.size(), std::uint64_t(pass), sink);
            const double s = std::chrono::duration<double>(clock::now() - begun).count();
            best = std::max(best, 128.0 * double(buf.size()) / std::max(s, 1e-9));
        }
        return sink == 42 ? best + 1 : best;
    }();
    return rate;
}

// Bounds of the size parameters: a file of at most 1 TiB, a read call of at
// most 1 GiB (what one io_uring read takes), at most 2^20 files (one task
// each). They keep every product in range: 2^54 KiB wrapped to a chunk of 0
// bytes, and every task then failed with a false "will be rebuilt".
constexpr std::int64_t max_file_kib = std::int64_t(1) << 30, max_chunk_kib = std::int64_t(1) << 20,
                       max_files = std::int64_t(1) << 20;

class file_read_workload_t final : public workload {
public:
    std::string_view name() const override { return "file_read"; }
    std::string_view description() const override {
        return "each task reads one file of the set in chunks and checksums it; cold or warm page cache";
    }

    bool has_stackful() const override { return true; }

    std::vector<param_spec> params() const override {
        return {
            {.name = "files",
             .help = "files K (one task each)",
             .quick = {64},
             .full = {64, 1024},
             .smoke = 8,
             .counts_tasks = true},
            {.name = "file_kib", .help = "size of each file, KiB", .quick = {1024}, .full = {64, 1024}, .smoke = 256},
            {.name = "chunk_kib", .help = "bytes per read call, KiB", .quick = {64}, .full = {64}},
            {.name = "cache",
             .help = "page cache before the run: cold (evicted) or warm (read once)",
             .quick = {0, 1},
             .full = {0, 1},
             .choices = {"cold", "warm"}},
            {.name = "direct", .help = "1: O_DIRECT, bypassing the page cache", .quick = {0}, .full = {0, 1}},
            {.name = "io",
             .help = "the loop's reads: native (io_uring) or offload (a pread pool)",
             .quick = {0, 1},
             .full = {0, 1},
             .choices = {"native", "offload"},
             .async_only = true},
        };
    }

    double ideal_s(const simul::params& p, const model_shape& shape) const override {
        const double bytes = double(p["files"]) * double(p["file_kib"]) * 1024;
        return bytes / (sum_bytes_per_s() * shape.cpu_parallelism);
    }

    std::size_t descriptors(const simul::params& p, const model_shape& shape) const override {
        return std::size_t(std::min(double(p["files"]), shape.concurrency)) + 8;
    }

    // Rate cases only on request (--rate): a read's service time depends on
    // the device, so no capacity is predicted (no service_s).

    void refuse_bad_params(const simul::params& p) const override {
        const auto bounded = [&](const char* name, std::int64_t most, const char* why) {
            if (p[name] > most)
                throw usage_error(fmt::format("--set {}: {} is over {} ({})", name, p[name], most, why));
        };
        bounded("files", max_files, "one task per file");
        bounded("file_kib", max_file_kib, "1 TiB per file");
        bounded("chunk_kib", max_chunk_kib, "1 GiB per read call");
        for (const char* name : {"file_kib", "chunk_kib"})
            if (p[name] % std::int64_t(io_page / 1024) != 0)
                throw usage_error(fmt::format("--set {}: {} is not a multiple of 4 (O_DIRECT reads whole 4 KiB "
                                              "pages)",
                                              name, p[name]));
        if (data_dir_chosen()) check_data_dir(data_dir());
    }

    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        refuse_bad_params(p);  // also for callers that made no case_spec
        const std::size_t bytes = std::size_t(p["file_kib"]) * 1024, chunk = std::size_t(p["chunk_kib"]) * 1024;
        data_set d{data_dir() / "file_read" / fmt::format("{}x{}KiB", p["files"], p["file_kib"]),
                   std::size_t(p["files"]), bytes};
        check_room_for(d);  // before the checksums, which read as much as the set holds
        std::vector<std::uint64_t> sums;
        for (std::size_t i = 0; i < d.files; ++i) sums.push_back(expected_sum(i, bytes));
        ensure_data_set(d, sums);
        for (std::size_t i = 0; i < d.files; ++i) {
            if (p["cache"] == 0) evict(d.file(i));
            else read_through(d.file(i));
        }
        return std::make_unique<file_tasks>(std::move(d), std::move(sums), chunk, p["direct"] == 1, p["io"] == 1);
    }
};

}  // namespace

const workload& file_read_workload() { return the_workload<file_read_workload_t>(); }

}  // namespace simul
