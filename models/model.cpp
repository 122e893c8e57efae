#include "models/model.hpp"

#include "models/coroutine_loop.hpp"
#include "models/loop_per_thread.hpp"
#include "models/sequential.hpp"
#include "models/shared_loop.hpp"
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
    if (kind == "coroutine_loop" || kind == "shared_loop") return {n, std::min(double(std::max(threads, 1)), cores)};
    return {n, std::min(n, cores)};  // thread_per_task
}

std::unique_ptr<model> model_spec::make() const {
    if (kind == "sequential") return std::make_unique<sequential>();
    if (kind == "thread_per_task") return std::make_unique<thread_per_task>();
    if (kind == "thread_pool") return std::make_unique<thread_pool>(threads);
    if (kind == "shared_loop") return std::make_unique<shared_loop>(threads);
    if (threads > 0) return std::make_unique<loop_per_thread>(threads);
    return std::make_unique<coroutine_loop>();
}

model_spec parse_model(std::string_view text) {
    const auto colon = text.find(':');
    const std::string kind(text.substr(0, colon));
    const bool sized = colon != std::string_view::npos;
    const bool size_optional = kind == "coroutine_loop";  // no size: the one-thread loop
    const bool size_needed = kind == "thread_pool" || kind == "shared_loop";
    if (!size_optional && !size_needed && kind != "sequential" && kind != "thread_per_task")
        throw model_error(fmt::format("unknown model '{}' (known: sequential, thread_per_task, thread_pool:P, "
                                      "coroutine_loop, coroutine_loop:P, shared_loop:P)",
                                      text));
    if (!sized && !size_needed) return {kind, 0};
    if (!size_optional && !size_needed)
        throw model_error(fmt::format("model '{}' takes no size (thread_pool:P, coroutine_loop:P and "
                                      "shared_loop:P do)", text));
    const auto size = sized ? text.substr(colon + 1) : std::string_view{};
    int p = 0;
    const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), p);
    if (!sized || ec != std::errc{} || end != size.data() + size.size() || p < 1 || p > max_pool_threads)
        throw model_error(fmt::format("model '{}': {} needs a thread count from 1 to {}, e.g. {}:2", text, kind,
                                      max_pool_threads, kind));
    return {kind, p};
}

}  // namespace simul
