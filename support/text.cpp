#include "support/text.hpp"

namespace simul {

std::string prose_list(const std::vector<std::string>& items, std::string_view last) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? last : ", ";
        out += items[i];
    }
    return out;
}

std::string wrap(std::string_view text, std::size_t column, std::size_t width) {
    const std::string indent(column, ' ');
    std::string out;
    bool first = true;  // the first line is indented already
    while (true) {      // one paragraph (a line of text) at a time
        const std::size_t newline = std::min(text.find('\n'), text.size());
        std::string_view rest = text.substr(0, newline);
        std::string line;
        const auto end_line = [&] {
            if (!line.empty()) out += (first ? "" : indent) + line;
            out += '\n';
            first = false;
            line.clear();
        };
        while (!rest.empty()) {
            if (rest.front() == ' ') {
                rest.remove_prefix(1);
                continue;
            }
            const std::size_t end = std::min(rest.find(' '), rest.size());
            const std::string_view word = rest.substr(0, end);
            rest.remove_prefix(end);
            if (!line.empty() && column + line.size() + 1 + word.size() > width) end_line();
            if (!line.empty()) line += ' ';
            line += word;
        }
        end_line();
        if (newline == text.size()) return out;
        text.remove_prefix(newline + 1);
    }
}

std::string help_entry(std::string_view name, std::string_view text, std::size_t column, std::size_t width) {
    std::string out = "  " + std::string(name);
    if (out.size() + 1 > column) out += '\n' + std::string(column, ' ');
    else out.resize(column, ' ');
    return out + wrap(text, column, width);
}

}  // namespace simul
