#include "tests/toy_property.h"

#include <variant>

#include <qdiff/oracle/affine_oracle.h>
#include <qdiff/properties/affine_generators.h>

namespace toyq {
namespace {

using namespace qdiff;
using namespace qdiff::props;

Case draw_toy_case(Source& src) {
  src.label(ChoiceLabel::layout);
  const LayoutIntent intent = src.integer(0, 1) == 0 ? LayoutIntent::per_tensor
                                                      : LayoutIntent::per_channel;
  AffineCase c = draw_valid_affine_case(src, AffineOpKind::quantize, GenLimits{}, intent);
  c.contract = Contract::torchao;  // the only contract the toy kernel implements
  return c;
}

CheckResult check_toy_case(const Case& any, const Backend& backend) {
  const auto* c = std::get_if<AffineCase>(&any);
  if (!c || c->op != AffineOpKind::quantize) return CheckResult{{}, true};
  return CheckResult{check_affine(*c, backend)};
}

}  // namespace

const Property& toy_quantize_property() {
  static const Property p{
      "ToyQuantizeMatchesReference", "quantize", PropertyKind::differential,
      "toy quantize is bit-exact with the reference (per-tensor, per-channel, torchao)",
      draw_toy_case, check_toy_case};
  return p;
}

}  // namespace toyq
