#pragma once
// The most of something at once, from its +1 and −1 events: tasks in flight
// (start, end), tasks waiting to start (due, start).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace simul {

// events: (time, +1 or −1). At the same instant −1 sorts first, so what ends
// as another begins does not count as overlapping.
inline std::size_t event_peak(std::vector<std::pair<std::int64_t, int>> events) {
    std::sort(events.begin(), events.end());
    std::int64_t now = 0, peak = 0;
    for (const auto& [t, delta] : events) peak = std::max(peak, now += delta);
    return static_cast<std::size_t>(peak);
}

}  // namespace simul
