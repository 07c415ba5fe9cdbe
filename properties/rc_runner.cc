#include "properties/rc_runner.h"

#include <chrono>
#include <iostream>
#include <sstream>

#include <rapidcheck.h>
#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/detail/Property.h>
#include <rapidcheck/detail/TestListener.h>

#include "properties/rc_source.h"
#include "properties/reduce.h"

namespace qdiff::props {
namespace {

// Shared between the property lambda and the listener: RapidCheck calls
// the lambda for each try, then tells the listener what became of it.
struct RunState {
  PropertyRun last;
  std::optional<PropertyRun> best_failure;
  Coverage coverage;
  int cases = 0, discarded = 0, shrinks = 0;
  std::function<void(int)> on_case;
  std::function<bool()> stop;
};

// Thrown by the listener to leave RapidCheck's loop (the property's own
// exceptions are caught inside RapidCheck; the listener's are not).
struct StopRequested {};

class Listener final : public rc::detail::TestListener {
 public:
  explicit Listener(RunState& s) : s_(s) {}
  void onTestCaseFinished(const rc::detail::CaseDescription& d) override {
    if (s_.last.reproducer) s_.coverage.add_case(*s_.last.reproducer);
    if (d.result.type == rc::detail::CaseResult::Type::Discard) {
      ++s_.discarded;
    } else {
      ++s_.cases;
    }
    if (d.result.type == rc::detail::CaseResult::Type::Failure) s_.best_failure = s_.last;
    if (s_.on_case) s_.on_case(s_.cases);
    if (d.result.type != rc::detail::CaseResult::Type::Failure && s_.stop && s_.stop()) throw StopRequested{};
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    // An accepted shrink is a smaller failing case: the last run.
    if (accepted) {
      s_.best_failure = s_.last;
      ++s_.shrinks;
    }
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  RunState& s_;
};

// RapidCheck prints "Using configuration: seed=..." to stderr the first
// time its global configuration loads. qdiff passes every parameter
// explicitly and prints its own seed, so load it once with stderr muted.
void load_rapidcheck_configuration_quietly() {
  static const bool loaded = [] {
    std::ostringstream sink;
    auto* saved = std::cerr.rdbuf(sink.rdbuf());
    rc::detail::configuration();
    std::cerr.rdbuf(saved);
    return true;
  }();
  (void)loaded;
}

// What every report holds, however the run ended.
RcReport report_of(const Property& property, const RcConfig& config, RunState& state,
                   std::chrono::steady_clock::time_point start) {
  RcReport r;
  r.property = property.name;
  r.seed = config.seed;
  r.cases = state.cases;
  r.discarded = state.discarded;
  r.shrinks = state.shrinks;
  r.coverage = std::move(state.coverage);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace

RcReport run_rapidcheck(const Property& property, const Backend& backend, const RcConfig& config) {
  load_rapidcheck_configuration_quietly();
  RunState state;
  state.on_case = config.on_case;
  state.stop = config.stop;
  const auto start = std::chrono::steady_clock::now();
  auto body = [&] {
    if (state.stop && state.stop()) {  // shrinking a failure: keep what was found
      state.last = {};
      RC_DISCARD("stopped");
    }
    RcSource src;
    state.last = run_property(property, src, backend);
    if (state.last.result.discarded) RC_DISCARD("precondition not met");
    if (!state.last.result.verdict.ok) RC_FAIL(state.last.result.verdict.describe());
  };
  rc::detail::TestMetadata metadata;
  metadata.id = property.name;
  metadata.description = property.name;
  rc::detail::TestParams params;
  params.seed = config.seed;
  params.maxSuccess = config.cases;
  params.maxSize = 90;  // Debian's RapidCheck has shift UB above 100 (upstream 289)
  params.maxDiscardRatio = config.max_discard_ratio;
  // Graph cases are shrunk by the structural reducer alone: RapidCheck's
  // choice-level shrinking redraws whole graphs and took seconds for no
  // smaller result (docs/graph.md).
  params.disableShrinking = !config.shrink || property.family == "graph";
  Listener listener(state);
  std::optional<rc::detail::TestResult> checked;
  try {
    checked = rc::detail::checkProperty(rc::detail::toProperty(body), metadata, params, listener);
  } catch (const StopRequested&) {
    RcReport r = report_of(property, config, state, start);
    r.stopped = true;
    return r;
  }
  const rc::detail::TestResult& result = *checked;

  RcReport r = report_of(property, config, state, start);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  r.rapidcheck_message = message.str();
  if (result.template is<rc::detail::FailureResult>()) {
    r.failed = true;
    if (state.best_failure) {
      r.failure = state.best_failure->result.verdict;
      r.counterexample = state.best_failure->reproducer;
      if (config.reduce && r.counterexample) {
        ReduceStats stats;
        r.counterexample = reduce_case(
            *r.counterexample,
            [&](const Case& c) { return check_property(property, c, backend).failed(); }, &stats);
        r.reductions = stats.accepted;
        r.failure = check_property(property, *r.counterexample, backend).verdict;
      }
    } else {
      r.failure = Verdict::fail("property failed", r.rapidcheck_message);
    }
  } else if (result.template is<rc::detail::GaveUpResult>()) {
    r.gave_up = true;
  } else if (result.template is<rc::detail::Error>()) {
    r.failed = true;
    r.failure = Verdict::fail("RapidCheck error", r.rapidcheck_message);
  }
  return r;
}

}  // namespace qdiff::props
