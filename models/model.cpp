#include "models/model.hpp"

#include "models/kinds.hpp"
#include "support/text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <thread>

namespace simul {

std::string model_spec::name() const {
    if (peer) return peer->name;
    std::string out = threads > 0 ? fmt::format("{}:{}", kind, threads) : kind;
    if (stack.kib != stack_options::default_kib) out += fmt::format("/stack:{}", stack.kib);
    if (stack.guarded) out += "/guarded";
    return out;
}

const model_kind& model_spec::row() const {
    const model_kind* k = find_model_kind(kind);
    if (!k) throw model_error(fmt::format("unknown model kind '{}' (known: {})", kind, known_models()));
    return *k;
}

simul::colour model_spec::colour() const { return peer ? simul::colour::external : row().colour; }

bool model_spec::runs_async() const {
    return colour() == simul::colour::coroutine || colour() == simul::colour::stackful;
}

model_shape model_spec::shape(std::size_t tasks) const {
    const double cores = std::max(1u, std::thread::hardware_concurrency());
    if (peer) return {static_cast<double>(tasks), cores};
    return row().shape(threads, static_cast<double>(tasks), cores);
}

std::unique_ptr<model> model_spec::make() const {
    if (peer) throw model_error(fmt::format("{} is a peer: it runs in its own process, not as a model", peer->name));
    return row().make(*this);
}

namespace {

// The options after a stackful form: "/stack:16", "/guarded", in any order.
stack_options parse_stack_options(std::string_view whole, std::string_view options) {
    stack_options s;
    while (!options.empty()) {
        options.remove_prefix(1);  // the '/'
        const auto next = options.find('/');
        const std::string_view option = options.substr(0, next);
        options = next == std::string_view::npos ? std::string_view{} : options.substr(next);
        if (option == "guarded") {
            s.guarded = true;
            continue;
        }
        const auto value = option.substr(std::min(option.size(), std::string_view("stack:").size()));
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.kib);
        if (!option.starts_with("stack:") || ec != std::errc{} || end != value.data() + value.size() ||
            s.kib < min_stack_kib || s.kib > max_stack_kib)
            throw model_error(fmt::format("model '{}': '{}' is not an option; a stackful model takes /stack:K (KiB, "
                                          "{} to {}) and /guarded, e.g. stackful_loop:2/stack:16/guarded",
                                          whole, option, min_stack_kib, max_stack_kib));
    }
    return s;
}

}  // namespace

model_spec parse_model(std::string_view whole) {
    const auto slash = whole.find('/');
    const std::string_view text = whole.substr(0, slash), options = whole.substr(std::min(slash, whole.size()));
    const auto colon = text.find(':');
    const std::string kind(text.substr(0, colon));
    const bool sized = colon != std::string_view::npos;
    const model_kind* k = find_model_kind(kind);
    if (!k) throw model_error(fmt::format("unknown model '{}' (known: {})", text, known_models()));
    if (!options.empty() && k->colour != colour::stackful)
        throw model_error(fmt::format("model '{}': {} takes no options (only the stackful models take /stack:K and "
                                      "/guarded)",
                                      whole, kind));
    const stack_options stack = parse_stack_options(whole, options);
    if (!sized && k->size != sizing::required) return {kind, 0, stack};
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
    return {kind, p, stack};
}

}  // namespace simul
