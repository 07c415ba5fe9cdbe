// LineProcess (oracle/line_process.h): one line out, one line back, and
// every way a child can misbehave ends in a ProcessFailure that says what
// happened, within the deadline, with qdiff still alive.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "oracle/line_process.h"

namespace qdiff {
namespace {

using namespace std::chrono_literals;

std::string failure_of(LineProcess& p, const std::string& line) {
  try {
    p.exchange(line);
  } catch (const ProcessFailure& f) {
    EXPECT_FALSE(p.running()) << "a failed child must be gone";
    return f.what();
  }
  ADD_FAILURE() << "no ProcessFailure";
  return "";
}

TEST(LineProcess, EchoesLinesThroughOneLongLivedChild) {
  LineProcess cat("cat", 5000ms);
  EXPECT_EQ(cat.exchange("first"), "first");
  EXPECT_EQ(cat.exchange("second"), "second");
}

// 4 MiB is far beyond a pipe's buffer: writing all of it before reading
// would deadlock against a child that answers while it reads.
TEST(LineProcess, LongLinesTravelWhileTheChildAnswers) {
  LineProcess cat("cat", 10000ms);
  const std::string big(4 << 20, 'x');
  EXPECT_EQ(cat.exchange(big), big);
}

TEST(LineProcess, AHangIsKilledAtTheDeadline) {
  LineProcess sleeper("sleep 30", 200ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_of(sleeper, "anything"), "backend timed out after 0.2 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(LineProcess, ACrashNamesTheSignal) {
  LineProcess crasher("read line; kill -SEGV $$", 5000ms);
  EXPECT_EQ(failure_of(crasher, "go"), "backend crashed (signal 11: Segmentation fault) before answering");
}

// The child exits without reading a request far larger than a pipe's
// buffer: the write fails with EPIPE, and SIGPIPE must not kill this test.
TEST(LineProcess, AChildThatStopsReadingIsAFailureNotASigpipe) {
  LineProcess quitter("exit 3", 5000ms);
  EXPECT_EQ(failure_of(quitter, std::string(1 << 20, 'x')).rfind("backend exited with status 3", 0), 0u);
}

TEST(LineProcess, AnAnswerWithoutNewlineIsMalformed) {
  LineProcess partial("read line; printf abc", 5000ms);
  EXPECT_EQ(failure_of(partial, "go"), "backend exited with status 0 after 3 bytes without a newline");
}

TEST(LineProcess, TwoLinesForOneRequestAreMalformed) {
  LineProcess chatty("read line; printf 'one\\ntwo\\n'; sleep 30", 5000ms);
  EXPECT_EQ(failure_of(chatty, "go"),
            "malformed answer: more than one line for one request (the second begins \"two\")");
}

TEST(LineProcess, TheNextExchangeStartsAFreshChild) {
  LineProcess once("read line; echo \"$line\"; exit 0", 5000ms);
  EXPECT_EQ(once.exchange("a"), "a");
  EXPECT_NE(failure_of(once, "b"), "");  // the child exited after one line
  EXPECT_EQ(once.exchange("c"), "c");
}

}  // namespace
}  // namespace qdiff
