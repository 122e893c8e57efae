#include "models/kinds.hpp"

#include "models/coroutine_loop.hpp"
#include "models/loop_per_thread.hpp"
#include "models/model.hpp"
#include "models/sequential.hpp"
#include "models/shared_loop.hpp"
#include "models/stackful_loop.hpp"
#include "models/thread_per_task.hpp"
#include "models/thread_pool.hpp"
#include "support/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace simul {
namespace {

// The loops: every task in flight at once; CPU work on as many cores as the
// loop has threads (one without a size).
model_shape loop_shape(int p, double tasks, double cores) {
    return model_shape{tasks, std::min(double(std::max(p, 1)), cores)};
}

}  // namespace

const std::vector<model_kind>& model_kinds() {
    // The table as a table: one field a line, each lambda on its field's line.
    // clang-format off
    static const std::vector<model_kind> kinds = {
        {.name = "sequential",
         .size = sizing::none,
         .size_means = "",
         .colour = colour::blocking,
         .shape = [](int, double, double) { return model_shape{1, 1}; },
         .make = [](const model_spec&) -> std::unique_ptr<model> { return std::make_unique<sequential>(); },
         .help = "each task in turn, on the calling thread",
         .quick = {no_size},
         .full = {no_size}},
        {.name = "thread_per_task",
         .size = sizing::none,
         .size_means = "",
         .colour = colour::blocking,
         .shape = [](int, double n, double cores) { return model_shape{n, std::min(n, cores)}; },
         .make = [](const model_spec&) -> std::unique_ptr<model> { return std::make_unique<thread_per_task>(); },
         .help = "a std::thread per task, joined as it ends",
         .quick = {no_size},
         .full = {no_size}},
        {.name = "thread_pool",
         .size = sizing::required,
         .size_means = "its worker threads",
         .colour = colour::blocking,
         .shape = [](int p, double, double cores) { return model_shape{double(p), std::min(double(p), cores)}; },
         .make = [](const model_spec& m) -> std::unique_ptr<model> { return std::make_unique<thread_pool>(m.threads); },
         .help = "a oneTBB task arena that takes each task as it arrives",
         .quick = {2, 24, 256},
         .full = {2, 24, 256}},
        // The multi-threaded loops run with a thread per core; the full
        // sweep adds 2 and 4 threads, so a reader sees how they scale.
        {.name = "coroutine_loop",
         .size = sizing::optional,
         .size_means = "threads, each running an io_context of its own (tasks dealt in turn)",
         .colour = colour::coroutine,
         .shape = loop_shape,
         .make = [](const model_spec& m) -> std::unique_ptr<model> {
             if (m.threads > 0) return std::make_unique<loop_per_thread>(m.threads);
             return std::make_unique<coroutine_loop>();
         },
         .help = "a coroutine per task on one io_context, run by the calling thread",
         .quick = {no_size, per_core},
         .full = {no_size, per_core, 2, 4}},
        {.name = "shared_loop",
         .size = sizing::required,
         .size_means = "the threads that run it",
         .colour = colour::coroutine,
         .shape = loop_shape,
         .make = [](const model_spec& m) -> std::unique_ptr<model> { return std::make_unique<shared_loop>(m.threads); },
         .help = "a coroutine per task on one io_context",
         .quick = {per_core},
         .full = {per_core, 2, 4}},
        // coroutine_loop with a stack per task: the same loops, the third colour.
        {.name = "stackful_loop",
         .size = sizing::optional,
         .size_means = "threads, each running an io_context of its own (tasks dealt in turn)",
         .colour = colour::stackful,
         .shape = loop_shape,
         .make = [](const model_spec& m) -> std::unique_ptr<model> {
             if (m.threads > 0) return std::make_unique<loop_per_thread>(m.threads, m.stack);
             return std::make_unique<stackful_loop>(m.stack);
         },
         .help = "an asio::spawn stackful coroutine per task on one io_context, run by the calling thread",
         .quick = {no_size, per_core},
         .full = {no_size, per_core}},
    };
    // clang-format on
    return kinds;
}

const model_kind* find_model_kind(std::string_view name) {
    for (const auto& k : model_kinds())
        if (k.name == name) return &k;
    return nullptr;
}

std::string known_models() {
    std::vector<std::string> forms;
    for (const auto& k : model_kinds()) {
        if (k.size != sizing::required) forms.emplace_back(k.name);
        if (k.size != sizing::none) forms.push_back(fmt::format("{}:P", k.name));
    }
    return prose_list(forms, ", ");
}

std::string models_help(std::size_t column, std::size_t width) {
    std::string out;
    for (const auto& k : model_kinds()) {
        const std::string form = k.size == sizing::none       ? std::string(k.name)
                                 : k.size == sizing::optional ? fmt::format("{}[:P]", k.name)
                                                              : fmt::format("{}:P", k.name);
        const std::string text = k.size == sizing::none ? std::string(k.help)
                                                        : fmt::format("{}; P: {}", k.help, k.size_means);
        out += help_entry(form, text, column, width);
    }
    return out;
}

std::string sweep_form(const model_kind& kind, int size, std::string_view cores) {
    if (size == no_size) return std::string(kind.name);
    if (size == per_core) return fmt::format("{}:{}", kind.name, cores);
    return fmt::format("{}:{}", kind.name, size);
}

}  // namespace simul
