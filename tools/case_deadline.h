// A per-case deadline (`--case-timeout SECONDS` of qdiff replay, eval and
// check's corpus replay). A runaway C++ evaluation cannot be interrupted in
// its own thread, so each case runs in a forked child that hands its result
// back through a pipe; the parent kills the child at the deadline and the
// case becomes a finding ("timeout"), and the run goes on with the next
// case. A child that dies from a signal (a crash, the OOM killer) is a
// finding too ("crashed"), instead of taking the whole run down.
//
// Cost: one fork per case, measured on the corpus replay in
// docs/reliability.md ("Bounded work", "Fork per case").
#pragma once

#include <functional>
#include <string>

namespace qdiff::tools {

// Issue 20: the default deadline of one case, in seconds. A graph at the
// work budget (core/graph_budget.h) takes about 3 s of CPU for one replay
// against one ISA (measured, docs/reliability.md, "Bounded work"), so 10 s leaves a
// legitimate case room on a loaded runner while a runaway case costs a run
// at most 10 s.
inline constexpr double kDefaultCaseTimeoutSeconds = 10.0;

struct BoundedRun {
  enum class Outcome { finished, timed_out, crashed };
  Outcome outcome = Outcome::finished;
  std::string output;   // work()'s result (finished)
  std::string problem;  // "timeout: ..." / "crashed: ..." otherwise
  bool finished() const { return outcome == Outcome::finished; }
};

// Runs work() in a forked child and returns its result, or a timeout once
// `seconds` have passed (the child is killed with SIGKILL), or a crash.
// An exception escaping work() is reported as a crash with its message.
// seconds <= 0: no deadline, work() runs in this process (no fork).
// Call it from a single-threaded process (qdiff's commands are: the
// implementation's worker threads live only inside one call).
BoundedRun run_with_deadline(double seconds, const std::function<std::string()>& work);

}  // namespace qdiff::tools
