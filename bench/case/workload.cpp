#include "bench/case/workload.hpp"

#include <fmt/format.h>

#include <algorithm>
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

namespace {

// The name of the parameter that counts tasks; a workload without one is a
// programming error, caught by the registry's test.
std::string counting_param(const workload& w) {
    for (const auto& spec : w.params())
        if (spec.counts_tasks) return spec.name;
    throw std::logic_error(fmt::format("workload {}: no parameter is marked counts_tasks", w.name()));
}

}  // namespace

std::size_t workload::task_count(const simul::params& p) const { return std::size_t(p[counting_param(*this)]); }

std::string workload::count_param() const { return own_arrivals() ? std::string() : counting_param(*this); }

double workload::in_flight(const simul::params& p, const model_shape& shape) const {
    return std::min({shape.concurrency, max_in_flight(p), double(task_count(p))});
}

double workload::ideal_s(const simul::params& p, const model_shape& shape) const {
    const double n = double(task_count(p));
    const double waves = std::ceil(n / std::min(shape.concurrency, max_in_flight(p)));
    return std::max(waves * service_s(p), n * cpu_s(p) / shape.cpu_parallelism);
}

std::size_t workload::descriptors(const simul::params& p, const model_shape& shape) const {
    return descriptors_per_task() * std::size_t(in_flight(p, shape));
}

double capacity(const workload& w, const params& p, const model_shape& shape) {
    double cap = std::numeric_limits<double>::infinity();
    const double service = w.service_s(p), cpu = w.cpu_s(p);
    const double concurrency = std::min(shape.concurrency, w.max_in_flight(p));
    const bool bounded = concurrency < double(w.task_count(p));  // a pool, sequential, or the workload's own bound
    if (service > 0 && bounded) cap = concurrency / service;
    if (cpu > 0) cap = std::min(cap, shape.cpu_parallelism / cpu);
    return std::isinf(cap) ? 0 : cap;
}

}  // namespace simul
