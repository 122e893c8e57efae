#include "bench/harness/results_file.hpp"

#include "support/usage_error.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace simul {
namespace {

// Google Benchmark's ofstream keeps quiet about failed writes (a full disk):
// this reporter looks at the stream after each of them.
template <class Base>
class checked_reporter final : public Base {
public:
    using Base::Base;

    bool ReportContext(const benchmark::BenchmarkReporter::Context& c) override {
        used_ = true;
        const bool ok = Base::ReportContext(c);
        check();
        return ok;
    }
    void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run>& runs) override {
        Base::ReportRuns(runs);
        check();
    }
    void Finalize() override {
        Base::Finalize();
        this->GetOutputStream().flush();  // the stream's last buffer, while we can still see it fail
        check();
    }

    // Empty if every write succeeded, else why the first one failed.
    const std::string& failure() const { return failure_; }
    // Whether Google Benchmark reported anything (not so for --benchmark_list_tests).
    bool used() const { return used_; }

private:
    void check() {
        if (failure_.empty() && !this->GetOutputStream().good())
            failure_ = errno != 0 ? std::strerror(errno) : "a write failed";
    }
    std::string failure_;
    bool used_ = false;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // CSVReporter: still what --benchmark_out_format=csv writes
std::unique_ptr<benchmark::BenchmarkReporter> make_reporter(const std::string& format) {
    if (format == "csv") return std::make_unique<checked_reporter<benchmark::CSVReporter>>();
    if (format == "console")
        return std::make_unique<checked_reporter<benchmark::ConsoleReporter>>(benchmark::ConsoleReporter::OO_None);
    return std::make_unique<checked_reporter<benchmark::JSONReporter>>();
}

// The reporter's verdict: nullopt if nothing was reported, else why a write
// failed ("" if none did).
template <class R>
bool verdict_of(benchmark::BenchmarkReporter& r, std::optional<std::string>& out) {
    auto* c = dynamic_cast<checked_reporter<R>*>(&r);
    if (c == nullptr) return false;
    if (c->used()) out = c->failure();
    return true;
}

std::optional<std::string> verdict(benchmark::BenchmarkReporter& r) {
    std::optional<std::string> out;
    verdict_of<benchmark::JSONReporter>(r, out) || verdict_of<benchmark::CSVReporter>(r, out) ||
        verdict_of<benchmark::ConsoleReporter>(r, out);
    return out;
}
#pragma GCC diagnostic pop

// Temporary files of earlier runs for this target, ".F.PID.partial", whose
// process is gone (killed: no destructor ran): no one will finish or remove
// them, and they piled up beside F. One whose process still runs is its own.
void remove_stale_partials(const std::filesystem::path& target) {
    namespace fs = std::filesystem;
    const std::string prefix = fmt::format(".{}.", target.filename().string()), suffix = ".partial";
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
            continue;
        const std::string pid_text = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
        const pid_t pid = pid_t(std::stol(pid_text));
        std::error_code ignored;
        if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(e.path(), ignored);
    }
}

}  // namespace

results_file::results_file(std::string target, const std::string& format)
    : target_(std::move(target)), reporter_(make_reporter(format)) {
    namespace fs = std::filesystem;
    if (target_.empty()) throw usage_error("--benchmark_out: give a file name, e.g. --benchmark_out=run.json");
    struct stat st {};
    in_place_ = ::stat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
    const fs::path at(target_);
    write_path_ = in_place_
                      ? target_
                      : (at.parent_path() / fmt::format(".{}.{}.partial", at.filename().string(), ::getpid())).string();
    if (!in_place_) remove_stale_partials(at);
    // Made now, so that a target we cannot write is a usage error before
    // anything runs. 0666: the umask decides, as for any new file.
    const int fd = ::open(write_path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (in_place_ ? 0 : O_TRUNC), 0666);
    if (fd < 0) throw usage_error(fmt::format("--benchmark_out: cannot write '{}': {}", target_, std::strerror(errno)));
    ::close(fd);
}

results_file::~results_file() {
    if (!committed_ && !in_place_) ::unlink(write_path_.c_str());
}

void results_file::commit() {
    const auto fail = [&](const std::string& why) {
        return std::runtime_error(fmt::format("writing the results to '{}' failed: {}{}", target_, why,
                                              in_place_ ? "" : " (the file was left as it was)"));
    };
    const auto why = verdict(*reporter_);
    if (!why) return;  // nothing was run (--benchmark_list_tests): the target stays as it was
    if (!why->empty()) throw fail(*why);
    if (in_place_) {
        committed_ = true;
        return;
    }
    // On disk before it replaces the old file: a crash leaves one or the other.
    const int fd = ::open(write_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string error = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw fail(error);
    }
    ::close(fd);
    if (std::rename(write_path_.c_str(), target_.c_str()) != 0) throw fail(std::strerror(errno));
    committed_ = true;
}

}  // namespace simul
