#include "bench/case/workload.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace simul {

std::string param_spec::text(std::int64_t v) const {
    return v >= 0 && std::size_t(v) < choices.size() ? choices[std::size_t(v)] : std::to_string(v);
}

params::params(std::vector<std::pair<std::string, std::int64_t>> values, std::vector<std::string> texts)
    : values_(std::move(values)), texts_(std::move(texts)) {
    for (std::size_t i = texts_.size(); i < values_.size(); ++i) texts_.push_back(std::to_string(values_[i].second));
}

std::int64_t params::operator[](std::string_view name) const {
    for (const auto& [n, v] : values_)
        if (n == name) return v;
    throw std::out_of_range(fmt::format("no parameter '{}'", name));
}

std::string params::name() const {
    std::string out;
    for (std::size_t i = 0; i < values_.size(); ++i)
        out += fmt::format("{}{}:{}", out.empty() ? "" : "/", values_[i].first, texts_[i]);
    return out;
}

double capacity(const workload& w, const params& p, const model_shape& shape) {
    double cap = std::numeric_limits<double>::infinity();
    const double service = w.service_s(p), cpu = w.cpu_s(p);
    const bool bounded = shape.concurrency < double(w.tasks(p));  // a pool, or sequential
    if (service > 0 && bounded) cap = shape.concurrency / service;
    if (cpu > 0) cap = std::min(cap, shape.cpu_parallelism / cpu);
    return std::isinf(cap) ? 0 : cap;
}

}  // namespace simul
