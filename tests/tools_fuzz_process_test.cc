// tools/fuzzing/fuzz_process.h: reading libFuzzer's status lines and the reason a
// run stopped. The sample lines are libFuzzer's own formats (clang 14's
// libFuzzer, FuzzerLoop.cpp PrintStats and FuzzerFork.cpp), as printed by
// qdiff's targets; every expected number is read off the line by eye.
#include <gtest/gtest.h>

#include "tools/fuzzing/fuzz_process.h"

namespace qdiff::tools {
namespace {

TEST(FuzzStatusLine, PlainModePulseLine) {
  const auto s = parse_fuzz_status_line(
      "#4096\tpulse  cov: 1530 ft: 4471 corp: 112/9643b lim: 163 exec/s: 1365 rss: 71Mb");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->executions, 4096);
  EXPECT_EQ(s->coverage, 1530);
  EXPECT_EQ(s->features, 4471);
  EXPECT_EQ(s->corpus_units, 112);
  EXPECT_EQ(s->exec_per_second, 1365);
}

TEST(FuzzStatusLine, PlainModeNewLineWithMutationTrace) {
  const auto s = parse_fuzz_status_line(
      "#173\tNEW    cov: 2081 ft: 3006 corp: 20/1327b lim: 4 exec/s: 0 rss: 48Mb L: 4/4 MS: 2 ChangeBit-CopyPart-");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->executions, 173);
  EXPECT_EQ(s->coverage, 2081);
  EXPECT_EQ(s->corpus_units, 20);
  EXPECT_EQ(s->exec_per_second, 0);
}

TEST(FuzzStatusLine, ForkModeParentLine) {
  // Fork mode writes "exec/s N" without the colon and "corp: N" without bytes.
  const auto s = parse_fuzz_status_line(
      "#53217: cov: 1655 ft: 5302 corp: 229 exec/s 5321 oom/timeout/crash: 0/0/0 time: 11s job: 4 dft_time: 0");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->executions, 53217);
  EXPECT_EQ(s->coverage, 1655);
  EXPECT_EQ(s->features, 5302);
  EXPECT_EQ(s->corpus_units, 229);
  EXPECT_EQ(s->exec_per_second, 5321);
}

TEST(FuzzStatusLine, InitedLineWithoutExecPerSecond) {
  const auto s = parse_fuzz_status_line("#2\tINITED cov: 812 ft: 813 corp: 1/1b exec/s: 0 rss: 40Mb");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->executions, 2);
  EXPECT_EQ(s->coverage, 812);
}

TEST(FuzzStatusLine, OtherLinesAreNotStatus) {
  EXPECT_FALSE(parse_fuzz_status_line("INFO: Seed: 1234567"));
  EXPECT_FALSE(parse_fuzz_status_line("    #0 0x55d1 in __sanitizer_print_stack_trace"));
  EXPECT_FALSE(parse_fuzz_status_line("#0 0x55d1 in __sanitizer_print_stack_trace"));  // no "cov: "
  EXPECT_FALSE(parse_fuzz_status_line("#x\tpulse  cov: 1"));
  EXPECT_FALSE(parse_fuzz_status_line(""));
  EXPECT_FALSE(parse_fuzz_status_line("#"));
}

TEST(FuzzStatusLine, MissingFieldsStayUnknown) {
  const auto s = parse_fuzz_status_line("#10\tcov: 5");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->coverage, 5);
  EXPECT_EQ(s->features, -1);
  EXPECT_EQ(s->corpus_units, -1);
  EXPECT_EQ(s->exec_per_second, -1);
}

TEST(FuzzStatusLine, HugeNumbersDoNotOverflow) {
  // 25 digits: read as the first 18 only, never signed overflow (UBSan).
  const auto s = parse_fuzz_status_line("#1234567890123456789012345\tcov: 1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->executions, 123456789012345678);
}

TEST(FindingReason, QdiffFindingLineWinsOverTheAbortItCauses) {
  const std::vector<std::string> log = {
      "== qdiff finding in fuzz target quantize: QuantizeOptimizedMatchesReference failed against optimized",
      "==123== ERROR: libFuzzer: deadly signal",
      "SUMMARY: libFuzzer: deadly signal"};
  EXPECT_EQ(finding_reason(log),
            "qdiff finding in fuzz target quantize: QuantizeOptimizedMatchesReference failed against optimized");
}

TEST(FindingReason, SanitizerSummaryThenErrorThenAlarm) {
  EXPECT_EQ(finding_reason({"==9==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6",
                            "SUMMARY: AddressSanitizer: heap-buffer-overflow impl/x.cc:12:3 in f"}),
            "AddressSanitizer: heap-buffer-overflow impl/x.cc:12:3 in f");
  EXPECT_EQ(finding_reason({"==9== ERROR: libFuzzer: out-of-memory (used: 2600Mb; exceeds: 2560Mb)"}),
            "libFuzzer: out-of-memory (used: 2600Mb; exceeds: 2560Mb)");
  EXPECT_EQ(finding_reason({"ALARM: working on the last Unit for 21 seconds"}),
            "timeout: working on the last Unit for 21 seconds");
  EXPECT_EQ(finding_reason({"INFO: Seed: 1", "#2\tINITED cov: 3"}), "");
}

}  // namespace
}  // namespace qdiff::tools
