// The bare loop reader, as Asio's documentation would have it: io_context(1)
// and Asio's own random_access_file on io_uring. K reader coroutines, each
// with one buffer, take the files in turn; K holds about 512 KiB in flight,
// 2 to 16 reads, as simul's loop does. simul's loop reads through its own
// ring instead (bench/io/uring_reads.hpp says why): this program is what
// that saves.
// Usage: bare-coroutine_loop-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES
#include "bench/baselines/files.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/random_access_file.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    const auto set = simul::bare::file_set::from_args(argc, argv, "DIR FILES FILE_KIB CHUNK_KIB PASSES");
    const std::uint64_t readers = std::clamp<std::uint64_t>((512 << 10) / set.chunk, 2, 16);
    asio::io_context loop(1);
    simul::bare::time_passes(set, "coroutine_loop", readers, [&] {
        std::uint64_t sum = 0, next = 0;
        for (std::uint64_t r = 0; r < readers; ++r)
            asio::co_spawn(
                loop,
                [&]() -> asio::awaitable<void> {
                    const auto buf = simul::bare::page_aligned(set.chunk);
                    for (std::uint64_t i; (i = next++) < set.files;) {
                        asio::random_access_file file(loop, set.path(i), asio::random_access_file::read_only);
                        std::uint64_t file_sum = 0;
                        for (std::uint64_t done = 0; done < set.bytes;) {
                            const auto [ec, n] = co_await file.async_read_some_at(
                                done, asio::buffer(buf.get(), std::min(set.chunk, set.bytes - done)),
                                asio::as_tuple(asio::use_awaitable));
                            if (ec) throw boost::system::system_error(ec, set.path(i));
                            done += simul::hash_blocks(buf.get(), n, done, file_sum);
                        }
                        sum += file_sum & simul::bare::mask52;
                    }
                },
                asio::detached);
        loop.restart();
        loop.run();
        return sum;
    });
}
