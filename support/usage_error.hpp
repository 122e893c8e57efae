#pragma once
// Bad command-line input, in simul-bench and in every helper tool: the entry
// point prints it on one line and exits with 2.

#include <stdexcept>

namespace simul {

struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

}  // namespace simul
