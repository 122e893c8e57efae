#include "bench/harness/trace_csv.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace simul {
namespace {

using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

[[noreturn]] void fail(const std::string& path, const char* what) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, what));
}

std::string micros(std::int64_t ns) { return ns == trace::not_done ? "" : fmt::format("{}", ns / 1000); }

}  // namespace

std::string trace_file_name(const std::string& case_name) {
    std::string out;
    for (char ch : case_name) {
        if (ch == '/') out += "__";
        else if (ch == ':') out += '-';
        else out += ch;
    }
    return out + ".csv";
}

void save_trace(const trace_options& opt, const std::string& case_name, const trace& tr) {
    if (tr.size() > opt.limit) {
        const std::string path = opt.dir + "/not_traced.txt";
        // Appending one whole line per case: the file is a log, not a table.
        file_ptr f(std::fopen(path.c_str(), "a"), &std::fclose);
        if (!f) fail(path, std::strerror(errno));
        fmt::print(f.get(), "{}: not traced: {} tasks is over the limit of {} (--trace-limit)\n", case_name, tr.size(),
                   opt.limit);
        if (std::fflush(f.get()) != 0) fail(path, std::strerror(errno));
        return;
    }
    const std::string path = opt.dir + "/" + trace_file_name(case_name);
    const std::string tmp = fmt::format("{}.{}.tmp", path, ::getpid());
    {
        file_ptr f(std::fopen(tmp.c_str(), "w"), &std::fclose);
        if (!f) fail(tmp, std::strerror(errno));
        fmt::print(f.get(),
                   "# simul-bench task trace: times in microseconds from the case's start\n"
                   "# case: {}\ntask,due_us,start_us,end_us,failed\n",
                   case_name);
        for (std::size_t i = 0; i < tr.size(); ++i) {
            const bool failed = tr.failed(i) || tr.start_ns(i) == trace::not_done;
            fmt::print(f.get(), "{},{},{},{},{}\n", i, tr.due_ns(i) / 1000, micros(tr.start_ns(i)),
                       micros(tr.end_ns(i)), failed ? 1 : 0);
        }
        const bool bad = std::ferror(f.get()) != 0;
        const int err = errno;
        if (std::fclose(f.release()) != 0 || bad) {
            std::remove(tmp.c_str());
            fail(path, std::strerror(bad ? err : errno));
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        fail(path, std::strerror(err));
    }
}

}  // namespace simul
