#include "core/fused_ops.h"

#include <algorithm>

#include "core/error.h"

namespace qdiff {

std::string_view activation_name(ActivationKind k) {
  switch (k) {
    case ActivationKind::none: return "none";
    case ActivationKind::relu: return "relu";
    case ActivationKind::clamp: return "clamp";
  }
  return "?";
}

std::optional<ActivationKind> parse_activation(std::string_view name) {
  for (auto k : {ActivationKind::none, ActivationKind::relu, ActivationKind::clamp}) {
    if (activation_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view elementwise_op_name(ElementwiseOp op) {
  return op == ElementwiseOp::add ? "qadd" : "qmul";
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      fail(ErrorKind::invalid_shape,
           "shapes {} and {} do not broadcast: dim {} has sizes {} and {}", a.str(), b.str(), i,
           da, db);
    }
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

}  // namespace qdiff
