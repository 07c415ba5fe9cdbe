// legacy-to-affine (docs/graph.md): a quantize / dequantize in the legacy
// per-channel form -- 1-D scale [C] applied along axis a of the data --
// becomes the affine form, whose full-rank scale [1, .., C, .., 1] (C at
// dim a' = a < 0 ? a + rank : a) is a NEW reshape node of the scale value
// (constant folding turns it into a constant); a zero point [C] likewise.
//
// Preconditions (otherwise the node is left alone): the data's type is
// known (shape inference); spec.block_size is unset; a is in [-rank, rank);
// the scale value is f32 [C] and the zero point, when present, [C], with
// C = data.shape[a'] >= 1 (C = 0 is valid in the legacy form but not as a
// scale dim). So the node is valid as legacy iff it is valid as affine, in
// the same validation steps (the scale and zero-point values are the same).
//
// Numerical contract: exact. Element x[i0..] uses scale[i_a'] in both forms.
#include <optional>

#include "core/error.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/pass_helpers.h"

namespace qdiff::impl::passes {
namespace {

// a' for a in [-rank, rank).
int normalized_axis(int64_t axis, int rank, FaultSet faults) {
  if (axis >= 0) return int(axis);
  if (faults.has(FaultPoint::negative_legacy_axis_wrong)) {
    // FAULT POINT negative_legacy_axis_wrong: replaces `a + rank` by `a + rank - 1`.
    return int(axis + rank - 1);
  }
  return int(axis + rank);
}

Shape channel_shape(int rank, int axis, int64_t channels) {
  Shape s = Shape::ones(rank);
  s[axis] = channels;
  return s;
}

class LegacyRule {
 public:
  LegacyRule(const Graph& g, FaultSet faults) : types_(infer_value_types(g)), faults_(faults) {}

  bool operator()(graph_edit::Rewriter& rw, int id) const {
    const Graph& g = rw.original();
    const Node& n = g.node(id);
    if ((n.kind != NodeKind::quantize && n.kind != NodeKind::dequantize) || !n.spec.legacy_axis ||
        n.spec.block_size) {
      return false;
    }
    const auto& data = type_of(types_, n.input(0));
    const auto& scale = type_of(types_, n.input(1));
    if (!data || !scale || scale->dtype != DType::f32 || scale->shape.rank() != 1) return false;
    const int rank = data->shape.rank();
    const int64_t axis = *n.spec.legacy_axis;
    if (axis < -rank || axis >= rank) return false;
    // The node's validity, with the correctly normalized axis.
    const int64_t channels = data->shape[int(axis < 0 ? axis + rank : axis)];
    if (channels < 1 || scale->shape[0] != channels) return false;
    const bool has_zp = n.input(2) != kNoInput;
    if (has_zp) {
      const auto& zp = type_of(types_, n.input(2));
      if (!zp || zp->shape != Shape{channels}) return false;
    }
    const int a = normalized_axis(axis, rank, faults_);
    if (a < 0 || a >= rank) return false;
    const Shape target = channel_shape(rank, a, channels);

    const auto reshape_of = [&](int old_id, const char* what) {
      Node r;
      r.kind = NodeKind::reshape;
      r.inputs = {rw.mapped(old_id)};
      r.target_shape = target;
      r.name = g.node(old_id).name.empty() ? std::string(what) : g.node(old_id).name;
      return rw.emit(std::move(r));
    };
    const int new_scale = reshape_of(n.input(1), "scale");
    const int new_zp = has_zp ? reshape_of(n.input(2), "zero_point") : kNoInput;
    Node affine = n;
    affine.spec.legacy_axis.reset();
    affine.inputs = {rw.mapped(n.input(0)), new_scale, new_zp};
    rw.replace(id, rw.emit(std::move(affine)));
    return true;
  }

 private:
  std::vector<std::optional<ValueType>> types_;
  FaultSet faults_;
};

}  // namespace

Graph legacy_to_affine(const Graph& g, FaultSet faults) {
  return graph_edit::sweep_to_fixed_point(
      g, [faults](const Graph& current) -> graph_edit::Rule { return LegacyRule(current, faults); });
}

}  // namespace qdiff::impl::passes
