#pragma once
// Text for people: a list in prose, and help text wrapped to a width.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace simul {

// "a", "a and b", "a, b and c" (last = " and "), or with " or ".
std::string prose_list(const std::vector<std::string>& items, std::string_view last = " and ");

// text's words in lines of at most `width` columns, each line after the first
// indented to `column` (the first is taken to start there already); every
// line ends with '\n'. A '\n' in text starts a new line. A word longer than a
// line gets a line of its own.
std::string wrap(std::string_view text, std::size_t column, std::size_t width = 79);

// "  NAME" padded to `column`, then text wrapped from there (or, when NAME
// reaches the column, on the next line): one entry of a --help list.
std::string help_entry(std::string_view name, std::string_view text, std::size_t column, std::size_t width = 79);

}  // namespace simul
