#include "oracle/case_oracle.h"

#include "oracle/affine_oracle.h"
#include "oracle/fused_oracle.h"
#include "oracle/graph_oracle.h"

namespace qdiff {
namespace {
template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

template <typename F>
CaseResult single_output(F&& f) {
  CaseResult r;
  try {
    r.outputs.emplace("output", f());
  } catch (const Error& e) {
    r.error_kind = e.kind();
    r.error_message = e.what();
  }
  return r;
}
}  // namespace

CaseResult evaluate_case(const Case& c, const Backend& b) {
  return std::visit(
      Overloaded{
          [&](const AffineCase& a) { return evaluate_affine(a, b); },
          [&](const QLinearCase& q) { return single_output([&] { return b.qlinear(q.args); }); },
          [&](const QConv2dCase& q) { return single_output([&] { return b.qconv2d(q.args); }); },
          [&](const QElementwiseCase& q) { return single_output([&] { return b.qelementwise(q.args); }); },
          [&](const GraphCase& g) {
            CaseResult r;
            try {
              const auto outputs = b.execute_graph(g.graph, g.inputs);
              for (size_t i = 0; i < outputs.size(); ++i) r.outputs.emplace(graph_output_name(i), outputs[i]);
            } catch (const Error& e) {
              r.error_kind = e.kind();
              r.error_message = e.what();
            }
            return r;
          },
      },
      c);
}

Verdict check_case(const Case& c, const Backend& b) {
  return std::visit(Overloaded{
                        [&](const AffineCase& a) { return check_affine(a, b); },
                        [&](const QLinearCase& q) { return check_qlinear(q.args, b); },
                        [&](const QConv2dCase& q) { return check_qconv2d(q.args, b); },
                        [&](const QElementwiseCase& q) { return check_qelementwise(q.args, b); },
                        [&](const GraphCase& g) { return check_graph(g, b); },
                    },
                    c);
}

}  // namespace qdiff
