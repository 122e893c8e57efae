#include "models/model.hpp"

#include "models/coroutine_loop.hpp"
#include "models/sequential.hpp"
#include "models/thread_per_task.hpp"
#include "models/thread_pool.hpp"

#include <fmt/format.h>

#include <charconv>
#include <thread>

namespace simul {

std::string model_spec::name() const {
    return threads > 0 ? fmt::format("{}:{}", kind, threads) : kind;
}

model_shape model_spec::shape(std::size_t tasks) const {
    const double cores = std::max(1u, std::thread::hardware_concurrency());
    const double n = static_cast<double>(tasks);
    if (kind == "sequential") return {1, 1};
    if (kind == "thread_pool") return {double(threads), std::min(double(threads), cores)};
    if (kind == "coroutine_loop") return {n, 1};
    return {n, std::min(n, cores)};  // thread_per_task
}

std::unique_ptr<model> model_spec::make() const {
    if (kind == "sequential") return std::make_unique<sequential>();
    if (kind == "thread_per_task") return std::make_unique<thread_per_task>();
    if (kind == "thread_pool") return std::make_unique<thread_pool>(threads);
    return std::make_unique<coroutine_loop>();
}

model_spec parse_model(std::string_view text) {
    const auto colon = text.find(':');
    const std::string kind(text.substr(0, colon));
    const bool sized = colon != std::string_view::npos;
    if (kind == "sequential" || kind == "thread_per_task" || kind == "coroutine_loop") {
        if (sized) throw model_error(fmt::format("model '{}' takes no size (only thread_pool:P does)", text));
        return {kind, 0};
    }
    if (kind == "thread_pool") {
        const auto size = sized ? text.substr(colon + 1) : std::string_view{};
        int p = 0;
        const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), p);
        if (!sized || ec != std::errc{} || end != size.data() + size.size() || p < 1 || p > max_pool_threads)
            throw model_error(fmt::format("model '{}': the pool needs a size from 1 to {}, e.g. thread_pool:24",
                                          text, max_pool_threads));
        return {kind, p};
    }
    throw model_error(fmt::format(
        "unknown model '{}' (known: sequential, thread_per_task, thread_pool:P, coroutine_loop)", text));
}

}  // namespace simul
