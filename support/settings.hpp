#pragma once
// Settings that are not parameters of a case: where data lives.

#include <filesystem>

namespace simul {

// Where workloads keep their data sets (--data-dir); by default data/ in the
// build folder.
std::filesystem::path data_dir();
void set_data_dir(std::filesystem::path dir);
// True once set_data_dir was called (--data-dir): only a folder the user
// chose is a usage error when unusable; the default one is a set-up error.
bool data_dir_chosen();

}  // namespace simul
