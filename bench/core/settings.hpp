#pragma once
// Settings that are not parameters of a case: where data lives.

#include <filesystem>

namespace simul {

// Where workloads keep their data sets (--data-dir); by default data/ in the
// build folder.
std::filesystem::path data_dir();
void set_data_dir(std::filesystem::path dir);

}  // namespace simul
