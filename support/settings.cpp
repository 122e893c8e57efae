#include "support/settings.hpp"

namespace simul {
namespace {
std::filesystem::path& current() {
    static std::filesystem::path dir = std::filesystem::path(SIMUL_TOOLS_DIR) / "data";
    return dir;
}
bool& chosen() {
    static bool yes = false;
    return yes;
}
}  // namespace

std::filesystem::path data_dir() { return current(); }
void set_data_dir(std::filesystem::path dir) {
    current() = std::move(dir);
    chosen() = true;
}
bool data_dir_chosen() { return chosen(); }

}  // namespace simul
