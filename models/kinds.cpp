#include "models/kinds.hpp"

#include "models/coroutine_loop.hpp"
#include "models/loop_per_thread.hpp"
#include "models/model.hpp"
#include "models/sequential.hpp"
#include "models/shared_loop.hpp"
#include "models/thread_per_task.hpp"
#include "models/thread_pool.hpp"
#include "support/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace simul {

const std::vector<model_kind>& model_kinds() {
    static const std::vector<model_kind> kinds = {
        {"sequential",
         sizing::none,
         "",
         colour::blocking,
         [](int, double, double) {
             return model_shape{1, 1};
         },
         [](int) -> std::unique_ptr<model> { return std::make_unique<sequential>(); },
         "each task in turn, on the calling thread",
         {no_size},
         {no_size}},
        {"thread_per_task",
         sizing::none,
         "",
         colour::blocking,
         [](int, double n, double cores) {
             return model_shape{n, std::min(n, cores)};
         },
         [](int) -> std::unique_ptr<model> { return std::make_unique<thread_per_task>(); },
         "a std::thread per task, joined as it ends",
         {no_size},
         {no_size}},
        {"thread_pool",
         sizing::required,
         "its worker threads",
         colour::blocking,
         [](int p, double, double cores) {
             return model_shape{double(p), std::min(double(p), cores)};
         },
         [](int p) -> std::unique_ptr<model> { return std::make_unique<thread_pool>(p); },
         "a oneTBB task arena that takes each task as it arrives",
         {2, 24, 256},
         {2, 24, 256}},
        // The multi-threaded loops run with a thread per core; the full
        // sweep adds 2 and 4 threads, so a reader sees how they scale.
        {"coroutine_loop",
         sizing::optional,
         "threads, each running an io_context of its own (tasks dealt in turn)",
         colour::coroutine,
         [](int p, double n, double cores) {
             return model_shape{n, std::min(double(std::max(p, 1)), cores)};
         },
         [](int p) -> std::unique_ptr<model> {
             if (p > 0) return std::make_unique<loop_per_thread>(p);
             return std::make_unique<coroutine_loop>();
         },
         "a coroutine per task on one io_context, run by the calling thread",
         {no_size, per_core},
         {no_size, per_core, 2, 4}},
        {"shared_loop",
         sizing::required,
         "the threads that run it",
         colour::coroutine,
         [](int p, double n, double cores) {
             return model_shape{n, std::min(double(std::max(p, 1)), cores)};
         },
         [](int p) -> std::unique_ptr<model> { return std::make_unique<shared_loop>(p); },
         "a coroutine per task on one io_context",
         {per_core},
         {per_core, 2, 4}},
    };
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
