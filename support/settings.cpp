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
network_settings& net() {
    static network_settings n;
    return n;
}
}  // namespace

const network_settings& network() { return net(); }
void set_network(network_settings n) { net() = std::move(n); }

std::filesystem::path data_dir() { return current(); }
void set_data_dir(std::filesystem::path dir) {
    current() = std::move(dir);
    chosen() = true;
}
bool data_dir_chosen() { return chosen(); }

}  // namespace simul
