#include "support/flags.hpp"

#include "support/text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace simul::flags {

std::optional<std::int64_t> to_whole(std::string_view text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<double> to_number(std::string_view text) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::int64_t whole_number(std::string_view name, std::string_view text, std::int64_t lo, std::int64_t hi) {
    const auto v = to_whole(text);
    if (v && *v >= lo && *v <= hi) return *v;
    if (lo == 1 && hi == most) throw usage_error(fmt::format("{}: '{}' is not a positive whole number", name, text));
    throw usage_error(fmt::format("{}: '{}' is not a whole number from {} to {}", name, text, lo, hi));
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto at = text.find(sep);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

value none(std::function<void()> set) {
    return {"", false, "", [set = std::move(set)](std::string_view, std::string_view) { set(); }};
}

value whole(std::string shown, std::int64_t lo, std::int64_t hi, std::function<void(std::int64_t)> set) {
    return {std::move(shown), false, "",
            [=](std::string_view name, std::string_view text) { set(whole_number(name, text, lo, hi)); }};
}

value number(std::string shown, double lo, double hi, std::function<void(double)> set) {
    return {std::move(shown), false, "", [=](std::string_view name, std::string_view text) {
                const auto v = to_number(text);
                if (!v || !(*v >= lo) || !(*v <= hi))
                    throw usage_error(fmt::format("{}: '{}' is not a number from {} to {}", name, text, lo, hi));
                set(*v);
            }};
}

value text(std::string shown, std::function<void(std::string_view)> set) {
    return {std::move(shown), false, "",
            [set = std::move(set)](std::string_view, std::string_view text) { set(text); }};
}

value one_of(std::vector<std::string> choices, std::function<void(std::string_view)> set) {
    std::string shown;
    for (const auto& c : choices) shown += (shown.empty() ? "" : "|") + c;
    return {
        shown, false, "", [=](std::string_view name, std::string_view text) {
            for (const auto& c : choices)
                if (text == c) return set(text);
            throw usage_error(choices.size() <= 2
                                  ? fmt::format("{}: '{}' is not {}", name, text, prose_list(choices, " or "))
                                  : fmt::format("{}: '{}' is not one of {}", name, text, prose_list(choices, ", ")));
        }};
}

value list(value each) {
    each.list = true;
    return each;
}

value non_empty(value v, std::string message) {
    v.if_missing = std::move(message);
    return v;
}

namespace {

const flag* find(const std::vector<flag>& table, std::string_view name) {
    for (const auto& f : table)
        if (f.name == name) return &f;
    return nullptr;
}

void take(const flag& f, std::string_view text) {
    const auto one = [&](std::string_view item) {
        try {
            f.takes.take(f.name, item);
        } catch (const usage_error&) {
            throw;
        } catch (const std::invalid_argument& e) {
            throw usage_error(fmt::format("{}: {}", f.name, e.what()));
        }
    };
    if (!f.takes.list) return one(text);
    for (auto item : split(text)) one(item);
}

}  // namespace

void parse(const std::vector<flag>& table, int argc, char** argv, const std::function<void(char* arg)>& other) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto eq = arg.find('=');
        const flag* f = arg.starts_with("-") ? find(table, arg.substr(0, eq)) : nullptr;
        if (!f) {
            if (!other) throw usage_error(fmt::format("unknown argument '{}' (see --help)", arg));
            other(argv[i]);
            continue;
        }
        const bool given = eq != std::string_view::npos;
        const std::string_view text = given ? arg.substr(eq + 1) : std::string_view{};
        if (f->takes.shown.empty()) {
            if (given) throw usage_error(fmt::format("{} takes no value (see --help)", f->name));
        } else if (!f->takes.if_missing.empty() && text.empty()) {
            throw usage_error(fmt::format("{}: {}", f->name, f->takes.if_missing));
        } else if (!given) {
            throw usage_error(fmt::format("{} needs a value: {}={} (see --help)", f->name, f->name, f->takes.shown));
        }
        take(*f, text);
    }
}

std::string help(const std::vector<flag>& table, std::size_t column, std::size_t width) {
    std::string out;
    for (const auto& f : table)
        if (!f.help.empty())
            out += help_entry(f.takes.shown.empty() ? f.name : f.name + "=" + f.takes.shown, f.help, column, width);
    return out;
}

}  // namespace simul::flags
