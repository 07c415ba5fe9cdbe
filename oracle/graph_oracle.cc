#include "oracle/graph_oracle.h"

#include <optional>

#include <fmt/format.h>

#include "oracle/graph_envelope.h"
#include "oracle/graph_nan_parity.h"

namespace qdiff {
namespace {

// One side rejects with nan_input, the other accepts, and rounding decides
// whether that NaN exists (oracle/graph_nan_parity.h): both are correct.
// The outputs of the accepting side are not judged then (the reference has
// none to judge them by).
Verdict open_nan_parity() {
  Verdict v = Verdict::pass();
  v.tolerated = 1;
  return v;
}

Verdict executor_rejects(const Error& e, const std::optional<GraphEnvelope>& env,
                         const std::optional<ErrorKind>& expected_error, const std::string& expected_message) {
  if (expected_error && *expected_error == e.kind()) return Verdict::pass();
  if (env && nan_rejection_is_open(e, *env)) return open_nan_parity();
  return Verdict::fail(
      fmt::format("error parity: executor rejects the graph with {}, reference {}", error_kind_name(e.kind()),
                  expected_error ? std::string(error_kind_name(*expected_error)) : std::string("accepts")),
      fmt::format("  executor: {}\n  reference: {}", e.what(), expected_message));
}

// The executor's run of the optimized graph: inside the envelope, or a
// nan_input rejection where rounding decides the NaN.
Verdict judge_optimized(const GraphCase& c, const Backend& b, const GraphEnvelope& env) {
  std::vector<Tensor> out;
  try {
    out = b.execute_graph(b.optimize_graph(c.graph), c.inputs);
  } catch (const Error& e) {
    if (nan_rejection_is_open(e, env)) return open_nan_parity();
    return Verdict::fail(fmt::format("executing the optimized graph: rejected with {}, the reference accepts the "
                                     "original graph", error_kind_name(e.kind())),
                         std::string("  executor: ") + e.what());
  }
  Verdict w = judge_graph_outputs(env, out);
  if (!w.ok) w.headline = "executing the optimized graph: " + w.headline;
  return w;
}

}  // namespace

Verdict check_graph(const GraphCase& c, const Backend& b) {
  std::optional<GraphEnvelope> env;
  std::optional<ErrorKind> expected_error;
  std::string expected_message;
  try {
    env = graph_envelope(c.graph, c.inputs, EnvelopeMode::transformed);
  } catch (const Error& e) {
    expected_error = e.kind();
    expected_message = e.what();
  }
  std::vector<Tensor> plain;
  try {
    plain = b.execute_graph(c.graph, c.inputs);
  } catch (const Error& e) {
    return executor_rejects(e, env, expected_error, expected_message);
  }
  if (expected_error) {
    if (*expected_error == ErrorKind::nan_input &&
        nan_rejection_is_open(c.graph, c.inputs, EnvelopeMode::transformed)) {
      return open_nan_parity();
    }
    return Verdict::fail(fmt::format("error parity: reference rejects the graph with {}, executor accepts",
                                     error_kind_name(*expected_error)),
                         "  reference: " + expected_message);
  }
  Verdict v = judge_graph_outputs(*env, plain);
  if (!v.ok) {
    v.headline = "executing the original graph: " + v.headline;
    return v;
  }
  Verdict w = judge_optimized(c, b, *env);
  if (!w.ok) return w;
  v.tolerated += w.tolerated;
  return v;
}

}  // namespace qdiff
