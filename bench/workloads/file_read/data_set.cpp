#include "bench/workloads/file_read/data_set.hpp"

#include "models/task.hpp"
#include "support/file_hash.hpp"
#include "support/mix64.hpp"
#include "support/usage_error.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace simul {

[[noreturn]] void fail_on_file(const fs::path& path, const char* what) {
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
    if (fd < 0) fail_on_file(path, "cannot open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        fail_on_file(path, "cannot stat");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw std::runtime_error(
            fmt::format("{} is not a regular file (a FIFO, a device or a folder is in its place)", path.string()));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

// ---- The data set: K files of S bytes, each byte known in advance --------

// Word w of file f: every byte of the set is known in advance.
static std::uint64_t word(std::uint64_t file, std::uint64_t w) { return mix64((file << 40) ^ w); }

std::uint64_t expected_sum(std::uint64_t file, std::size_t bytes) {
    std::vector<std::uint64_t> words(hash_block_size / 8);
    std::uint64_t sum = 0;
    for (std::size_t at = 0; at < bytes; at += hash_block_size) {
        for (std::size_t k = 0; k < words.size(); ++k) words[k] = word(file, at / 8 + k);
        hash_blocks(reinterpret_cast<const char*>(words.data()), hash_block_size, at, sum);
    }
    return sum & checksum_mask;
}

// True if the set is there: the manifest names these sizes and checksum and
// every file has its size. Cheap: it reads no file's contents (which would
// also warm the cache).
static bool intact(const data_set& d, std::uint64_t total) {
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
static fs::path temporary(const fs::path& path) { return fmt::format("{}.{}.tmp", path.string(), ::getpid()); }

// Writes file `file` of the set under a temporary name, then renames it into
// place; on failure the temporary file is removed.
static void write_file(const fs::path& path, std::size_t file, std::size_t bytes) {
    const fs::path tmp = temporary(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) fail_on_file(tmp, "cannot create");
    const auto give_up = [&] {
        if (errno == 0) errno = ENOSPC;  // a short write sets no errno: the disk is full
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = err;
        fail_on_file(tmp, "cannot write");
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
        fail_on_file(tmp, "cannot write");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        errno = err;
        fail_on_file(path, "cannot rename into");
    }
}

// Temporary files of builds whose process is gone (killed mid-build): no one
// will finish or remove them.
static void remove_orphans(const fs::path& dir) {
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
void ensure_data_set(const data_set& d, const std::vector<std::uint64_t>& sums) {
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

// The folder nearest to `dir` that exists (dir itself, or the one its
// folders would be made in), or an error if the path cannot be followed.
static fs::path nearest_existing(const fs::path& dir, std::error_code& ec) {
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
        throw usage_error(
            fmt::format("--data-dir: cannot use '{}': {} ({})", dir.string(), ec.message(), there.string()));
    if (!fs::is_directory(there, ec))
        throw usage_error(there == dir ? fmt::format("--data-dir: '{}' is not a folder", dir.string())
                                       : fmt::format("--data-dir: cannot make '{}': '{}' is not a folder", dir.string(),
                                                     there.string()));
    if (::access(there.c_str(), W_OK | X_OK) != 0)
        throw usage_error(fmt::format("--data-dir: cannot use '{}': cannot write in '{}': {}", dir.string(),
                                      there.string(), std::strerror(errno)));
}

static std::string mib_text(double bytes) { return fmt::format("{:.1f} MiB", bytes / (1 << 20)); }

// Room for the set: what it needs beyond the files of it already there
// (they are replaced) against what the folder's file system has free. An
// error before anything is written, rather than a disk filled to the last
// block.
void check_room_for(const data_set& d) {
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

}  // namespace simul
