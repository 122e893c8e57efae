#pragma once
// What the bare file readers share: their arguments, the data set's file
// names (simul-bench makes the set), one file read whole with pread and every
// byte hashed as simul's file_read does, and timed passes. Each pass starts
// from a warm page cache, as each of simul's warm cases does (its prepare
// reads every file once), and the figure is the median pass, as
// scripts/baselines.py takes the median of simul's.

#include "bench/baselines/bare.hpp"
#include "support/file_hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace simul::bare {

inline constexpr std::uint64_t mask52 = (std::uint64_t{1} << 52) - 1;

struct page_free {
    void operator()(char* p) const { std::free(p); }
};
using buffer = std::unique_ptr<char, page_free>;

inline buffer page_aligned(std::size_t n) {
    void* p = nullptr;
    if (::posix_memalign(&p, 4096, n) != 0) std::abort();
    return buffer(static_cast<char*>(p));
}

struct file_set {
    std::string dir;
    std::uint64_t files, bytes, chunk, passes;
    bool hash = true;  // false: read only, to time the checksum's own share

    // DIR FILES FILE_KIB CHUNK_KIB PASSES, then the model's own arguments.
    static file_set from_args(int argc, char** argv, const char* usage) {
        if (argc < 2) arg(argc, argv, 1, usage);  // prints the usage, exits 2
        return {argv[1], arg(argc, argv, 2, usage), arg(argc, argv, 3, usage) * 1024, arg(argc, argv, 4, usage) * 1024,
                arg(argc, argv, 5, usage)};
    }

    std::string path(std::uint64_t i) const {
        char name[32];
        std::snprintf(name, sizeof name, "/f%05llu.dat", static_cast<unsigned long long>(i));
        return dir + name;
    }

    int open(std::uint64_t i) const {
        const int fd = ::open(path(i).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::perror(path(i).c_str());
            std::exit(1);
        }
        return fd;
    }

    // File i, read whole in chunks into buf: its checksum, as simul's.
    std::uint64_t read(std::uint64_t i, char* buf) const {
        const int fd = open(i);
        std::uint64_t sum = 0;
        for (std::uint64_t done = 0; done < bytes;) {
            const ssize_t n = ::pread(fd, buf, std::min(chunk, bytes - done), off_t(done));
            const std::size_t used = n <= 0 ? 0 : hash ? hash_blocks(buf, std::size_t(n), done, sum) : std::size_t(n);
            if (used == 0) {
                std::fprintf(stderr, "%s: cannot read\n", path(i).c_str());
                std::exit(1);
            }
            done += used;
        }
        ::close(fd);
        return sum & mask52;
    }

    // Every file read once, into buf (chunk bytes).
    void warm(char* buf) const {
        for (std::uint64_t i = 0; i < files; ++i) {
            const int fd = open(i);
            while (::read(fd, buf, chunk) > 0) {
            }
            ::close(fd);
        }
    }
};

// Runs `pass` (which reads the whole set and returns its checksum) set.passes
// times, each from a warm cache after `ready` (untimed: a pool wakes its
// workers, as simul's starts them before its clock), and prints the median.
template <typename Ready, typename Pass>
void time_passes(const file_set& set, const char* model, std::uint64_t in_flight, Ready ready, Pass pass) {
    const auto warming = page_aligned(set.chunk);  // made before the memory baseline, as simul's prepare's
    std::vector<double> seconds(set.passes);
    run measured;
    std::uint64_t sum = 0;
    for (auto& s : seconds) {
        set.warm(warming.get());
        ready();
        const auto begun = std::chrono::steady_clock::now();
        sum = pass();
        s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
    }
    std::nth_element(seconds.begin(), seconds.begin() + long(seconds.size() / 2), seconds.end());
    measured.print(model, "file_read", set.files, in_flight, sum, seconds[seconds.size() / 2]);
}

template <typename Pass>
void time_passes(const file_set& set, const char* model, std::uint64_t in_flight, Pass pass) {
    time_passes(
        set, model, in_flight, [] {}, pass);
}

}  // namespace simul::bare
