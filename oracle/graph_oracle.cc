#include "oracle/graph_oracle.h"

#include <optional>

#include <fmt/format.h>

#include "oracle/graph_envelope.h"

namespace qdiff {

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
    if (expected_error && *expected_error == e.kind()) return Verdict::pass();
    return Verdict::fail(
        fmt::format("error parity: executor rejects the graph with {}, reference {}", error_kind_name(e.kind()),
                    expected_error ? std::string(error_kind_name(*expected_error)) : std::string("accepts")),
        fmt::format("  executor: {}\n  reference: {}", e.what(), expected_message));
  }
  if (expected_error) {
    return Verdict::fail(fmt::format("error parity: reference rejects the graph with {}, executor accepts",
                                     error_kind_name(*expected_error)),
                         "  reference: " + expected_message);
  }
  Verdict v = judge_graph_outputs(*env, plain);
  if (!v.ok) {
    v.headline = "executing the original graph: " + v.headline;
    return v;
  }
  Verdict w = judge_graph_outputs(*env, b.execute_graph(b.optimize_graph(c.graph), c.inputs));
  if (!w.ok) {
    w.headline = "executing the optimized graph: " + w.headline;
    return w;
  }
  v.tolerated += w.tolerated;
  return v;
}

}  // namespace qdiff
