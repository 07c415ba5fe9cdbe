// The K of a shrunk fuse-mul-into-linear finding (a graph case with one
// linear and one mul): the rows of the weight under the linear's dequantize,
// and the length of the mul's constant factor. Shared by the tests of the
// process-backend pass pipelines (the toy and the torch.fx port).
#pragma once

#include <cstdint>

#include "cases/graph_case.h"

namespace qdiff::testing {

struct FoldShape {
  int64_t weight_rows = -1, factor_length = -1;
};

inline FoldShape fold_shape(const GraphCase& g) {
  FoldShape s;
  for (const Node& n : g.graph.nodes) {
    if (n.kind == NodeKind::linear) {
      const Node& dq = g.graph.node(n.input(1));
      s.weight_rows = g.graph.node(dq.input(0)).value.shape()[0];
    }
    if (n.kind == NodeKind::mul) {
      for (int in : n.inputs) {
        if (g.graph.node(in).kind == NodeKind::constant) s.factor_length = g.graph.node(in).value.numel();
      }
    }
  }
  return s;
}

}  // namespace qdiff::testing
