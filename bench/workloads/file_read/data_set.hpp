#pragma once
// file_read's data set, apart from the tasks that read it: K files of S
// bytes, each byte known in advance, made once and then only checked
// cheaply; its cache state before a case (cold: evicted; warm: read once);
// and the checks on its folder and on the room it needs.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace simul {

struct data_set {
    std::filesystem::path dir;
    std::size_t files = 0, bytes = 0;

    std::filesystem::path file(std::size_t i) const { return dir / fmt::format("f{:05}.dat", i); }
    std::filesystem::path manifest() const { return dir / "MANIFEST"; }

    std::string manifest_text(std::uint64_t total) const {
        return fmt::format("files={} bytes={} sum={}\n", files, bytes, total);
    }
};

// Throws "<what> <path>: <strerror(errno)>".
[[noreturn]] void fail_on_file(const std::filesystem::path& path, const char* what);

// Opens a file of the set for reading, refusing anything but a regular file
// (a FIFO in a file's place would block the open).
int open_regular(const std::filesystem::path& path, int flags);

// The checksum file `file` of `bytes` bytes must read to.
std::uint64_t expected_sum(std::uint64_t file, std::size_t bytes);

// Makes the set if it is missing or wrong, showing progress; `sums` are the
// files' expected checksums. A failed build leaves nothing behind.
void ensure_data_set(const data_set& d, const std::vector<std::uint64_t>& sums);

// Room for the set on its file system, before anything is written.
void check_room_for(const data_set& d);

// --data-dir as chosen by the user: a usage error unless usable.
void check_data_dir(const std::filesystem::path& dir);

// The page cache before a case: evicted (cold) or read once (warm).
void evict(const std::filesystem::path& path);
void read_through(const std::filesystem::path& path);

}  // namespace simul
