#pragma once
// Waiting for one descriptor with a deadline, as the blocking colour's
// sockets, the accept loop and the helper processes' pipes all do.

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace simul {

enum class poll_result { ready, timed_out, failed };  // failed: errno says why

// Polls fd for `events` until it is ready or the deadline passes; a signal
// (EINTR) does not end the wait. "Ready" includes an error or hang-up on fd,
// which the next call on it reports.
inline poll_result poll_until(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    pollfd p{fd, events, 0};
    for (;;) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return poll_result::timed_out;
        const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
        if (r > 0) return poll_result::ready;
        if (r < 0 && errno != EINTR) return poll_result::failed;
    }
}

}  // namespace simul
