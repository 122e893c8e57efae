#include "models/model.hpp"

#include "models/kinds.hpp"
#include "support/text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <thread>

namespace simul {

std::string model_spec::name() const { return threads > 0 ? fmt::format("{}:{}", kind, threads) : kind; }

const model_kind& model_spec::row() const {
    const model_kind* k = find_model_kind(kind);
    if (!k) throw model_error(fmt::format("unknown model kind '{}' (known: {})", kind, known_models()));
    return *k;
}

bool model_spec::runs_async() const { return row().colour == colour::coroutine; }

model_shape model_spec::shape(std::size_t tasks) const {
    const double cores = std::max(1u, std::thread::hardware_concurrency());
    return row().shape(threads, static_cast<double>(tasks), cores);
}

std::unique_ptr<model> model_spec::make() const { return row().make(threads); }

model_spec parse_model(std::string_view text) {
    const auto colon = text.find(':');
    const std::string kind(text.substr(0, colon));
    const bool sized = colon != std::string_view::npos;
    const model_kind* k = find_model_kind(kind);
    if (!k) throw model_error(fmt::format("unknown model '{}' (known: {})", text, known_models()));
    if (!sized && k->size != sizing::required) return {kind, 0};
    if (k->size == sizing::none) {
        std::vector<std::string> sized_forms;
        for (const auto& other : model_kinds())
            if (other.size != sizing::none) sized_forms.push_back(fmt::format("{}:P", other.name));
        throw model_error(fmt::format("model '{}' takes no size ({} do)", text, prose_list(sized_forms)));
    }
    const auto size = sized ? text.substr(colon + 1) : std::string_view{};
    int p = 0;
    const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), p);
    if (!sized || ec != std::errc{} || end != size.data() + size.size() || p < 1 || p > max_pool_threads)
        throw model_error(fmt::format("model '{}': {} needs a thread count from 1 to {}, e.g. {}:2", text, kind,
                                      max_pool_threads, kind));
    return {kind, p};
}

}  // namespace simul
