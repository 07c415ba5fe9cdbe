// Placeholder until the optimized fused operators land: every call is
// rejected as unsupported (the harness then reports error-parity failures,
// never silent agreement).
#include "impl/ops/fused_ops.h"

#include "core/error.h"

namespace qdiff::impl {

Tensor qlinear(const QLinearArgs&, const ImplOptions&) {
  fail(ErrorKind::unsupported, "optimized qlinear is not implemented yet");
}
Tensor qconv2d(const QConv2dArgs&, const ImplOptions&) {
  fail(ErrorKind::unsupported, "optimized qconv2d is not implemented yet");
}
Tensor qelementwise(const QElementwiseArgs&, const ImplOptions&) {
  fail(ErrorKind::unsupported, "optimized qadd/qmul is not implemented yet");
}

}  // namespace qdiff::impl
