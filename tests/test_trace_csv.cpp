// The per-task trace files (--trace-dir): what a case writes, what it does
// over the limit, and that a failure to write is an error naming the file.

#include "bench/harness/trace_csv.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace simul {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("simul_trace_" + name + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// Runs sleep with `tasks` tasks under sequential and saves its trace.
std::string run_traced(const trace_options& opt, std::int64_t tasks) {
    const case_spec c{&sleep_workload(), params({{"tasks", tasks}, {"wait_ms", 1}}), parse_model("sequential"), {}};
    run_case(c, {}, [&](const trace& tr) { save_trace(opt, c.name(), tr); });
    return c.name();
}

TEST(TraceCsv, FileNamesHaveNoSlashesOrColons) {
    EXPECT_EQ(trace_file_name("chess/thread_pool:2/boards:24"), "chess__thread_pool-2__boards-24.csv");
}

TEST(TraceCsv, ACaseWritesOneRowPerTaskInOrder) {
    const auto dir = fresh_dir("rows");
    const std::string name = run_traced({dir.string(), 10}, 3);
    const auto lines = lines_of(dir / trace_file_name(name));
    ASSERT_EQ(lines.size(), 3u + 3u);
    EXPECT_EQ(lines[1], "# case: " + name);
    EXPECT_EQ(lines[2], "task,due_us,start_us,end_us,failed");
    std::int64_t last_end = 0;
    for (int i = 0; i < 3; ++i) {
        std::stringstream row(lines[static_cast<std::size_t>(3 + i)]);
        std::vector<std::int64_t> v;
        for (std::string cell; std::getline(row, cell, ',');) v.push_back(std::stoll(cell));
        ASSERT_EQ(v.size(), 5u);
        EXPECT_EQ(v[0], i);
        EXPECT_EQ(v[1], 0);            // a burst: all due at once
        EXPECT_GE(v[2], last_end);     // sequential: each starts after the last ended
        EXPECT_GE(v[3] - v[2], 1000);  // a 1 ms wait
        EXPECT_EQ(v[4], 0);
        last_end = v[3];
    }
    EXPECT_FALSE(fs::exists(dir / "not_traced.txt"));
    fs::remove_all(dir);
}

TEST(TraceCsv, ACaseOverTheLimitIsListedNotWritten) {
    const auto dir = fresh_dir("limit");
    const std::string name = run_traced({dir.string(), 2}, 3);
    EXPECT_FALSE(fs::exists(dir / trace_file_name(name)));
    const auto lines = lines_of(dir / "not_traced.txt");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], name + ": not traced: 3 tasks is over the limit of 2 (--trace-limit)");
    fs::remove_all(dir);
}

TEST(TraceCsv, AFolderThatIsNotThereIsAnErrorNamingTheFile) {
    const auto dir = fresh_dir("missing") / "not_here";
    try {
        run_traced({dir.string(), 10}, 1);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("not_here"), std::string::npos) << e.what();
    }
    fs::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace simul
