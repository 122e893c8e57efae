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
// as asyncio's to_thread does. The case's JSON says which path ran
// (counters io_uring, offloaded).

#include "bench/case/result.hpp"
#include "support/usage_error.hpp"
#include "support/settings.hpp"
#include "bench/io/uring_reads.hpp"
#include "bench/case/workload.hpp"
#include "support/file_hash.hpp"
#include "support/mix64.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace simul {
namespace {

constexpr std::size_t page = 4096;  // O_DIRECT alignment for buffers, offsets and sizes

[[noreturn]] void fail(const fs::path& path, const char* what) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// Opens a file of the set for reading, refusing anything but a regular file:
// open() of a FIFO put in a file's place blocks until a writer comes, which
// hung the sweep. O_NONBLOCK makes that open return at once; it is cleared
// again, though it means nothing for a regular file's reads.
int open_regular(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_NONBLOCK);
    // EINVAL alone said nothing of O_DIRECT (a data dir on ramfs).
    if (fd < 0 && errno == EINVAL && (flags & O_DIRECT) != 0)
        throw std::runtime_error(fmt::format("cannot open {} with O_DIRECT (direct:1): its file system does not "
                                             "support O_DIRECT (ramfs, some FUSE or network file systems); use "
                                             "direct:0 or another --data-dir",
                                             path.string()));
    if (fd < 0) fail(path, "cannot open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        fail(path, "cannot stat");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw std::runtime_error(fmt::format("{} is not a regular file (a FIFO, a device or a folder is in its place)",
                                             path.string()));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

// ---- The data set: K files of S bytes, each byte known in advance --------

// Word w of file f: every byte of the set is known in advance.
std::uint64_t word(std::uint64_t file, std::uint64_t w) { return mix64((file << 40) ^ w); }

std::uint64_t expected_sum(std::uint64_t file, std::size_t bytes) {
    std::vector<std::uint64_t> words(hash_block_size / 8);
    std::uint64_t sum = 0;
    for (std::size_t at = 0; at < bytes; at += hash_block_size) {
        for (std::size_t k = 0; k < words.size(); ++k) words[k] = word(file, at / 8 + k);
        hash_blocks(reinterpret_cast<const char*>(words.data()), hash_block_size, at, sum);
    }
    return sum & checksum_mask;
}

struct data_set {
    fs::path dir;
    std::size_t files = 0, bytes = 0;

    fs::path file(std::size_t i) const { return dir / fmt::format("f{:05}.dat", i); }
    fs::path manifest() const { return dir / "MANIFEST"; }

    std::string manifest_text(std::uint64_t total) const {
        return fmt::format("files={} bytes={} sum={}\n", files, bytes, total);
    }
};

// True if the set is there: the manifest names these sizes and checksum and
// every file has its size. Cheap: it reads no file's contents (which would
// also warm the cache).
bool intact(const data_set& d, std::uint64_t total) {
    std::ifstream in(d.manifest());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text != d.manifest_text(total)) return false;
    for (std::size_t i = 0; i < d.files; ++i) {
        std::error_code ec;
        if (fs::file_size(d.file(i), ec) != d.bytes || ec) return false;
    }
    return true;
}

// A temporary name of this process's own: two processes may build the same
// set at once (tests run in parallel), and rename makes either result whole.
fs::path temporary(const fs::path& path) { return fmt::format("{}.{}.tmp", path.string(), ::getpid()); }

// Writes file `file` of the set under a temporary name, then renames it into
// place; on failure the temporary file is removed.
void write_file(const fs::path& path, std::size_t file, std::size_t bytes) {
    const fs::path tmp = temporary(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) fail(tmp, "cannot create");
    const auto give_up = [&] {
        if (errno == 0) errno = ENOSPC;  // a short write sets no errno: the disk is full
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = err;
        fail(tmp, "cannot write");
    };
    std::vector<std::uint64_t> words(1 << 16);
    for (std::size_t w = 0; w < bytes / 8;) {
        const std::size_t n = std::min(words.size(), bytes / 8 - w);
        for (std::size_t k = 0; k < n; ++k) words[k] = word(file, w + k);
        errno = 0;
        if (::write(fd, words.data(), n * 8) != ssize_t(n * 8)) give_up();
        w += n;
    }
    if (::fsync(fd) != 0) give_up();
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        fail(tmp, "cannot write");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        fail(path, "cannot rename into");
    }
}

// Temporary files of builds whose process is gone (killed mid-build): no one
// will finish or remove them.
void remove_orphans(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (!name.ends_with(".tmp")) continue;
        const std::string stem = name.substr(0, name.size() - 4);
        const pid_t pid = pid_t(std::atoll(stem.substr(stem.rfind('.') + 1).c_str()));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
    }
}

// Makes the set if it is missing or wrong; shows progress while it does.
// Files are written under a temporary name and renamed, and the manifest
// last, so an interrupted build is rebuilt next time rather than trusted.
// A build that fails (a full disk) removes the set's files and the folders it
// made: a partial set is of no use, and its room may be what the next,
// smaller set needs.
void ensure(const data_set& d, const std::vector<std::uint64_t>& sums) {
    std::uint64_t total = 0;
    for (auto s : sums) total = (total + s) & checksum_mask;
    if (intact(d, total)) return;
    std::error_code ec;
    std::vector<fs::path> made;  // folders this build creates, outermost first
    for (fs::path p = d.dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) made.insert(made.begin(), p);
    fs::create_directories(d.dir, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create data directory {}: {}", d.dir.string(), ec.message()));
    remove_orphans(d.dir);
    fs::remove(d.manifest(), ec);
    const fs::path manifest_tmp = temporary(d.manifest());
    try {
        for (std::size_t i = 0; i < d.files; ++i) {
            if (i % std::max<std::size_t>(1, d.files / 10) == 0)
                std::fprintf(stderr, "  file_read: making the data set in %s: %zu of %zu files\n", d.dir.c_str(), i,
                             d.files);
            write_file(d.file(i), i, d.bytes);
        }
        {
            std::ofstream out(manifest_tmp);
            out << d.manifest_text(total);
            if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", manifest_tmp.string()));
        }
        fs::rename(manifest_tmp, d.manifest());
    } catch (...) {
        fs::remove(manifest_tmp, ec);
        for (std::size_t i = 0; i < d.files; ++i) fs::remove(d.file(i), ec);
        for (auto p = made.rbegin(); p != made.rend(); ++p) fs::remove(*p, ec);  // only if empty
        throw;
    }
}

// ---- Cache state -----------------------------------------------------------

void evict(const fs::path& path) {
    const int fd = open_regular(path, O_RDONLY | O_CLOEXEC);
    ::fdatasync(fd);  // dirty pages cannot be dropped
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

void read_through(const fs::path& path) {
    const int fd = open_regular(path, O_RDONLY | O_CLOEXEC);
    std::vector<char> buf(1 << 20);
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
}

// ---- The tasks ------------------------------------------------------------

struct aligned_free {
    void operator()(char* p) const { std::free(p); }
};
using buffer_ptr = std::unique_ptr<char, aligned_free>;

struct closing_fd {
    int fd;
    ~closing_fd() { ::close(fd); }
};

// Says what could not be had: a bare std::bad_alloc named neither the
// buffer nor its size (chunk_kib:1099511627776).
buffer_ptr aligned_buffer(std::size_t n) {
    void* p = nullptr;
    if (::posix_memalign(&p, page, n) != 0)
        throw std::runtime_error(fmt::format("cannot allocate a read buffer of {} KiB (chunk_kib): out of memory",
                                             n >> 10));
    return buffer_ptr(static_cast<char*>(p));
}

// Buffers of one size, reused: a task takes one for its reads and gives it
// back, so no more are made than tasks read at once. Sequential then reuses
// one buffer, a pool of P threads P, thread-per-task as many as it runs at
// once: what a program of each model that reads many files keeps. A fresh
// buffer per task costs malloc and, at 1 MiB (above glibc's mmap threshold),
// an mmap and a page fault per page on every task.
class buffer_pool {
public:
    explicit buffer_pool(std::size_t size) : size_(size) {}

    buffer_ptr take() {
        std::lock_guard lock(mutex_);
        if (free_.empty()) return aligned_buffer(size_);
        buffer_ptr buf = std::move(free_.back());
        free_.pop_back();
        return buf;
    }

    void give(buffer_ptr buf) {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(buf));
    }

private:
    const std::size_t size_;
    std::mutex mutex_;
    std::vector<buffer_ptr> free_;
};

// A buffer of the pool's for one task, given back on every exit.
class pooled_buffer {
public:
    explicit pooled_buffer(buffer_pool& pool) : pool_(pool), buf_(pool.take()) {}
    pooled_buffer(const pooled_buffer&) = delete;
    pooled_buffer& operator=(const pooled_buffer&) = delete;
    ~pooled_buffer() { pool_.give(std::move(buf_)); }
    char* get() const { return buf_.get(); }

private:
    buffer_pool& pool_;
    buffer_ptr buf_;
};

// The loop's reads share K page-aligned buffers, and at most K reads (each
// with its buffer) are in flight across the loops, from the read until its
// bytes are hashed. Why few and reused: a fresh buffer per task is 64 buffers
// in flight, and at 1 MiB each above glibc's mmap threshold, so every task
// mmaps, page-faults and unmaps its own (the kernel's copy into unfaulted
// pages dominated the profile); and 64 buffers do not fit in the cache, so
// the kernel's copy and the checksum both go to memory (fio's io_uring drops
// from 5.5 to 1.3 GiB/s here from iodepth 4 to 16 for the same reason).
// Sequential reuses one warm buffer; a fair loop reuses K. A warm read is a
// memcpy, so more than a few in flight buy nothing, while cold reads gain a
// little from a deeper device queue. Measured here (2 cores, 1 MiB L2 per
// core, 64 files of 1 MiB, medians of 7; issue 13's report has the runs):
// at 1 MiB chunks warm reads are best at K = 1-2, slower at 4 and half as
// fast at 16; at 64 KiB K = 8 is best, 4 and 32 are slower. Again with the
// loop's own ring (medians of 7, two rounds): warm 64 KiB reads within 3%
// of each other at K = 4 and 8, slower at 2 and 16; cold ones gain from
// depth (about 1,500, 1,700 and 1,900 MiB/s at K = 4, 8 and 16). So K holds
// about half the L2 in flight, 512 KiB: at least 2 reads (one hashed while
// the next is read), at most 16.
//
// The gate is a semaphore: a concurrent channel with K slots, where entering
// sends a token and leaving takes one back; concurrent, because the
// multi-threaded loops enter it from several threads. Entering tries a
// synchronous send first, so a free slot costs no trip through the
// scheduler; only a full gate suspends the task.
//
// The offload path has slots of its own, more of them: each of its reads is
// two thread hops (to the pool and back), so it is bound by latency, not by
// the copy, and needs more reads in flight to keep the pool busy. Measured
// the same way: at 64 KiB it reads half as fast at K = 8 as at 64, at 1 MiB
// best at K = 4 and half as fast at 64. So about 4 MiB in flight, 4 to 64.
class read_slots {
public:
    // Slots for about `bytes_in_flight`, between `least` and `most`.
    read_slots(std::size_t chunk, std::size_t bytes_in_flight, std::size_t least, std::size_t most)
        : buffers_(chunk), count_(std::clamp(bytes_in_flight / std::max<std::size_t>(chunk, 1), least, most)) {}

    // A slot and its buffer, until leave().
    awaitable<buffer_ptr> enter() {
        if (!gate_.try_send(boost::system::error_code{}))
            co_await gate_.async_send(boost::system::error_code{}, asio::deferred);
        co_return buffers_.take();
    }

    // The buffer goes back before the slot opens, so the task that gets the
    // slot finds it: at most count_ buffers are ever made.
    void leave(buffer_ptr buf) {
        buffers_.give(std::move(buf));
        gate_.try_receive([](boost::system::error_code) {});
    }

private:
    buffer_pool buffers_;
    const std::size_t count_;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> gate_{asio::system_executor(), count_};
};

// Holds a slot for one read and its hashing; gives it back on every exit,
// exceptions included.
class read_slot {
public:
    read_slot(read_slots& slots, buffer_ptr buf) : slots_(slots), buf_(std::move(buf)) {}
    read_slot(const read_slot&) = delete;
    read_slot& operator=(const read_slot&) = delete;
    ~read_slot() { slots_.leave(std::move(buf_)); }
    char* get() const { return buf_.get(); }

private:
    read_slots& slots_;
    buffer_ptr buf_;
};

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
        while (done < set_.bytes) {
            const ssize_t n = ::pread(fd, buf.get(), want(done), off_t(done));
            const std::size_t used = n > 0 ? hash_blocks(buf.get(), std::size_t(n), done, sum) : 0;
            if (used == 0) return close_and_fail(fd, i, n);
            done += used;
        }
        ::close(fd);
        return check(i, sum);
    }

    awaitable<std::uint64_t> async(std::size_t i) override {
        auto& loop = (co_await asio::this_coro::executor).context();
        // The path is recorded before the open, so a label says which path
        // ran even when every open fails.
        const bool uring = !offload_ && uring_works(loop);
        paths_ |= uring ? used_uring : used_offload;
        const int fd = open_file(i);
        std::uint64_t sum = 0;
        std::size_t done = 0;
        if (uring) {
            const closing_fd closing{fd};
            auto& reads = uring_reads::of(loop);
            while (done < set_.bytes) {
                read_slot buf(uring_slots_, co_await uring_slots_.enter());
                auto [ec, n] = co_await reads.async_read(fd, buf.get(), want(done), done,
                                                         asio::as_tuple(asio::deferred));
                if (ec) throw boost::system::system_error(ec, set_.file(i).string());
                const std::size_t used = hash_blocks(buf.get(), n, done, sum);
                if (used == 0) close_and_fail(-1, i, 0);
                done += used;
            }
            co_return check(i, sum);
        }
        auto& pool = offload_pool();
        while (done < set_.bytes) {
            read_slot buf(offload_slots_, co_await offload_slots_.enter());
            char* data = buf.get();
            const ssize_t n = co_await asio::co_spawn(
                pool, [&]() -> asio::awaitable<ssize_t> { co_return ::pread(fd, data, want(done), off_t(done)); },
                asio::use_awaitable_t<executor>{});  // Asio 1.81 cannot co_await deferred on (exception_ptr, T)
            const std::size_t used = n > 0 ? hash_blocks(data, std::size_t(n), done, sum) : 0;
            if (used == 0) close_and_fail(fd, i, n);
            done += used;
        }
        ::close(fd);
        co_return check(i, sum);
    }

    void on_end(case_result& r) override {
        const int used = paths_.load();
        r.extra = {{"io_uring", (used & used_uring) ? 1.0 : 0.0},
                   {"offloaded", (used & used_offload) ? 1.0 : 0.0},
                   // Only the files read whole count: a failed task's bytes
                   // were not all read, and a case whose tasks all failed read
                   // nothing (it reported the whole set's size as if read).
                   {"mib_per_s", r.makespan_s > 0 ? double(r.tasks) * double(set_.bytes) / r.makespan_s / (1 << 20)
                                                  : 0.0}};
        std::string io = (used & used_uring) ? "io: io_uring" : (used & used_offload) ? "io: offload pool" : "io: pread";
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

    // n < 0: the read failed. Otherwise it ended early, or returned less than
    // a block: the file is shorter than the set says.
    std::uint64_t close_and_fail(int fd, std::size_t i, ssize_t n) const {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        if (n >= 0) damaged(i, fmt::format("is shorter than {} bytes", set_.bytes));
        errno = err;
        fail(set_.file(i), "cannot read");
    }

    std::uint64_t check(std::size_t i, std::uint64_t sum) const {
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
        std::call_once(pool_made_, [&] {
            pool_.emplace(std::min(32u, std::max(1u, std::thread::hardware_concurrency()) + 4));
        });
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

// The folder nearest to `dir` that exists (dir itself, or the one its
// folders would be made in), or an error if the path cannot be followed.
fs::path nearest_existing(const fs::path& dir, std::error_code& ec) {
    fs::path probe = dir.empty() ? fs::path(".") : dir;
    for (;;) {
        const auto st = fs::status(probe, ec);
        if (ec && ec != std::errc::no_such_file_or_directory) return probe;
        ec.clear();
        if (fs::exists(st) || !probe.has_relative_path()) return probe;
        probe = probe.has_parent_path() && probe.parent_path() != probe ? probe.parent_path() : fs::path(".");
    }
}

// --data-dir as chosen by the user: a folder that is there and writable, or
// one that can be made (its nearest existing folder is writable).
void check_data_dir(const fs::path& dir) {
    std::error_code ec;
    const fs::path there = nearest_existing(dir, ec);
    if (ec)
        throw usage_error(fmt::format("--data-dir: cannot use '{}': {} ({})", dir.string(), ec.message(),
                                      there.string()));
    if (!fs::is_directory(there, ec))
        throw usage_error(there == dir ? fmt::format("--data-dir: '{}' is not a folder", dir.string())
                                       : fmt::format("--data-dir: cannot make '{}': '{}' is not a folder",
                                                     dir.string(), there.string()));
    if (::access(there.c_str(), W_OK | X_OK) != 0)
        throw usage_error(fmt::format("--data-dir: cannot use '{}': cannot write in '{}': {}", dir.string(),
                                      there.string(), std::strerror(errno)));
}

std::string mib_text(double bytes) { return fmt::format("{:.1f} MiB", bytes / (1 << 20)); }

// Room for the set: what it needs beyond the files of it already there
// (they are replaced) against what the folder's file system has free. An
// error before anything is written, rather than a disk filled to the last
// block.
void check_room(const data_set& d) {
    std::int64_t need = std::int64_t(d.files) * std::int64_t(d.bytes);
    std::error_code ec;
    for (std::size_t i = 0; i < d.files && need > 0; ++i)
        if (const auto have = fs::file_size(d.file(i), ec); !ec) need -= std::int64_t(std::min(have, d.bytes));
    struct statvfs fs_stat {};
    const fs::path there = nearest_existing(d.dir, ec);
    // Unknown (ramfs and /proc report no blocks at all): the build will say.
    if (ec || ::statvfs(there.c_str(), &fs_stat) != 0 || fs_stat.f_blocks == 0) return;
    const double free_bytes = double(fs_stat.f_bavail) * double(fs_stat.f_frsize);
    if (double(need) > free_bytes)
        throw std::runtime_error(fmt::format("the data set needs {} more and {} has {} free ({}); not built",
                                             mib_text(double(need)), there.string(), mib_text(free_bytes),
                                             std::strerror(ENOSPC)));
}

class file_read_workload_t final : public workload {
public:
    std::string_view name() const override { return "file_read"; }
    std::string_view description() const override {
        return "each task reads one file of the set in chunks and checksums it; cold or warm page cache";
    }

    std::vector<param_spec> params() const override {
        return {
            {.name = "files", .help = "files K (one task each)", .quick = {64}, .full = {64, 1024}, .smoke = 8,
             .counts_tasks = true},
            {.name = "file_kib", .help = "size of each file, KiB", .quick = {1024}, .full = {64, 1024}, .smoke = 256},
            {.name = "chunk_kib", .help = "bytes per read call, KiB", .quick = {64}, .full = {64}},
            {.name = "cache", .help = "page cache before the run: cold (evicted) or warm (read once)",
             .quick = {0, 1}, .full = {0, 1}, .choices = {"cold", "warm"}},
            {.name = "direct", .help = "1: O_DIRECT, bypassing the page cache", .quick = {0}, .full = {0, 1}},
            {.name = "io", .help = "the loop's reads: native (io_uring) or offload (a pread pool)", .quick = {0, 1},
             .full = {0, 1}, .choices = {"native", "offload"}, .async_only = true},
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
            if (p[name] % std::int64_t(page / 1024) != 0)
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
        check_room(d);  // before the checksums, which read as much as the set holds
        std::vector<std::uint64_t> sums;
        for (std::size_t i = 0; i < d.files; ++i) sums.push_back(expected_sum(i, bytes));
        ensure(d, sums);
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
