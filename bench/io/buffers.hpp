#pragma once
// Page-aligned read buffers (O_DIRECT needs them), and a pool that reuses
// them so that no more are made than reads run at once.

#include <fmt/format.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace simul {

inline constexpr std::size_t io_page = 4096;  // O_DIRECT alignment for buffers, offsets and sizes

struct aligned_free {
    void operator()(char* p) const { std::free(p); }
};
using buffer_ptr = std::unique_ptr<char, aligned_free>;

// Says what could not be had: a bare std::bad_alloc named neither the
// buffer nor its size (chunk_kib:1099511627776).
inline buffer_ptr aligned_buffer(std::size_t n) {
    void* p = nullptr;
    if (::posix_memalign(&p, io_page, n) != 0)
        throw std::runtime_error(fmt::format("cannot allocate a read buffer of {} KiB: out of memory", n >> 10));
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

}  // namespace simul
