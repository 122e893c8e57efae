#pragma once
// At most K tasks reading at once, each with its buffer, across every loop
// that shares them: the loop colours' gate on file reads, with an enter() for
// each (coroutine and stackful; tasks of both wait in one queue). Why few
// buffers, reused, and how K was chosen: docs/MEASUREMENTS.md, "Read slots".
//
// A task holds its slot from its file's first read to its last, so K files
// are read at a time, each start to end, as K reader coroutines would. A slot
// held for one read only went, through the gate's queue, to the task that had
// waited longest: the loop read a chunk of each of the 64 files in turn, and
// the kernel's page-cache lookups and copies cost more out of order (perf:
// filemap_get_read_batch +13%, _copy_to_iter +4%), 1.08x the bare loop's
// time on warm 64 KiB reads (docs/MEASUREMENTS.md, "Read slots").
//
// The gate is a semaphore: a concurrent channel with K slots, where entering
// sends a token and leaving takes one back; concurrent, because the
// multi-threaded loops enter it from several threads. Entering tries a
// synchronous send first, so a free slot costs no trip through the
// scheduler; only a full gate suspends the task.

#include "bench/io/buffers.hpp"
#include "models/task.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cstddef>

namespace simul {

class read_slots {
public:
    // Slots for about `bytes_in_flight`, between `least` and `most`.
    read_slots(std::size_t chunk, std::size_t bytes_in_flight, std::size_t least, std::size_t most)
        : buffers_(chunk), count_(std::clamp(bytes_in_flight / std::max<std::size_t>(chunk, 1), least, most)) {}

    // A slot and its buffer, until leave(): the coroutine colour's form.
    awaitable<buffer_ptr> enter() {
        if (!try_enter()) co_await gate_.async_send(boost::system::error_code{}, boost::asio::deferred);
        co_return buffers_.take();
    }

    // The stackful colour's form: suspends the task's stack, not its thread,
    // while the gate is full.
    buffer_ptr enter(yield_context yield) {
        if (!try_enter()) gate_.async_send(boost::system::error_code{}, yield);
        return buffers_.take();
    }

    // The buffer goes back before the slot opens, so the task that gets the
    // slot finds it: at most count_ buffers are ever made.
    void leave(buffer_ptr buf) {
        buffers_.give(std::move(buf));
        gate_.try_receive([](boost::system::error_code) {});
    }

private:
    // A free slot is taken at once, with no trip through the scheduler.
    bool try_enter() { return gate_.try_send(boost::system::error_code{}); }

    buffer_pool buffers_;
    const std::size_t count_;
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> gate_{boost::asio::system_executor(),
                                                                                         count_};
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

}  // namespace simul
