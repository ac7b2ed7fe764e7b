// Replays every file of every seed corpus (fuzz/corpus/<target>/) through its fuzz target in
// the normal build, so that seeds and fixed findings stay passing without clang.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "fuzz_targets.inc"

namespace {

class ReplayTest : public testing::TestWithParam<FuzzTarget> {};

TEST_P(ReplayTest, EveryCorpusFileRuns) {
  const FuzzTarget& t = GetParam();
  std::filesystem::path dir = std::filesystem::path(KBGP_CORPUS_DIR) / t.name;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << "no seed corpus at " << dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    // A target aborts (decode->encode->decode mismatch) on a finding; a clean run returns 0.
    EXPECT_EQ(t.fn(data.data(), data.size()), 0);
    ++files;
  }
  EXPECT_GT(files, 0) << "empty seed corpus at " << dir;
}

INSTANTIATE_TEST_SUITE_P(Corpora, ReplayTest, testing::ValuesIn(kFuzzTargets),
                         [](const testing::TestParamInfo<FuzzTarget>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
