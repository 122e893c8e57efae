#pragma once
// One flag parser for simul-bench and the helper tools. A program lists its
// flags in a table: each flag's name, the value it takes (made by none(),
// whole(), number(), text(), one_of(), list()), its help, and what to do with
// the value. parse() walks argv against the table and help() writes the
// options part of --help from it. Bad input is a usage_error
// (support/usage_error.hpp): the entry point prints it on one line and exits
// with 2.

#include "support/usage_error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace simul::flags {

// What a flag takes, and what it does with it.
struct value {
    std::string shown;       // after '=' in --help: "SECONDS", "quick|full"; empty: a flag that takes none
    bool list = false;       // a comma-separated list: `take` gets each item
    std::string if_missing;  // said when the value is missing or empty; empty: an empty value goes to `take`
    // Checks one value and stores it; throws usage_error. Another
    // std::invalid_argument (a model_error, say) is a usage error too, its
    // message after the flag's name.
    std::function<void(std::string_view name, std::string_view text)> take;
};

inline constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();

// A flag with no value: "--list".
value none(std::function<void()> set);
// A whole number from lo to hi: "'x' is not a whole number from 1 to 9"
// (from 1 to most: "is not a positive whole number").
value whole(std::string shown, std::int64_t lo, std::int64_t hi, std::function<void(std::int64_t)> set);
// A number from lo to hi: "'x' is not a number from 0.001 to 1000000".
value number(std::string shown, double lo, double hi, std::function<void(double)> set);
// Any text; what it means is the setter's to check.
value text(std::string shown, std::function<void(std::string_view)> set);
// One of a few words: "'x' is not quick or full"; shown as "quick|full".
value one_of(std::vector<std::string> choices, std::function<void(std::string_view)> set);
// A comma-separated list, each item taken as `each` takes one; shown as each's.
value list(value each);
// v, but a missing or empty value is an error that says `message`.
value non_empty(value v, std::string message);

struct flag {
    std::string name;  // "--budget", or "-h"
    value takes;
    std::string help;  // for --help; empty: not listed
};

// Walks argv[1..argc) against the table: "--name" or "--name=value". An
// argument that names no flag of the table goes to `other`, which may throw
// usage_error; with no `other` it is "unknown argument 'X' (see --help)".
// Flags are taken in order, and a flag given twice takes both values (the
// last one counts, unless its setter collects them).
void parse(const std::vector<flag>& table, int argc, char** argv, const std::function<void(char* arg)>& other = {});

// The options part of --help: "  --name=SHOWN" and the flag's help, wrapped
// from `column`, for each flag that has help, in the table's order.
std::string help(const std::vector<flag>& table, std::size_t column, std::size_t width = 79);

// Conversions for values a table does not take itself: the whole text must
// be the number, else nothing.
std::optional<std::int64_t> to_whole(std::string_view text);
std::optional<double> to_number(std::string_view text);
// to_whole, checked as whole() checks it: the error names `name`.
std::int64_t whole_number(std::string_view name, std::string_view text, std::int64_t lo = 1, std::int64_t hi = most);
// "a,b,c" as {"a", "b", "c"}; "" as {""}.
std::vector<std::string_view> split(std::string_view text, char sep = ',');

}  // namespace simul::flags
